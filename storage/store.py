"""The database as the rest of newsbot sees it: one object holding the repositories."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from sqlite_utils import Database

from storage.chats import Chats
from storage.digests import Digests
from storage.feeds import Feeds
from storage.figures import Figures, IngestError
from storage.files import Change, ChangeKind, Files, FileState
from storage.flags import Flags
from storage.followups import Followups
from storage.listing import Listing
from storage.outbox import Outbox
from storage.queueing import Queueing
from storage.retention import Retention
from storage.search import Search
from storage.settings import Settings
from storage.topics import TopicCounts

__all__ = ["Change", "ChangeKind", "FileState", "IngestError", "Store"]


class Store:
    """One connection to the newsbot database; use it from the thread that opened it.

    Each concern is a repository (`chats`, `feeds`, `outbox`, `queueing`, `files`, `listing`,
    `topics`, `figures`, `flags`, `settings`, `digests`, `retention`, `search`, `followups`);
    callers use the one they need.
    """

    def __init__(
        self, db: Database, lock: IO[str] | None = None, *, chunk_feeds: int | None = None
    ) -> None:
        self.db = db
        self.outbox = Outbox(db)
        self.queueing = Queueing(db, chunk_feeds=chunk_feeds)
        self.chats = Chats(db, self.outbox)
        self.feeds = Feeds(db, self.outbox)
        self.topics = TopicCounts(db)
        self.followups = Followups(db, self.outbox)
        self.files = Files(db, self.topics)
        self.listing = Listing(db)
        self.figures = Figures(db)
        self.flags = Flags(db)
        self.settings = Settings(db)
        self.digests = Digests(db, self.outbox)
        self.retention = Retention(db)
        self.search = Search(db)
        self._lock = lock

    def path(self) -> str:
        """The database file, as SQLite names it ('' for a database in memory)."""
        return str(self.db.execute("PRAGMA database_list").fetchone()[2])

    def close(self) -> None:
        self.db.close()
        if self._lock is not None:
            self._lock.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many changes into one transaction (bulk ingest)."""
        with self.db.atomic():
            yield
