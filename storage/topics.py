"""How many visible articles each topic has, counted at most every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlite_utils import Database

TOPICS_TTL = 5.0  # seconds that topic counts may lag behind a change


class TopicCounts:
    """The topic list of `/topics`, kept between changes of the articles."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.clock = clock
        self._topics: list[tuple[str, int]] | None = None
        self._topics_at = 0.0
        self._topics_stale = True

    def mark_stale(self) -> None:
        """Articles changed: count again once the figures are a few seconds old."""
        self._topics_stale = True

    def counts(self) -> list[tuple[str, int]]:
        """Known topics (display name) with their visible article counts, biggest first.

        Counting runs over every article (150 ms at 100,000), so the figures are kept and
        counted again only after articles changed, and then at most every few seconds.
        """
        now = self.clock()
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
