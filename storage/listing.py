"""Reading stored articles: one by id, the newest (of some topics), full-text search."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from storage.models import StoredArticle, article_from_json
from storage.rows import sortable_time

_CONTROL_TO_SPACE = {code: " " for code in range(32)}


class Listing:
    """Visible articles as `/latest`, `/topic`, `/search` and the sender read them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def article(self, article_id: int) -> StoredArticle | None:
        rows = self._articles("WHERE id = ?", [article_id])
        return rows[0] if rows else None

    def changed_at(self, article_id: int) -> float | None:
        """When the article last changed (a version for a cache of it); None when unknown."""
        row = self.db.execute(
            "SELECT updated_at FROM articles WHERE id = ?", [article_id]
        ).fetchone()
        return None if row is None else float(row[0])

    def latest(
        self, limit: int, topics: Iterable[str] = (), *, skip: int = 0
    ) -> list[StoredArticle]:
        """The newest visible articles, of any of `topics` when given; after the `skip`
        newest (a later page)."""
        keys = sorted({topic.casefold() for topic in topics})
        if not keys:
            return self._articles(
                "WHERE visible = 1 ORDER BY sort_at DESC LIMIT ? OFFSET ?", [limit, skip]
            )
        marks = ", ".join("?" for _ in keys)
        return self._articles(
            "WHERE visible = 1 AND id IN (SELECT article_id FROM article_topics "  # noqa: S608
            f"WHERE topic IN ({marks})) ORDER BY sort_at DESC LIMIT ? OFFSET ?",
            [*keys, limit, skip],
        )

    def hottest(
        self, since: datetime, limit: int, topics: Iterable[str] = ()
    ) -> list[StoredArticle]:
        """Visible articles (of any of `topics` when given) since then, by `heat`, hottest
        first (articles without heat last), then newest first."""
        keys = sorted({topic.casefold() for topic in topics})
        marks = ", ".join("?" for _ in keys)
        of_topics = (
            "AND id IN (SELECT article_id FROM article_topics "  # noqa: S608
            f"WHERE topic IN ({marks})) "
            if keys
            else ""
        )
        return self._articles(
            f"WHERE visible = 1 AND sort_at >= ? {of_topics}"
            "ORDER BY heat IS NULL, heat DESC, sort_at DESC LIMIT ?",
            [sortable_time(since), *keys, limit],
        )

    def search(self, words: str, limit: int, *, skip: int = 0) -> list[StoredArticle]:
        """Visible articles whose title or excerpt hold every word, newest first; after
        the `skip` newest (a later page)."""
        # control characters (a NUL ends an FTS string early) separate words like spaces
        terms = [word for word in words.translate(_CONTROL_TO_SPACE).split() if word]
        if not terms:
            return []
        # each word quoted: what the user typed is text to find, never FTS syntax
        query = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        return self._articles(
            "WHERE visible = 1 AND id IN (SELECT rowid FROM articles_fts "
            "WHERE articles_fts MATCH ?) ORDER BY sort_at DESC LIMIT ? OFFSET ?",
            [query, limit, skip],
        )

    def _articles(self, where: str, params: list[Any]) -> list[StoredArticle]:
        """Articles matching `where`, a constant of this module; what varies is in `params`."""
        rows = self.db.execute(
            f"SELECT id, data, path, visible, first_seen_at FROM articles {where}",  # noqa: S608
            params,
        )
        return [
            StoredArticle(row[0], article_from_json(row[1]), row[2], bool(row[3]), row[4])
            for row in rows
        ]
