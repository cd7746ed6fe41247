"""The datasets aggregate: rows of `datasets`, returned as frozen DatasetInfo.

Methods take the session of the service operation they run in, so that a change and its audit entry
commit together. Names are unique per owner; DatasetService.resolve turns a name into an id for an actor."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.core.datasets.stats import DatasetStats
from studio.core.db import Database
from studio.core.db.tables.accounts import GrantRow
from studio.core.db.tables.datasets import DatasetKeyRow, DatasetRow
from studio.core.errors import ConflictError, NotFoundError
from studio.core.messages import msg
from studio.core.security import rowauth

# What decides who may read a dataset and receives its key, and where its files are (security/rowauth.py).
rowauth.protect(DatasetRow, "dataset", ("id", "owner_id", "encrypted", "storage_key", "storage_format", "key_uid",
                                        "key_epoch"), id_column="id")
rowauth.protect(DatasetKeyRow, "dataset", ("dataset_id", "recipient", "user_id"), id_column="dataset_id",
                key=("recipient", "user_id"))


@dataclass(frozen=True)
class DatasetInfo:
    id: int
    name: str
    owner_id: int | None
    owner_name: str
    source: str
    source_format: str
    kind: str  # text | sft (prompt/response or chat, with loss masks)
    tokenizer: str  # byte | char | bpe | file
    vocab_size: int
    eos_id: int
    dtype: str
    documents: int
    tokens: int
    size_bytes: int
    storage_key: str
    storage_format: str
    encrypted: bool
    tags: tuple[str, ...]
    created_at: datetime
    options: Mapping[str, Any] = field(default_factory=dict)
    stats: DatasetStats = field(default_factory=DatasetStats)
    # set only on what import_dataset returns: the source files it removed (the "remove the source" option)
    removed_sources: tuple[str, ...] = ()

    @property
    def vocab_asked(self) -> int | None:
        """The BPE vocabulary asked for, when the trained one came out smaller (the text held fewer merges
        than asked: a small text or few distinct words); None otherwise."""
        asked = self.options.get("vocab_size")
        if self.tokenizer == "bpe" and isinstance(asked, int) and asked > self.vocab_size:
            return asked
        return None


def _info(row: DatasetRow) -> DatasetInfo:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return DatasetInfo(
        id=row.id, name=row.name, owner_id=row.owner_id, owner_name=row.owner_name, source=row.source,
        source_format=row.source_format, kind=row.kind, tokenizer=row.tokenizer, vocab_size=row.vocab_size,
        eos_id=row.eos_id, dtype=row.dtype, documents=row.documents, tokens=row.tokens,
        size_bytes=row.size_bytes, storage_key=row.storage_key, storage_format=row.storage_format,
        encrypted=row.encrypted, tags=tuple(json.loads(row.tags_json)), created_at=created,
        options=json.loads(row.options_json), stats=DatasetStats.from_dict(json.loads(row.stats_json)),
    )


def not_found(ref: int | str) -> NotFoundError:
    """The one answer for a dataset that does not exist, or exists but is not the asker's to see."""
    return NotFoundError(f"There is no dataset {ref!r}. `studio dataset list` shows them.")


def name_conflict(name: str) -> str:
    return msg("A dataset named {name!r} exists already; choose another name.", name=name)


class DatasetStore:
    def __init__(self, db: Database):
        self._db = db

    @staticmethod
    def named(session: Session, name: str, seen_by: int | None) -> list[DatasetRow]:
        """The datasets called `name` that user `seen_by` owns or holds a grant on (every one for None: an
        administrator or the studio itself), oldest first. Only the user's own rows and grants are looked at
        (indexed), so what this costs and returns does not depend on datasets of that name that others own. A
        grant row is taken as written here: the operation that follows verifies it and refuses a forgery."""
        query = select(DatasetRow).where(DatasetRow.name == name).order_by(DatasetRow.id)
        if seen_by is None:
            return list(session.scalars(query))
        own = list(session.scalars(query.where(DatasetRow.owner_id == seen_by)))
        granted = {int(i) for i in session.scalars(select(GrantRow.obj_id).where(
            GrantRow.user_id == seen_by, GrantRow.obj_type == "dataset")) if i.isdigit()}
        shared = list(session.scalars(query.where(DatasetRow.id.in_(granted)))) if granted else []
        return own + [r for r in shared if r.owner_id != seen_by]

    def _row(self, session: Session, dataset_id: int) -> DatasetRow:
        row = session.get(DatasetRow, dataset_id)
        if row is None:
            raise NotFoundError(f"There is no dataset with id {dataset_id}.")
        return row

    def get(self, session: Session, dataset_id: int) -> DatasetInfo:
        return _info(self._row(session, dataset_id))

    def list(self, session: Session) -> list[DatasetInfo]:
        return [_info(r) for r in session.scalars(select(DatasetRow).order_by(DatasetRow.created_at, DatasetRow.id))]

    def name_taken(self, session: Session, name: str, owner_id: int | None, except_id: int | None = None) -> bool:
        """Whether `owner_id` has a dataset called `name` (names are unique per owner: migration 0013)."""
        row = session.scalar(select(DatasetRow).where(DatasetRow.name == name, DatasetRow.owner_id.is_(owner_id))
                             if owner_id is None else
                             select(DatasetRow).where(DatasetRow.owner_id == owner_id, DatasetRow.name == name))
        return row is not None and row.id != except_id

    def add(self, session: Session, **values: Any) -> DatasetInfo:
        if self.name_taken(session, values["name"], values.get("owner_id")):
            raise ConflictError(name_conflict(values["name"]))
        values.setdefault("created_at", datetime.now(UTC))
        for key in ("tags", "options", "stats"):
            values[f"{key}_json"] = json.dumps(values.pop(key), sort_keys=True, ensure_ascii=False)
        row = DatasetRow(**values)
        session.add(row)
        session.flush()
        return _info(row)

    def rename(self, session: Session, dataset_id: int, name: str) -> DatasetInfo:
        row = self._row(session, dataset_id)
        if self.name_taken(session, name, row.owner_id, except_id=dataset_id):
            raise ConflictError(name_conflict(name))
        row.name = name
        session.flush()
        return _info(row)

    def set_tags(self, session: Session, dataset_id: int, tags: tuple[str, ...]) -> DatasetInfo:
        row = self._row(session, dataset_id)
        row.tags_json = json.dumps(list(tags), ensure_ascii=False)
        session.flush()
        return _info(row)

    def delete(self, session: Session, dataset_id: int) -> DatasetInfo:
        row = self._row(session, dataset_id)
        info = _info(row)
        session.delete(row)
        session.flush()
        return info

    def storage_keys(self) -> set[str]:
        with self._db.session() as s:
            return set(s.scalars(select(DatasetRow.storage_key)))

    # -- wrapped keys of encrypted datasets (on the operation's session) ----------------------------------
    def row(self, session: Session, dataset_id: int) -> DatasetRow:
        """The ORM row, for the dataset service's key handling (never leaves the service)."""
        return self._row(session, dataset_id)

    @staticmethod
    def wrapped_key(session: Session, dataset_id: int, recipient: str, user_id: int = 0) -> bytes | None:
        return session.scalar(select(DatasetKeyRow.wrapped).where(
            DatasetKeyRow.dataset_id == dataset_id, DatasetKeyRow.recipient == recipient,
            DatasetKeyRow.user_id == user_id))

    @staticmethod
    def add_wrapped_key(session: Session, dataset_id: int, recipient: str, user_id: int, wrapped: bytes) -> None:
        session.add(DatasetKeyRow(dataset_id=dataset_id, recipient=recipient, user_id=user_id, wrapped=wrapped,
                                  created_at=datetime.now(UTC).replace(tzinfo=None)))
        session.flush()

    @staticmethod
    def delete_wrapped_keys(session: Session, dataset_id: int, user_id: int | None = None) -> int:
        # through the ORM, so that the dataset's access rows are tagged again (security/rowauth.py)
        query = select(DatasetKeyRow).where(DatasetKeyRow.dataset_id == dataset_id)
        if user_id is not None:
            query = query.where(DatasetKeyRow.recipient == "user", DatasetKeyRow.user_id == user_id)
        rows = session.scalars(query).all()
        for row in rows:
            session.delete(row)
        session.flush()
        return len(rows)

    @staticmethod
    def key_holders(session: Session, dataset_id: int) -> list[int]:
        """The users a dataset's key is wrapped for (not counting the recovery key), once the dataset's
        access rows verified: a re-encryption wraps the new key for these users only."""
        rowauth.verify(session, rowauth.scope_name("dataset", dataset_id))
        return list(session.scalars(select(DatasetKeyRow.user_id).where(
            DatasetKeyRow.dataset_id == dataset_id, DatasetKeyRow.recipient == "user").order_by(DatasetKeyRow.user_id)))

    @staticmethod
    def user_wrap_rows(session: Session, user_id: int) -> list[DatasetKeyRow]:
        """The user's wraps, each in a dataset whose access rows verified."""
        rows = list(session.scalars(select(DatasetKeyRow).where(
            DatasetKeyRow.recipient == "user", DatasetKeyRow.user_id == user_id)))
        for dataset_id in {r.dataset_id for r in rows}:
            rowauth.verify(session, rowauth.scope_name("dataset", dataset_id))
        return rows
