"""Opening the database, and what it knows of article files and articles."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, Literal

from sqlite_utils import Database

from storage.chats import Chats
from storage.models import Article, StoredArticle, article_from_json, article_to_json
from storage.outbox import Outbox

_CONTROL_TO_SPACE = {code: " " for code in range(32)}
TOPICS_TTL = 5.0  # seconds that topic counts may lag behind a change

ChangeKind = Literal[
    "new", "published", "edited", "unpublished", "unchanged", "duplicate", "removed", "error"
]


@dataclass(frozen=True, slots=True)
class FileState:
    size: int
    mtime_ns: int
    hash: str


@dataclass(frozen=True, slots=True)
class Change:
    """What storing one file did: the kind of change, the article, and pushes queued."""

    kind: ChangeKind
    article_id: int | None = None
    queued: int = 0
    cancelled: int = 0
    other_path: str | None = None


@dataclass(frozen=True, slots=True)
class IngestError:
    path: str
    reason: str
    at: float


class Store:
    """One connection to the newsbot database; use it from the thread that opened it."""

    def __init__(self, db: Database, lock: IO[str] | None = None) -> None:
        self.db = db
        self.chats = Chats(db)
        self.outbox = Outbox(db)
        self._lock = lock
        self._topics: list[tuple[str, int]] | None = None
        self._topics_at = 0.0
        self._topics_stale = True

    def close(self) -> None:
        self.db.close()
        if self._lock is not None:
            self._lock.close()

    # --- meta -------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    @property
    def paused(self) -> bool:
        return self.get_meta("paused") == "1"

    def set_paused(self, paused: bool) -> None:
        self.set_meta("paused", "1" if paused else "0")

    @property
    def baseline_done(self) -> bool:
        """False until the first start has taken the folder's files as its baseline."""
        return self.get_meta("baseline_done") == "1"

    def mark_baseline_done(self) -> None:
        self.set_meta("baseline_done", "1")

    # --- files ------------------------------------------------------------------------

    def file_states(self) -> dict[str, FileState]:
        """Every known file with the size, mtime and hash last seen."""
        rows = self.db.execute("SELECT path, size, mtime_ns, hash FROM files")
        return {path: FileState(size, mtime, digest) for path, size, mtime, digest in rows}

    def file_state(self, path: str) -> FileState | None:
        row = self.db.execute(
            "SELECT size, mtime_ns, hash FROM files WHERE path = ?", [path]
        ).fetchone()
        return None if row is None else FileState(*row)

    def touch_file(self, path: str, state: FileState) -> None:
        """Remember a new size/mtime for a file whose bytes did not change."""
        self.db.execute(
            "UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?",
            [state.size, state.mtime_ns, path],
        )

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many file changes into one transaction (bulk ingest)."""
        with self.db.atomic():
            yield

    def store_article(
        self,
        path: str,
        state: FileState,
        article: Article,
        *,
        queue: bool,
        data_json: str | None = None,
    ) -> Change:
        """Store a parsed file; when `queue`, an article that became visible is queued.

        `data_json` is `article_to_json(article)` when the caller made it already.
        """
        now = time.time()
        self._topics_stale = True
        with self.db.atomic():
            row = self.db.execute(
                "SELECT id, path, visible, first_seen_at FROM articles WHERE url = ?",
                [article.url],
            ).fetchone()
            if row is not None and row[1] != path and self._file_holds(row[1], article.url):
                self._save_file(path, state, article.url)
                self._save_error(path, f"duplicate webUrl: the article is {row[1]}", now)
                return Change("duplicate", row[0], other_path=row[1])
            known = self.db.execute("SELECT url FROM files WHERE path = ?", [path]).fetchone()
            if known is not None:
                if known[0] is not None and known[0] != article.url:
                    # the file now names another webUrl: it no longer holds the old article
                    self._hide_article(known[0], path, now)
                self.db.execute("DELETE FROM ingest_errors WHERE path = ?", [path])
            article_id, was_visible = self._upsert_article(path, article, row, now, data_json)
            self._save_file(path, state, article.url)
            visible = article.published
            if visible and not was_visible:
                queued = self.outbox.queue_push(article_id, article, now) if queue else 0
                return Change("new" if row is None else "published", article_id, queued)
            if was_visible and not visible:
                cancelled = self.outbox.cancel_article(article_id, now)
                return Change("unpublished", article_id, cancelled=cancelled)
            return Change("edited" if row is not None else "new", article_id)

    def record_error(self, path: str, state: FileState | None, reason: str) -> Change:
        """Remember a bad file and why; the article it held before, if any, stays as it was."""
        now = time.time()
        with self.db.atomic():
            if state is not None:
                self._save_file(path, state, None, keep_url=True)
            self._save_error(path, reason, now)
        return Change("error")

    def remove_file(self, path: str) -> tuple[Change, list[str]]:
        """Forget a vanished file; returns the change and other files with the same webUrl."""
        now = time.time()
        with self.db.atomic():
            row = self.db.execute("SELECT url FROM files WHERE path = ?", [path]).fetchone()
            self.db.execute("DELETE FROM files WHERE path = ?", [path])
            self.db.execute("DELETE FROM ingest_errors WHERE path = ?", [path])
            if row is None or row[0] is None:
                return Change("removed"), []
            change = self._hide_article(row[0], path, now)
            others = [
                other
                for (other,) in self.db.execute(
                    "SELECT path FROM files WHERE url = ? ORDER BY path", [row[0]]
                )
            ]
            # they were refused as duplicates: forget their hash so they are read again
            self.db.execute("UPDATE files SET hash = '' WHERE url = ?", [row[0]])
            return change, others

    def _file_holds(self, path: str, url: str) -> bool:
        row = self.db.execute("SELECT url FROM files WHERE path = ?", [path]).fetchone()
        return row is not None and row[0] == url

    def _hide_article(self, url: str, path: str, now: float) -> Change:
        self._topics_stale = True
        row = self.db.execute(
            "SELECT id, visible FROM articles WHERE url = ? AND path = ?", [url, path]
        ).fetchone()
        if row is None:
            return Change("removed")
        self.db.execute(
            "UPDATE articles SET present = 0, visible = 0, updated_at = ? WHERE id = ?",
            [now, row[0]],
        )
        cancelled = self.outbox.cancel_article(row[0], now) if row[1] else 0
        return Change("removed", row[0], cancelled=cancelled)

    def _upsert_article(
        self, path: str, article: Article, row: Any, now: float, data_json: str | None
    ) -> tuple[int, bool]:
        if row is None:
            values = _article_values(path, article, now, now, data_json)
            cursor = self.db.execute(INSERT_ARTICLE, values)
            article_id, was_visible = int(cursor.lastrowid or 0), False
        else:
            article_id, was_visible = int(row[0]), bool(row[2])
            values = _article_values(path, article, row[3], now, data_json)
            values["id"] = article_id
            del values["first_seen_at"]
            assignments = ", ".join(f"{name} = :{name}" for name in values if name != "id")
            self.db.execute(
                f"UPDATE articles SET {assignments}, present = 1 WHERE id = :id", values
            )
            self.db.execute("DELETE FROM article_topics WHERE article_id = ?", [article_id])
        self.db.conn.executemany(INSERT_TOPIC, _topic_rows(article_id, article))
        return article_id, was_visible

    def store_articles(
        self, items: Sequence[tuple[str, FileState, Article, str | None]], *, queue: bool
    ) -> list[Change]:
        """`store_article` for many files at once (bulk ingest and scans), in order.

        Files new to the database that name articles new to it, the bulk of a first
        import, go in with one statement per table; the others one by one.
        """
        if not items:
            return []
        now = time.time()
        self._topics_stale = True
        with self.db.atomic():
            known_paths = self._existing("SELECT path FROM files", "path", [i[0] for i in items])
            known_urls = self._existing(
                "SELECT url FROM articles", "url", [i[2].url for i in items]
            )
            fresh: dict[str, int] = {}  # url -> index of the file that brings it
            for index, (path, _, article, _) in enumerate(items):
                if path not in known_paths and article.url not in known_urls:
                    fresh.setdefault(article.url, index)
            new = [items[index] for index in fresh.values()]
            self.db.conn.executemany(
                INSERT_ARTICLE, [_article_values(p, a, now, now, d) for p, _, a, d in new]
            )
            ids = self._ids_of(list(fresh))
            self.db.conn.executemany(
                INSERT_TOPIC, [row for _, _, a, _ in new for row in _topic_rows(ids[a.url], a)]
            )
            self.db.conn.executemany(
                "INSERT INTO files (path, size, mtime_ns, hash, url) VALUES (?, ?, ?, ?, ?)",
                [(p, st.size, st.mtime_ns, st.hash, a.url) for p, st, a, _ in new],
            )
            changes: list[Change] = []
            for index, (path, state, article, data_json) in enumerate(items):
                if fresh.get(article.url) != index:
                    changes.append(
                        self.store_article(path, state, article, queue=queue, data_json=data_json)
                    )
                    continue
                article_id = ids[article.url]
                queued = (
                    self.outbox.queue_push(article_id, article, now)
                    if queue and article.published
                    else 0
                )
                changes.append(Change("new", article_id, queued))
            return changes

    def _existing(self, select: str, column: str, values: list[str]) -> set[str]:
        rows = self.db.execute(
            f"{select} WHERE {column} IN (SELECT value FROM json_each(?))", [json.dumps(values)]
        )
        return {value for (value,) in rows}

    def _ids_of(self, urls: list[str]) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT url, id FROM articles WHERE url IN (SELECT value FROM json_each(?))",
            [json.dumps(urls)],
        )
        return {url: article_id for url, article_id in rows}

    def _save_file(
        self, path: str, state: FileState, url: str | None, *, keep_url: bool = False
    ) -> None:
        url_update = "" if keep_url else ", url = excluded.url"
        self.db.execute(
            "INSERT INTO files (path, size, mtime_ns, hash, url) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET size = excluded.size, "
            f"mtime_ns = excluded.mtime_ns, hash = excluded.hash{url_update}",
            [path, state.size, state.mtime_ns, state.hash, url],
        )

    def _save_error(self, path: str, reason: str, now: float) -> None:
        self.db.execute(
            "INSERT INTO ingest_errors (path, reason, at) VALUES (?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET reason = excluded.reason, at = excluded.at",
            [path, reason, now],
        )

    # --- reading articles -------------------------------------------------------------

    def article(self, article_id: int) -> StoredArticle | None:
        rows = self._articles("WHERE id = ?", [article_id])
        return rows[0] if rows else None

    def article_by_url(self, url: str) -> StoredArticle | None:
        rows = self._articles("WHERE url = ?", [url])
        return rows[0] if rows else None

    def latest(self, limit: int, topics: Iterable[str] = ()) -> list[StoredArticle]:
        """The newest visible articles, of any of `topics` when given."""
        keys = sorted({topic.casefold() for topic in topics})
        if not keys:
            return self._articles("WHERE visible = 1 ORDER BY sort_at DESC LIMIT ?", [limit])
        marks = ", ".join("?" for _ in keys)
        return self._articles(
            "WHERE visible = 1 AND id IN (SELECT article_id FROM article_topics "
            f"WHERE topic IN ({marks})) ORDER BY sort_at DESC LIMIT ?",
            [*keys, limit],
        )

    def search(self, words: str, limit: int) -> list[StoredArticle]:
        """Visible articles whose title or excerpt hold every word, newest first."""
        # control characters (a NUL ends an FTS string early) separate words like spaces
        terms = [word for word in words.translate(_CONTROL_TO_SPACE).split() if word]
        if not terms:
            return []
        # each word quoted: what the user typed is text to find, never FTS syntax
        query = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        return self._articles(
            "WHERE visible = 1 AND id IN (SELECT rowid FROM articles_fts "
            "WHERE articles_fts MATCH ?) ORDER BY sort_at DESC LIMIT ?",
            [query, limit],
        )

    def topic_counts(self) -> list[tuple[str, int]]:
        """Known topics (display name) with their visible article counts, biggest first.

        Counting runs over every article (150 ms at 100,000), so the figures are kept and
        counted again only after articles changed, and then at most every few seconds.
        """
        now = time.monotonic()
        if self._topics is None or (self._topics_stale and now - self._topics_at > TOPICS_TTL):
            self._topics = self._count_topics()
            self._topics_at, self._topics_stale = now, False
        return self._topics

    def _count_topics(self) -> list[tuple[str, int]]:
        rows = self.db.execute(
            "SELECT MIN(t.name), COUNT(*) FROM article_topics t "
            "JOIN articles a ON a.id = t.article_id WHERE a.visible = 1 "
            "GROUP BY t.topic ORDER BY COUNT(*) DESC, t.topic"
        )
        return [(name, count) for name, count in rows]

    def _articles(self, where: str, params: list[Any]) -> list[StoredArticle]:
        rows = self.db.execute(
            f"SELECT id, data, path, visible, first_seen_at FROM articles {where}",
            params,
        )
        return [
            StoredArticle(row[0], article_from_json(row[1]), row[2], bool(row[3]), row[4])
            for row in rows
        ]

    # --- errors and figures -----------------------------------------------------------

    def ingest_errors(self, limit: int = 20) -> list[IngestError]:
        rows = self.db.execute(
            "SELECT path, reason, at FROM ingest_errors ORDER BY at DESC LIMIT ?", [limit]
        )
        return [IngestError(*row) for row in rows]

    def counts(self) -> dict[str, int]:
        """The figures of `/stats`."""
        one = self.db.execute(
            """SELECT
                (SELECT COUNT(*) FROM articles WHERE visible = 1),
                (SELECT COUNT(*) FROM articles WHERE published = 0 AND present = 1),
                (SELECT COUNT(*) FROM ingest_errors),
                (SELECT COUNT(*) FROM chats WHERE active = 1),
                (SELECT COUNT(*) FROM chats WHERE active = 0),
                (SELECT COUNT(DISTINCT chat_id) FROM subscriptions)"""
        ).fetchone()
        names = ["articles", "drafts", "ingest_errors", "chats", "inactive_chats", "subscribers"]
        figures = dict(zip(names, one, strict=True))
        for state, count in self.db.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY 1"):
            figures[f"pushes_{state}"] = count
        for state in ("pending", "sending", "sent", "failed", "cancelled"):
            figures.setdefault(f"pushes_{state}", 0)
        return figures


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


INSERT_ARTICLE = (
    "INSERT INTO articles (url, path, title, excerpt, provider, published, present, visible, "
    "published_at, sort_at, first_seen_at, updated_at, quality, category, kind, heat, data) "
    "VALUES (:url, :path, :title, :excerpt, :provider, :published, 1, :visible, "
    ":published_at, :sort_at, :first_seen_at, :updated_at, :quality, :category, :kind, "
    ":heat, :data)"
)
INSERT_TOPIC = "INSERT INTO article_topics (article_id, topic, name) VALUES (?, ?, ?)"


def _article_values(
    path: str, article: Article, first_seen: float, now: float, data_json: str | None
) -> dict[str, Any]:
    """The columns of an article's row (all but `present`, which a stored file sets)."""
    published_at = _iso(article.published_at) if article.published_at else None
    return {
        "url": article.url,
        "path": path,
        "title": article.title,
        "excerpt": article.excerpt,
        "provider": article.provider.name if article.provider else None,
        "published": int(article.published),
        "visible": int(article.published),
        "published_at": published_at,
        "sort_at": published_at or _iso(datetime.fromtimestamp(first_seen, UTC)),
        "first_seen_at": first_seen,
        "updated_at": now,
        "quality": article.quality,
        "category": article.category,
        "kind": article.kind,
        "heat": article.heat,
        "data": data_json or article_to_json(article),
    }


def _topic_rows(article_id: int, article: Article) -> list[tuple[int, str, str]]:
    topics = {topic.casefold(): topic for topic in article.topics}
    return [(article_id, key, name) for key, name in topics.items()]
