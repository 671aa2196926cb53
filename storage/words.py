"""The words feeds mute or require, matched against an article's title and excerpt.

Each feed's words are one compiled pattern (any of them standing whole, in any case),
kept until the feed's words change: an article is looked at against every feed that has
words, and compiling a regex per word per article (Python's own cache holds 512) made an
article cost seconds once feeds held thousands of words between them.
"""

from __future__ import annotations

import json
import re

from sqlite_utils import Database

from storage.models import Article

TABLES = ("mutes", "requires")


def searchable(article: Article) -> str:
    """The text that muted and required words are looked for in."""
    return f"{article.title}\n{article.excerpt or ''}".casefold()


def word_pattern(words: list[str]) -> re.Pattern[str]:
    """A pattern that finds any of `words` (casefolded) standing whole in a casefolded
    text: "AI" is in "new AI chips", not in "said"."""
    alternatives = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


class FeedWords:
    """The words of each feed in one table (`mutes` or `requires`), as one pattern a feed."""

    def __init__(self, db: Database, table: str) -> None:
        assert table in TABLES
        self.db = db
        self.table = table
        # feed -> (its words as read, their pattern)
        self._patterns: dict[int, tuple[str, re.Pattern[str]]] = {}

    def pattern(self, feed_id: int) -> re.Pattern[str] | None:
        """The pattern kept for a feed's words: None before the first look, or once the
        feed has no words."""
        kept = self._patterns.get(feed_id)
        return None if kept is None else kept[1]

    def found_in(self, text: str) -> dict[int, bool]:
        """For each feed that has words, whether one of them stands whole in `text`."""
        rows = self.db.execute(
            "SELECT feed_id, json_group_array(word) FROM "  # noqa: S608 (a table of TABLES)
            f"(SELECT feed_id, word FROM {self.table} ORDER BY feed_id, word) GROUP BY feed_id"
        )
        patterns: dict[int, tuple[str, re.Pattern[str]]] = {}
        found: dict[int, bool] = {}
        for feed_id, words in rows:
            kept = self._patterns.get(feed_id)
            if kept is None or kept[0] != words:
                kept = (words, word_pattern(json.loads(words)))
            patterns[feed_id] = kept
            found[feed_id] = kept[1].search(text) is not None
        self._patterns = patterns  # feeds whose words are gone are forgotten
        return found
