"""What `/stats`, `/errors` and `newsbot stats` report."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlite_utils import Database

from storage.outbox import CANCELLED, FAILED, FLOOD_LIMIT, OPEN, PENDING, SENDING, SENT

# the line of /stats each kind of outbox row counts in: a broadcast is a message of its
# own, as a push is; a digest message is counted apart from the pushes it lists (those
# end `digested`), and an edit or retraction changes a message already counted
FIGURE_OF_KIND = {
    "push": "pushes",
    "broadcast": "pushes",
    "digest": "digests",
    "edit": "edits",
    "retract": "retractions",
}
# a push still to go, as deliveries_open_pushes holds them
OPEN_PUSH = f"kind = 'push' AND state IN {OPEN}"


@dataclass(frozen=True, slots=True)
class IngestError:
    """A bad article file and why; a duplicate names the file that holds its article."""

    path: str
    reason: str
    at: float
    duplicate_of: str | None = None


class Figures:
    """Counts over the whole database, and the latest bad article files."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def ingest_errors(self, limit: int | None = 20) -> list[IngestError]:
        """The latest bad files, newest first (every one with `limit` None)."""
        rows = self.db.execute(
            "SELECT path, reason, at, duplicate_of FROM ingest_errors ORDER BY at DESC LIMIT ?",
            [-1 if limit is None else limit],
        )
        return [IngestError(*row) for row in rows]

    def fan_out(self, article_id: int) -> dict[str, int]:
        """How the pushes of one article stand: a count per delivery state."""
        rows = self.db.execute(
            # its pushes only, not their edits and retractions; `kind` lets it search the
            # article's pushes by deliveries_push, where `target_id IS NULL` read the whole
            # outbox (every 2 s while a fan-out lasts: its pages filled the page cache)
            "SELECT state, COUNT(*) FROM deliveries WHERE article_id = ? AND kind = 'push' "
            "GROUP BY 1",
            [article_id],
        )
        return dict(rows.fetchall())

    def fan_out_open(self, article_id: int) -> bool:
        """Whether a push of the article is still to go (pending or sending)."""
        row = self.db.execute(
            # one probe of deliveries_open_pushes, however many pushes the article has
            f"SELECT 1 FROM deliveries WHERE article_id = ? AND {OPEN_PUSH} LIMIT 1",  # noqa: S608
            [article_id],
        ).fetchone()
        return row is not None

    def open_fan_outs(self) -> dict[int, float]:
        """The articles with pushes still to go (a fan-out a stop interrupted), each with
        when the first of those was queued."""
        rows = self.db.execute(
            f"SELECT article_id, MIN(created_at) FROM deliveries WHERE {OPEN_PUSH} "  # noqa: S608
            "GROUP BY article_id"
        )
        return {article_id: float(queued) for article_id, queued in rows}

    def counts(self) -> dict[str, int]:
        """The figures of `/stats`."""
        one = self.db.execute(
            """SELECT
                (SELECT COUNT(*) FROM articles WHERE visible = 1),
                (SELECT COUNT(*) FROM articles WHERE published = 0 AND present = 1),
                (SELECT COUNT(*) FROM ingest_errors),
                (SELECT COUNT(*) FROM chats WHERE active = 1),
                (SELECT COUNT(*) FROM chats WHERE active = 0),
                (SELECT COUNT(DISTINCT f.chat_id) FROM subscriptions s
                    JOIN feeds f ON f.id = s.feed_id)"""
        ).fetchone()
        names = ["articles", "drafts", "ingest_errors", "chats", "inactive_chats", "subscribers"]
        figures = dict(zip(names, one, strict=True))
        # rows that retention removed still count, through their running totals
        for kind, state, count in self.db.execute(
            "SELECT kind, state, SUM(n) FROM (SELECT kind, state, COUNT(*) AS n "
            "FROM deliveries GROUP BY 1, 2 "
            "UNION ALL SELECT kind, state, count FROM pruned_deliveries) GROUP BY 1, 2"
        ):
            key = f"{FIGURE_OF_KIND.get(kind, 'pushes')}_{state}"
            figures[key] = figures.get(key, 0) + count
        for what in dict.fromkeys(FIGURE_OF_KIND.values()):
            for state in (PENDING, SENDING, SENT, FAILED, CANCELLED):
                figures.setdefault(f"{what}_{state}", 0)
        held, until = self.flood_held(time.time())
        figures["flood_held_chats"] = held
        figures["flood_held_until"] = int(until or 0)
        return figures

    def flood_held(self, now: float) -> tuple[int, float | None]:
        """Chats whose next push waits for a flood limit's retry_after past `now`, and
        when the last of those waits ends."""
        row = self.db.execute(
            "SELECT COUNT(DISTINCT f.chat_id), MAX(d.not_before) FROM deliveries d "  # noqa: S608
            f"JOIN feeds f ON f.id = d.feed_id WHERE d.state = '{PENDING}' AND d.not_before > ? "
            f"AND d.last_error LIKE '{FLOOD_LIMIT}%'",
            [now],
        ).fetchone()
        return int(row[0]), None if row[1] is None else float(row[1])
