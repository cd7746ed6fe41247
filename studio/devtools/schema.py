"""Write studio/core/db/schema_expected.json: the schema the migrations make at the head revision, which every
start compares studio.db with (studio.core.db.schema). Run it after adding or changing a migration:

    python -m studio.devtools.schema          # write the file
    python -m studio.devtools.schema --check  # exit 1 when it is out of date (tests/core/test_schema.py does too)
"""

from __future__ import annotations

import argparse
import sys

from studio.core.db.migrate import head_revision
from studio.core.db.schema import EXPECTED_FILE, expected_file_contents, migrated_objects


def current_contents() -> str:
    return expected_file_contents(head_revision(), migrated_objects())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the file is up to date")
    args = parser.parse_args(argv)
    text = current_contents()
    old = EXPECTED_FILE.read_text(encoding="utf-8") if EXPECTED_FILE.exists() else ""
    if args.check:
        if old != text:
            print(f"{EXPECTED_FILE} is out of date: run python -m studio.devtools.schema", file=sys.stderr)
            return 1
        return 0
    if old != text:
        EXPECTED_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {EXPECTED_FILE} (revision {head_revision()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
