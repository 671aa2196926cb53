"""What the database knows of article files and the articles they hold: storing a parsed
file (resolving two files that name one webUrl), bulk import, errors, removal.

Storing says what changed (`Change`); what that does to the outbox (pushes queued,
cancelled, messages edited or retracted) is the bot's rule, `bot.articles.publishing`,
run in the same transaction."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlite_utils import Database

from storage.models import Article
from storage.rows import ArticleRow
from storage.topics import TopicCounts

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
    """What storing one file did: the kind of change and the article; then what the
    publishing rule did to the outbox (pushes queued, cancelled, follow-ups queued)."""

    kind: ChangeKind
    article_id: int | None = None
    queued: int = 0
    cancelled: int = 0
    other_path: str | None = None
    followups: int = 0  # edits or retractions of sent messages queued
    visible: bool = False  # the article is visible after the change
    before: str | None = None  # an edited article's stored data before the change
    hidden: int | None = None  # a visible article the change hid (its file went, or moved on)


class Files:
    """Files and the articles they hold."""

    def __init__(self, db: Database, topics: TopicCounts) -> None:
        self.db = db
        self.topics = topics

    def file_states(self, paths: Sequence[str] | None = None) -> dict[str, FileState]:
        """Every known file (or those of `paths`) with the size, mtime and hash last seen."""
        select = "SELECT path, size, mtime_ns, hash FROM files"
        if paths is None:
            rows = self.db.execute(select)
        else:
            marks = ", ".join("?" * len(paths))
            rows = self.db.execute(f"{select} WHERE path IN ({marks})", list(paths))
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

    def store_article(
        self,
        path: str,
        state: FileState,
        article: Article,
        *,
        data_json: str | None = None,
    ) -> Change:
        """Store a parsed file: what changed.

        `data_json` is `article_to_json(article)` when the caller made it already.
        """
        now = time.time()
        with self.db.atomic():
            row = self.db.execute(
                "SELECT id, path, visible, first_seen_at, data FROM articles WHERE url = ?",
                [article.url],
            ).fetchone()
            if row is not None and row[1] != path and self._file_holds(row[1], article.url):
                self._save_file(path, state, article.url)
                self._save_error(path, f"duplicate webUrl: the article is {row[1]}", now, row[1])
                return Change("duplicate", row[0], other_path=row[1])
            known = self.db.execute("SELECT url FROM files WHERE path = ?", [path]).fetchone()
            hidden = None
            if known is not None:
                if known[0] is not None and known[0] != article.url:
                    # the file now names another webUrl: it no longer holds the old article
                    hidden = self._hide_article(known[0], path, now).hidden
                self.db.execute("DELETE FROM ingest_errors WHERE path = ?", [path])
            article_id, was_visible = self._upsert_article(path, article, row, now, data_json)
            self._save_file(path, state, article.url)
            visible = article.published
            kind: ChangeKind = "edited"
            if row is None:
                kind = "new"
            elif visible and not was_visible:
                kind = "published"
            elif was_visible and not visible:
                kind = "unpublished"
            before = row[4] if kind == "edited" else None
            return Change(kind, article_id, visible=visible, before=before, hidden=hidden)

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

    def forget_moved(self, path: str, url: str) -> bool:
        """Forget a file that moved, leaving its article (`url`) as it is: the file it
        moved to, stored next in the same transaction, holds the article from then on.
        Nothing when the file holds no longer that article; whether it was forgotten."""
        if not self._file_holds(path, url):
            return False
        self.db.execute("DELETE FROM files WHERE path = ?", [path])
        self.db.execute("DELETE FROM ingest_errors WHERE path = ?", [path])
        return True

    def _file_holds(self, path: str, url: str) -> bool:
        row = self.db.execute("SELECT url FROM files WHERE path = ?", [path]).fetchone()
        return row is not None and row[0] == url

    def _hide_article(self, url: str, path: str, now: float) -> Change:
        row = self.db.execute(
            "SELECT id, visible FROM articles WHERE url = ? AND path = ?", [url, path]
        ).fetchone()
        if row is None:
            return Change("removed")
        self.topics.uncount([row[0]])
        self.db.execute(
            "UPDATE articles SET present = 0, visible = 0, updated_at = ? WHERE id = ?",
            [now, row[0]],
        )
        return Change("removed", row[0], hidden=row[0] if row[1] else None)

    def _upsert_article(
        self, path: str, article: Article, row: Any, now: float, data_json: str | None
    ) -> tuple[int, bool]:
        record = ArticleRow.of(article, data_json)
        if row is None:
            values = record.values(path, now, now)
            cursor = self.db.execute(INSERT_ARTICLE, values)
            article_id, was_visible = int(cursor.lastrowid or 0), False
        else:
            article_id, was_visible = int(row[0]), bool(row[2])
            self.topics.uncount([article_id])
            values = record.values(path, row[3], now)
            values["id"] = article_id
            del values["first_seen_at"]
            assignments = ", ".join(f"{name} = :{name}" for name in values if name != "id")
            # the column names come from ArticleRow.values; the values are parameters
            self.db.execute(
                f"UPDATE articles SET {assignments}, present = 1 WHERE id = :id",  # noqa: S608
                values,
            )
            self.db.execute("DELETE FROM article_topics WHERE article_id = ?", [article_id])
        self.db.conn.executemany(INSERT_TOPIC, record.topic_rows(article_id))
        self.topics.count([article_id])
        return article_id, was_visible

    def store_articles(self, items: Sequence[tuple[str, FileState, ArticleRow]]) -> list[Change]:
        """`store_article` for many files at once (bulk ingest and scans), in order.

        Files new to the database that name articles new to it, the bulk of a first
        import, go in with one statement per table, straight from their rows; the
        others one by one.
        """
        if not items:
            return []
        now = time.time()
        with self.db.atomic():
            known_paths = self._existing("SELECT path FROM files", "path", [i[0] for i in items])
            known_urls = self._existing(
                "SELECT url FROM articles", "url", [i[2].url for i in items]
            )
            fresh: dict[str, int] = {}  # url -> index of the file that brings it
            for index, (path, _, row) in enumerate(items):
                if path not in known_paths and row.url not in known_urls:
                    fresh.setdefault(row.url, index)
            new = [items[index] for index in fresh.values()]
            self.db.conn.executemany(INSERT_ARTICLE, [r.values(p, now, now) for p, _, r in new])
            ids = self._ids_of(list(fresh))
            self.db.conn.executemany(
                INSERT_TOPIC, [t for _, _, r in new for t in r.topic_rows(ids[r.url])]
            )
            self.topics.count(ids.values())
            self.db.conn.executemany(
                "INSERT INTO files (path, size, mtime_ns, hash, url) VALUES (?, ?, ?, ?, ?)",
                [(p, st.size, st.mtime_ns, st.hash, r.url) for p, st, r in new],
            )
            changes: list[Change] = []
            for index, (path, state, row) in enumerate(items):
                if fresh.get(row.url) != index:
                    changes.append(
                        self.store_article(path, state, row.article(), data_json=row.data)
                    )
                    continue
                changes.append(Change("new", ids[row.url], visible=row.published))
            return changes

    def _existing(self, select: str, column: str, values: list[str]) -> set[str]:
        """Which of `values` the constant query `select` finds in `column`."""
        rows = self.db.execute(
            f"{select} WHERE {column} IN (SELECT value FROM json_each(?))",  # noqa: S608
            [json.dumps(values)],
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
            # url_update is one of two constants
            "INSERT INTO files (path, size, mtime_ns, hash, url) VALUES (?, ?, ?, ?, ?) "  # noqa: S608
            "ON CONFLICT (path) DO UPDATE SET size = excluded.size, "
            f"mtime_ns = excluded.mtime_ns, hash = excluded.hash{url_update}",
            [path, state.size, state.mtime_ns, state.hash, url],
        )

    def _save_error(
        self, path: str, reason: str, now: float, duplicate_of: str | None = None
    ) -> None:
        self.db.execute(
            "INSERT INTO ingest_errors (path, reason, at, duplicate_of) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET reason = excluded.reason, at = excluded.at, "
            "duplicate_of = excluded.duplicate_of",
            [path, reason, now, duplicate_of],
        )


INSERT_ARTICLE = (
    "INSERT INTO articles (url, path, title, excerpt, provider, published, present, visible, "
    "published_at, sort_at, first_seen_at, updated_at, quality, category, kind, heat, data) "
    "VALUES (:url, :path, :title, :excerpt, :provider, :published, 1, :visible, "
    ":published_at, :sort_at, :first_seen_at, :updated_at, :quality, :category, :kind, "
    ":heat, :data)"
)
INSERT_TOPIC = "INSERT INTO article_topics (article_id, topic, name) VALUES (?, ?, ?)"
