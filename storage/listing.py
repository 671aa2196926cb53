"""Reading stored articles: one by id, the newest (of some topics), full-text search.

Each list is read in two steps: the ids, in order, from `articles_recent` (visible,
sort_at, heat), which holds all that ordering needs; then the rows of those ids only (a
row carries its whole article as JSON, some kilobytes: sorting rows would copy them all).

An article of given topics, or matching words, is found one of two ways, whichever reads
less: walking the newest articles and checking each (cheap when many match: a topic of a
tenth of the articles fills a page of 20 after some 200), or reading every match and
sorting them (cheap when few do). For topics the counts in `topic_counts` say which; for
words the walk is tried over the newest `SEARCH_WALK` articles first, and the matches are
sorted only when that window held too few (a rare word: few matches to sort). At 100,000
articles either way is a millisecond or two where the other could be a hundred (a topic
with a handful of articles walked to the end; a word in most articles sorted whole).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from storage.models import StoredArticle, article_from_json
from storage.rows import sortable_time

_CONTROL_TO_SPACE = {code: " " for code in range(32)}
SEARCH_WALK = 150  # newest articles checked one by one before the matches are sorted
OF_TOPICS_WALK = (
    "EXISTS (SELECT 1 FROM article_topics t WHERE t.article_id = a.id AND t.topic IN ({}))"
)
# `+a.visible`: driven by the topics' articles, not by walking every visible one
OF_TOPICS_SET = (
    "+a.visible = 1 AND a.id IN (SELECT article_id FROM article_topics WHERE topic IN ({}))"
)
HOTTEST = "ORDER BY a.heat IS NULL, a.heat DESC, a.sort_at DESC"


class Listing:
    """Visible articles as `/latest`, `/topic`, `/search` and the sender read them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def article(self, article_id: int) -> StoredArticle | None:
        rows = self._articles([article_id])
        return rows[0] if rows else None

    def path_of(self, url: str) -> str | None:
        """The file the article of `url` is stored from (kept once the file is gone)."""
        row = self.db.execute("SELECT path FROM articles WHERE url = ?", [url]).fetchone()
        return None if row is None else str(row[0])

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
        of_topics, params = self._of_topics(keys, limit + skip)
        return self._ids_then_articles(
            f"SELECT a.id FROM articles a WHERE {of_topics} "  # noqa: S608
            "ORDER BY a.sort_at DESC LIMIT ? OFFSET ?",
            [*params, limit, skip],
        )

    def hottest(
        self, since: datetime, limit: int, topics: Iterable[str] = ()
    ) -> list[StoredArticle]:
        """Visible articles (of any of `topics` when given) since then, by `heat`, hottest
        first (articles without heat last), then newest first."""
        keys = sorted({topic.casefold() for topic in topics})
        # the window is short (a day, a few): walking it is the cheaper way
        of_topics, params = self._of_topics(keys, 0)
        return self._ids_then_articles(
            f"SELECT a.id FROM articles a WHERE a.sort_at >= ? AND {of_topics} "  # noqa: S608
            f"{HOTTEST} LIMIT ?",
            [sortable_time(since), *params, limit],
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
        walked = [
            row[0]
            for row in self.db.execute(
                "SELECT a.id FROM (SELECT id FROM articles WHERE visible = 1 "
                "ORDER BY sort_at DESC LIMIT ?) a WHERE EXISTS (SELECT 1 FROM articles_fts "
                "WHERE articles_fts MATCH ? AND rowid = a.id) LIMIT ?",
                [max(SEARCH_WALK, limit + skip), query, limit + skip],
            )
        ]
        if len(walked) == limit + skip:  # a common word: the newest were enough
            return self._by_ids(walked[skip:])
        # a rare word: its few matches, sorted (+visible: by id, not walking every article)
        return self._ids_then_articles(
            "SELECT a.id FROM articles a WHERE +a.visible = 1 AND a.id IN (SELECT rowid "
            "FROM articles_fts WHERE articles_fts MATCH ?) ORDER BY a.sort_at DESC "
            "LIMIT ? OFFSET ?",
            [query, limit, skip],
        )

    def _of_topics(self, keys: list[str], wanted: int) -> tuple[str, list[Any]]:
        """The condition that an article `a` is visible and has one of the topics `keys`
        (any, when none), in the form that reads less to find the newest `wanted` (0: a
        short window, walked), with its parameters."""
        if not keys:
            return "a.visible = 1", []
        marks = ", ".join("?" for _ in keys)
        walk = True
        if wanted:
            counts = self.db.execute(
                f"SELECT COALESCE(SUM(count), 0) FROM topic_counts WHERE topic IN ({marks})",  # noqa: S608
                keys,
            ).fetchone()[0]
            newest = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0]
            # walking reads about wanted * articles / matches rows; sorting reads matches
            walk = counts * counts >= wanted * newest
        form = "a.visible = 1 AND " + OF_TOPICS_WALK if walk else OF_TOPICS_SET
        return form.format(marks), keys

    def _ids_then_articles(self, sql: str, params: list[Any]) -> list[StoredArticle]:
        return self._by_ids([row[0] for row in self.db.execute(sql, params)])

    def _by_ids(self, ids: list[int]) -> list[StoredArticle]:
        """The articles of `ids`, in that order."""
        found = {stored.id: stored for stored in self._articles(ids)}
        return [found[article_id] for article_id in ids if article_id in found]

    def _articles(self, ids: list[int]) -> list[StoredArticle]:
        rows = self.db.execute(
            "SELECT id, data, path, visible, first_seen_at FROM articles "
            "WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(ids)],
        )
        return [
            StoredArticle(row[0], article_from_json(row[1]), row[2], bool(row[3]), row[4])
            for row in rows
        ]
