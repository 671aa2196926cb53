"""Forgetting what is old: settled outbox rows (sent, failed, cancelled, digested) and handled update ids past the retention.

Rows go in small batches, one transaction each, so that a prune never holds the write
lock for long. What `/stats` counts survives: each removed row adds to a running total
per kind and state (`pruned_deliveries`). Open and held rows (pending, sending, held) are never removed, nor a
sent row younger than the cutoff: edits and retractions of recent pushes need its
message id. An older push is kept too while an edit or retraction of it is still to go
(one queued a month after the push, or held back by a long flood wait). This is the only place that forgets either (the update guard only adds ids).
An article whose push that reached its feed is removed is marked (`pushes_pruned`), so
that published again it is not queued for feeds that may have had it (`Queueing.queue_push`).
The pages the removed rows held are given back to the file system a few at a time
(`reclaim`, incremental auto-vacuum since migration 0012), so the file shrinks with them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing

from sqlite_utils import Database

from storage.outbox import DIGESTED, OPEN, SENT, SETTLED, sql_list

# SQLite's default: a commit that leaves the WAL this long copies it into the database
AUTOCHECKPOINT_PAGES = 1000

# Telegram re-delivers the last batch of updates after a crash: a handled update id is
# kept at least this long, whatever the retention, so that a repeat is recognised
UPDATE_WINDOW = 86400.0


class Retention:
    """Removes settled deliveries and processed update ids older than a moment."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def prune_deliveries(self, before: float, limit: int) -> int:
        """Remove up to `limit` settled rows last changed before `before`; how many went."""
        with self.db.atomic():
            self.db.execute(
                "CREATE TEMP TABLE IF NOT EXISTS doomed "
                "(id INTEGER PRIMARY KEY, kind TEXT, state TEXT, article_id INTEGER)"
            )
            self.db.execute("DELETE FROM temp.doomed")
            self.db.execute(
                "INSERT INTO temp.doomed SELECT id, kind, state, article_id FROM deliveries d "  # noqa: S608 (states)
                f"WHERE state IN {SETTLED} AND updated_at < ? "
                # an edit or retraction still to go needs its push's message id (by
                # deliveries_target): the push is kept until that follow-up is settled
                "AND NOT EXISTS (SELECT 1 FROM deliveries f WHERE f.target_id = d.id "
                f"AND f.state IN {OPEN}) LIMIT ?",
                [before, limit],
            )
            self.db.execute(
                "INSERT INTO pruned_deliveries (kind, state, count) "
                "SELECT kind, state, COUNT(*) FROM temp.doomed WHERE true GROUP BY 1, 2 "
                "ON CONFLICT (kind, state) DO UPDATE SET count = count + excluded.count"
            )
            # the article may have reached feeds the outbox no longer names
            self.db.execute(
                "UPDATE articles SET pushes_pruned = 1 WHERE pushes_pruned = 0 AND id IN "  # noqa: S608 (states)
                "(SELECT article_id FROM temp.doomed "
                f"WHERE kind = 'push' AND state IN {sql_list(SENT, DIGESTED)})"
            )
            cursor = self.db.execute(
                "DELETE FROM deliveries WHERE id IN (SELECT id FROM temp.doomed)"
            )
            return cursor.rowcount

    def prune_updates(self, before: float, limit: int) -> int:
        """Forget up to `limit` handled update ids older than `before`."""
        with self.db.atomic():
            cursor = self.db.execute(
                "DELETE FROM processed_updates WHERE update_id IN "
                "(SELECT update_id FROM processed_updates WHERE at < ? LIMIT ?)",
                [before, limit],
            )
            return cursor.rowcount

    def free_pages(self) -> int:
        """Pages the database file holds but no row uses."""
        return int(self.db.execute("PRAGMA freelist_count").fetchone()[0])

    def reclaim(self, pages: int) -> int:
        """Give up to `pages` free pages back to the file system, in one short write
        transaction (incremental auto-vacuum); how many went."""
        before = self.free_pages()
        # the pragma frees one page per step of its statement, and `execute` steps it once:
        # `executescript` runs it to its end (no transaction is open between our writes)
        self.db.conn.executescript(f"PRAGMA incremental_vacuum({int(pages)})")
        return before - self.free_pages()

    def hold_checkpoints(self) -> None:
        """Our commits stop copying the WAL into the database (`checkpoint` does it, from
        another thread): a reclaiming step then writes only its own pages."""
        self.db.execute("PRAGMA wal_autocheckpoint = 0")

    def resume_checkpoints(self) -> None:
        self.db.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")

    def checkpointer(self) -> Callable[[], None]:
        """A job for another thread: copy the WAL into the database file (which shrinks to
        the pages in use) on a connection of its own; a passive checkpoint blocks no writer."""
        path = self.db.execute("PRAGMA database_list").fetchone()[2]

        def checkpoint() -> None:
            with closing(sqlite3.connect(path, timeout=5)) as connection:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

        return checkpoint
