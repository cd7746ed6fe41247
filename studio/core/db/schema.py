"""The schema a SQLite file must have, exactly: what its migrations (or its own CREATE statements) made.

A trigger, a view, an extra index or an altered table in a file the studio relies on can silently change what
it records or decides (a trigger on audit_log that deletes every `model.export` entry; a table constraint
`UNIQUE (...) ON CONFLICT IGNORE` that swallows chosen inserts). So the studio compares the file's
`sqlite_master` with the expected objects and refuses to work on a difference (SchemaTamperedError, saying
what was found and what to do):

- when it opens the file (Studio.open for studio.db; AnchorFile for audit-anchor.db);
- again inside every audit append, after the entry's INSERT, while the transaction holds SQLite's write lock
  (no other connection can change the schema then), so no entry ever commits under an unchecked schema; and
  at the start of every service operation. Each check reads sqlite_master (about 60 rows) and compares it
  with the last set that passed, so it costs well under a millisecond; `PRAGMA schema_version` alone would
  not do, since anyone who can write the file can set it back.

What studio.db must hold is what the migrations make. Running them on an in-memory database costs about
0.2 s, on every start of every process (the GUI, each CLI command, each worker), so the result for the head
revision is kept in `schema_expected.json` beside this module, written by `python -m studio.devtools.schema`;
tests/core/test_schema.py fails, saying so, when a migration changes and the file was not written again. If
the file names another revision than the head (a branch that forgot), the expected schema is computed by
migrating in memory (slower, same answer) and a warning says so.

Texts are compared after normalisation (tokens, comments and whitespace dropped, keywords and identifiers
lowercased, quoted identifiers unquoted), so that the way a library version lays out its DDL does not
matter; anything that changes meaning (a clause, a constraint, a column, a name) does.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from studio.core.errors import DatabaseError

log = logging.getLogger(__name__)

EXPECTED_FILE = Path(__file__).with_name("schema_expected.json")
# Tables SQLite makes by itself (AUTOINCREMENT bookkeeping, ANALYZE statistics); names starting with
# "sqlite_" cannot be created otherwise.
_INTERNAL_TABLES = {"sqlite_sequence", "sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"}
_TOKEN = re.compile(r"""
    (?P<space>\s+|--[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
  | (?P<blob>[xX]'[0-9a-fA-F]*')
  | (?P<word>[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<other>\|\||<<|>>|<=|>=|==|!=|<>|\S)
""", re.S | re.X)
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SchemaTamperedError(DatabaseError):
    """A SQLite file of the data folder holds objects its migrations did not make, or lacks some."""

    exit_code = 3


def normalize_sql(sql: str | None) -> str | None:
    if sql is None:
        return None
    out = []
    for match in _TOKEN.finditer(sql):
        kind, text = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "word":
            text = text.lower()
        elif kind == "quoted":
            inner = text[1:-1].replace('""', '"').replace("``", "`")
            text = inner.lower() if _PLAIN.fullmatch(inner) else f'"{inner.replace(chr(34), chr(34) * 2)}"'
        elif kind == "blob":
            text = text.lower()
        out.append(text)
    return " ".join(out)


@dataclass(frozen=True, order=True)
class SchemaObject:
    type: str
    name: str
    tbl_name: str
    sql: str | None  # normalised; None for SQLite's automatic indexes

    def describe(self) -> str:
        on = f" on {self.tbl_name}" if self.type in ("index", "trigger") else ""
        return f"{self.type} {self.name!r}{on}"


def read_objects(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()


def objects_of(rows: Iterable[tuple]) -> set[SchemaObject]:
    return {SchemaObject(t, n, tb, normalize_sql(s)) for t, n, tb, s in rows
            if not (t == "table" and n in _INTERNAL_TABLES)}


def objects_from_statements(statements: Iterable[str]) -> frozenset[SchemaObject]:
    """The objects these CREATE statements make (for a file the studio creates itself, not by migrations)."""
    conn = sqlite3.connect(":memory:")
    try:
        for statement in statements:
            conn.execute(statement)
        return frozenset(objects_of(read_objects(conn)))
    finally:
        conn.close()


# -- studio.db: what the migrations make -------------------------------------------------------------------

def migrated_objects() -> frozenset[SchemaObject]:
    """Migrate an empty in-memory database to head and read what it holds (about 0.2 s)."""
    from alembic import command
    from sqlalchemy import create_engine

    from studio.core.db.migrate import alembic_config

    engine = create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
            rows = read_objects(conn.connection.driver_connection)
    finally:
        engine.dispose()
    return frozenset(objects_of(rows))


def expected_file_contents(revision: str, objects: Iterable[SchemaObject]) -> str:
    """The JSON of schema_expected.json, one object a line (so that a merge shows which objects changed)."""
    lines = [json.dumps([o.type, o.name, o.tbl_name, o.sql], ensure_ascii=False) for o in sorted(objects)]
    head = f'{{"revision": {json.dumps(revision)}, "note": "written by python -m studio.devtools.schema; do not edit",'
    return head + '\n "objects": [\n  ' + ",\n  ".join(lines) + "\n]}\n"


@lru_cache(maxsize=4)
def expected_objects(revision: str) -> frozenset[SchemaObject]:
    """What studio.db holds at `revision` (the head): from schema_expected.json when it names that revision,
    else by migrating in memory."""
    try:
        data = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if data.get("revision") == revision:
        return frozenset(SchemaObject(*o) for o in data["objects"])
    log.warning("%s is for revision %s, not the head %s: computing the expected schema by migrating in memory "
                "(run python -m studio.devtools.schema)", EXPECTED_FILE.name, data.get("revision"), revision)
    return migrated_objects()


# -- the check -----------------------------------------------------------------------------------------------

def differences(found: set[SchemaObject], expected: frozenset[SchemaObject]) -> list[tuple[str, SchemaObject]]:
    """(what, object) for each difference: what is "extra", "altered" or "missing"."""
    wanted = {(o.type, o.name): o for o in expected}
    have = {(o.type, o.name): o for o in found}
    out = []
    for key, obj in sorted(have.items()):
        if key not in wanted:
            out.append(("extra", obj))
        elif wanted[key] != obj:
            out.append(("altered", obj))
    out += [("missing", obj) for key, obj in sorted(wanted.items()) if key not in have]
    return out


_SAYS = {"extra": "{} that its migrations did not make", "altered": "{} is not the one its migrations made",
         "missing": "{} is missing"}


def describe_differences(label: str, problems: list[tuple[str, SchemaObject]]) -> str:
    """The user's message: what was found, why it matters, what to do."""
    found = "; ".join(_SAYS[what].format(obj.describe()) for what, obj in problems)
    text = (f"{label} does not have the schema Model Studio made: {found}. Objects like these can silently "
            "change what the studio records or decides (a trigger can delete audit entries), so it will not work "
            "on this data folder. ")
    droppable = all(what == "extra" and obj.type in ("trigger", "view", "index") for what, obj in problems)
    if droppable:
        statements = " ".join(f'DROP {obj.type.upper()} "{obj.name}";' for _, obj in problems)
        return text + (f"If you added them yourself, remove them (sqlite3 {label} '{statements}'); otherwise "
                       f"restore {label} from a backup you trust.")
    return text + (f"Restore {label} from a backup you trust (the data folder's backups folder holds the copies "
                   "made before each upgrade).")


_FINGERPRINT = ("SELECT group_concat(type || char(1) || name || char(1) || tbl_name || char(1) || "
                "coalesce(sql, char(2)), char(0)) FROM sqlite_master")


class SchemaGuard:
    """Holds one SQLite file to its expected objects. `verify(conn)` raises SchemaTamperedError on any
    difference; the last set of sqlite_master rows that passed is remembered, so a check of an unchanged file
    is one small query and a set comparison."""

    def __init__(self, label: str, expected: frozenset[SchemaObject]):
        self.label = label
        self.expected = expected
        self._verified: str | None = None

    def verify(self, conn: sqlite3.Connection) -> None:
        # One string of every row, in storage order: equal to the last one that passed means unchanged.
        text = conn.execute(_FINGERPRINT).fetchone()[0]
        if text is not None and text == self._verified:
            return
        problems = differences(objects_of(read_objects(conn)), self.expected)
        if problems:
            message = describe_differences(self.label, problems)
            log.error("schema check failed: %s", message)
            raise SchemaTamperedError(message)
        self._verified = text
