"""The database as the rest of newsbot sees it: one object holding the repositories."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO

from sqlite_utils import Database

from storage.chats import Chats
from storage.feeds import Feeds
from storage.figures import Figures, IngestError
from storage.files import Change, ChangeKind, Files, FileState
from storage.flags import Flags
from storage.listing import Listing
from storage.models import Article, StoredArticle
from storage.outbox import Outbox
from storage.topics import TopicCounts

__all__ = ["Change", "ChangeKind", "FileState", "IngestError", "Store"]


class Store:
    """One connection to the newsbot database; use it from the thread that opened it.

    Each concern is a repository (`chats`, `feeds`, `outbox`, `files`, `listing`,
    `topics`, `figures`, `flags`); the methods below forward to them, so that the
    ingest and reading paths keep one short way in.
    """

    def __init__(self, db: Database, lock: IO[str] | None = None) -> None:
        self.db = db
        self.outbox = Outbox(db)
        self.chats = Chats(db, self.outbox)
        self.feeds = Feeds(db, self.outbox)
        self.topics = TopicCounts(db)
        self.files = Files(db, self.outbox, self.topics)
        self.listing = Listing(db)
        self.figures = Figures(db)
        self.flags = Flags(db)
        self._lock = lock

    def close(self) -> None:
        self.db.close()
        if self._lock is not None:
            self._lock.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many changes into one transaction (bulk ingest)."""
        with self.db.atomic():
            yield

    # --- flags ------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self.flags.paused

    def set_paused(self, paused: bool) -> None:
        self.flags.set_paused(paused)

    @property
    def baseline_done(self) -> bool:
        """False until the first start has taken the folder's files as its baseline."""
        return self.flags.baseline_done

    def mark_baseline_done(self) -> None:
        self.flags.mark_baseline_done()

    # --- files and articles -----------------------------------------------------------

    def file_states(self) -> dict[str, FileState]:
        return self.files.file_states()

    def file_state(self, path: str) -> FileState | None:
        return self.files.file_state(path)

    def touch_file(self, path: str, state: FileState) -> None:
        self.files.touch_file(path, state)

    def store_article(
        self,
        path: str,
        state: FileState,
        article: Article,
        *,
        queue: bool,
        data_json: str | None = None,
    ) -> Change:
        return self.files.store_article(path, state, article, queue=queue, data_json=data_json)

    def store_articles(
        self, items: Sequence[tuple[str, FileState, Article, str | None]], *, queue: bool
    ) -> list[Change]:
        return self.files.store_articles(items, queue=queue)

    def record_error(self, path: str, state: FileState | None, reason: str) -> Change:
        return self.files.record_error(path, state, reason)

    def remove_file(self, path: str) -> tuple[Change, list[str]]:
        return self.files.remove_file(path)

    # --- reading ----------------------------------------------------------------------

    def article(self, article_id: int) -> StoredArticle | None:
        return self.listing.article(article_id)

    def latest(self, limit: int, topics: Iterable[str] = ()) -> list[StoredArticle]:
        return self.listing.latest(limit, topics)

    def search(self, words: str, limit: int) -> list[StoredArticle]:
        return self.listing.search(words, limit)

    def topic_counts(self) -> list[tuple[str, int]]:
        return self.topics.counts()

    def ingest_errors(self, limit: int = 20) -> list[IngestError]:
        return self.figures.ingest_errors(limit)

    def counts(self) -> dict[str, int]:
        return self.figures.counts()
