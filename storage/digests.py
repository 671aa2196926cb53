"""Digests in the outbox: pushes held for later, then gathered into one `digest` row per
feed, whose articles are marked as each message listing them goes out.

Durable by construction: holding, gathering and marking are each one statement or one
transaction, so a crash leaves every article either waiting or sent, never both.
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.models import StoredArticle, article_from_json
from storage.outbox import HELD, PENDING, Outbox

DIGEST = "digest"  # the kind of a digest row in `deliveries`


class Digests:
    """Held pushes and the digest rows they are gathered into."""

    def __init__(self, db: Database, outbox: Outbox) -> None:
        self.db = db
        self.outbox = outbox  # holding a push and releasing held ones are its moves

    def release_due(self, now: float) -> int:
        """Gather each feed's held pushes that are due into one pending digest row."""
        feeds = [
            feed_id
            for (feed_id,) in self.db.execute(
                # +feed_id: found through deliveries_held, not by reading every row
                # in feed order for DISTINCT (the planner's pick, 5 ms at 100,000 rows)
                f"SELECT DISTINCT +feed_id FROM deliveries WHERE state = '{HELD}' "  # noqa: S608
                "AND not_before <= ?",
                [now],
            )
        ]
        for feed_id in feeds:
            with self.db.atomic():
                digest_id = self.db.execute(
                    "INSERT INTO deliveries (kind, feed_id, state, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [DIGEST, feed_id, PENDING, now, now],
                ).lastrowid
                self.db.execute(
                    "INSERT OR IGNORE INTO digest_items (delivery_id, article_id) "  # noqa: S608
                    "SELECT ?, article_id FROM deliveries "
                    f"WHERE feed_id = ? AND state = '{HELD}' AND not_before <= ?",
                    [digest_id, feed_id, now],
                )
                self.outbox.mark_digested(feed_id, now)
        return len(feeds)

    def gather_backlog(self, feed_id: int, most: int, now: float) -> bool:
        """When the feed owes more than `most` pushes now, gather them all into one
        pending digest row (a backlog after downtime, or many files at once); whether it
        did."""
        owed = (
            f"FROM deliveries WHERE feed_id = ? AND kind = 'push' AND state = '{PENDING}' "
            "AND not_before <= ?"
        )
        count = f"SELECT COUNT(*) FROM (SELECT 1 {owed} LIMIT ?)"  # noqa: S608
        if self.db.execute(count, [feed_id, now, most + 1]).fetchone()[0] <= most:
            return False  # the common case, read without a transaction
        with self.db.atomic():
            if self.db.execute(count, [feed_id, now, most + 1]).fetchone()[0] <= most:
                return False
            digest_id = self.db.execute(
                "INSERT INTO deliveries (kind, feed_id, state, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [DIGEST, feed_id, PENDING, now, now],
            ).lastrowid
            self.db.execute(
                f"INSERT OR IGNORE INTO digest_items (delivery_id, article_id) "
                f"SELECT ?, article_id {owed}",
                [digest_id, feed_id, now],
            )
            self.outbox.mark_backlog_digested(feed_id, now)
        return True

    def listed(self, delivery_id: int) -> int:
        """How many of this digest's articles its messages listed already (a resumed
        digest: its first message went)."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM digest_items WHERE delivery_id = ? AND message_id IS NOT NULL",
            [delivery_id],
        ).fetchone()
        return int(row[0])

    def last_message(self, delivery_id: int) -> int | None:
        """The id of the digest's last message sent, if any went (a crash may come
        between its last message and the row's own mark)."""
        row = self.db.execute(
            "SELECT MAX(message_id) FROM digest_items WHERE delivery_id = ?", [delivery_id]
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def next_release(self) -> float | None:
        row = self.db.execute(
            f"SELECT MIN(not_before) FROM deliveries WHERE state = '{HELD}'"  # noqa: S608
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def unsent(self, delivery_id: int) -> list[StoredArticle]:
        """The digest's articles not sent yet and still visible, hottest first."""
        rows = self.db.execute(
            "SELECT a.id, a.data, a.path, a.visible, a.first_seen_at "
            "FROM digest_items i JOIN articles a ON a.id = i.article_id "
            "WHERE i.delivery_id = ? AND i.message_id IS NULL AND a.visible = 1 "
            "ORDER BY a.heat IS NULL, a.heat DESC, a.sort_at DESC",
            [delivery_id],
        )
        return [
            StoredArticle(row[0], article_from_json(row[1]), row[2], bool(row[3]), row[4])
            for row in rows
        ]

    def mark_items_sent(self, delivery_id: int, article_ids: list[int], message_id: int) -> None:
        """The message listing these articles arrived: they will not be listed again."""
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE digest_items SET message_id = ? WHERE delivery_id = ? AND article_id = ?",
                [(message_id, delivery_id, article_id) for article_id in article_ids],
            )
