"""The outbox state machine: where a delivery row stands (`DeliveryState`), and every
move between states, each a method of `Outbox` holding the SQL that makes it.

    pending -> sending -> sent | failed | cancelled   (a retry: sending -> pending)
    pending -> held -> digested                        (a push kept for its feed's digest)

The values are stored in `deliveries.state` as they are spelled here. Other modules that
read rows by state write the members into their SQL (`f"state = '{PENDING}'"`), never a
bare string: `tests/test_outbox_states.py` keeps it so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from enum import StrEnum

from sqlite_utils import Database

from storage.models import Delivery


class DeliveryState(StrEnum):
    """Where an outbox row stands."""

    PENDING = "pending"  # waiting to go, no earlier than its `not_before`
    SENDING = "sending"  # on the wire: claimed by the sender
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # will not go (its article withdrawn, its feed stopped)
    HELD = "held"  # a push kept for its feed's digest, until `not_before`
    DIGESTED = "digested"  # a held push gathered into a digest row


PENDING, SENDING, SENT, FAILED, CANCELLED, HELD, DIGESTED = DeliveryState


def sql_list(*states: DeliveryState) -> str:
    """The states as an SQL list, `('pending', 'sending')`: literal, so that SQLite can
    match it against the partial indexes' WHERE."""
    return "(" + ", ".join(f"'{state}'" for state in states) + ")"


OPEN = sql_list(PENDING, SENDING)  # still to go: waiting or on the wire
WAITING = sql_list(PENDING, HELD)  # not on the wire yet: a cancellation stops them
SETTLED = sql_list(SENT, FAILED, CANCELLED, DIGESTED)  # final: retention may remove them

# which rows `ready` hands out (through which index), and which open rows of the same
# chat hold one back: pushes (and broadcasts, digests) wait for the chat's older ones;
# edits and retractions wait for every push of the chat and for the older ones of their
# own that are due
FIRST = ("deliveries_pending", "d.target_id IS NULL", "(o.target_id IS NULL AND o.id < d.id)")
FOLLOWING = (
    "deliveries_following",
    "d.target_id IS NOT NULL",
    "(o.target_id IS NULL OR (o.id < d.id AND o.not_before <= :now))",
)


# how the reason of a retry that waits out Telegram's flood limit begins (`/stats` counts
# the chats held so)
FLOOD_LIMIT = "flood limit"

# the edits and retractions of an article's pushes (they carry its article_id too)
FOLLOWUPS_OF_ARTICLE = (
    "target_id IN (SELECT id FROM deliveries WHERE kind = 'push' AND article_id = ?)"
)


class Outbox:
    """Delivery rows: pending -> sending -> sent | failed | cancelled.

    A push to a feed in quiet hours or with a digest waits `held` until its digest
    (`storage.digests`) takes it: held -> digested. Rows are created pending by whoever
    decides who gets them (`storage.queueing`, `storage.followups`, `storage.digests`);
    a cancelled push comes back pending when its article is queued again (queueing).
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def cancel_article(self, article_id: int, now: float) -> int:
        """Drop the article's waiting pushes, and queue it for no more feeds."""
        self.db.execute("DELETE FROM queueing WHERE article_id = ?", [article_id])
        # by index: its pushes (deliveries_push), then the edits and retractions of them
        # (deliveries_target); `article_id = ?` alone read the whole outbox on every edit
        cancelled = 0
        for which in ("kind = 'push' AND article_id = ?", FOLLOWUPS_OF_ARTICLE):
            cursor = self.db.execute(
                "UPDATE deliveries SET state = 'cancelled', updated_at = ? "  # noqa: S608
                f"WHERE {which} AND state IN ('pending', 'held')",
                [now, article_id],
            )
            cancelled += cursor.rowcount
        return cancelled

    def cancel_feed(self, feed_id: int, now: float) -> int:
        """Drop what was waiting for a feed that stopped."""
        cursor = self.db.execute(
            "UPDATE deliveries SET state = 'cancelled', updated_at = ? "
            "WHERE feed_id = ? AND state IN ('pending', 'held')",
            [now, feed_id],
        )
        return cursor.rowcount

    def cancel_chat(self, chat_id: int, now: float) -> int:
        """Drop what was waiting for every feed of a chat the bot may no longer write to."""
        cursor = self.db.execute(
            "UPDATE deliveries SET state = 'cancelled', updated_at = ? "
            "WHERE feed_id IN (SELECT id FROM feeds WHERE chat_id = ?) "
            "AND state IN ('pending', 'held')",
            [now, chat_id],
        )
        return cursor.rowcount

    def cancel_retractions(self, article_id: int, now: float) -> int:
        """The article is visible again: its retractions not sent yet need not go."""
        cursor = self.db.execute(
            # by the article's pushes (deliveries_push, deliveries_target), not by reading
            # every pending row of the outbox
            "UPDATE deliveries SET state = 'cancelled', updated_at = ? "  # noqa: S608
            f"WHERE {FOLLOWUPS_OF_ARTICLE} AND kind = 'retract' AND state = 'pending'",
            [now, article_id],
        )
        return cursor.rowcount

    def repush(self, push_ids: list[int], now: float) -> int:
        """sent -> pending: pushes whose message a retraction deleted go afresh (to an
        active chat) now that their article is visible again."""
        cursor = self.db.execute(
            """
            UPDATE deliveries SET state = 'pending', message_id = NULL, shown = NULL,
                   attempts = 0, not_before = 0, last_error = NULL, plain = 0, updated_at = :now
            WHERE id IN (SELECT value FROM json_each(:deleted)) AND feed_id IN (
                SELECT f.id FROM feeds f JOIN chats c ON c.id = f.chat_id WHERE c.active = 1)
            """,
            {"now": now, "deleted": json.dumps(push_ids)},
        )
        return cursor.rowcount

    def hold(self, delivery_id: int, until: float, now: float) -> bool:
        """pending -> held until `until` (its feed's digest); False when the row was taken
        meanwhile."""
        cursor = self.db.execute(
            "UPDATE deliveries SET state = 'held', not_before = ?, updated_at = ? "
            "WHERE id = ? AND state = 'pending' AND kind = 'push'",
            [until, now, delivery_id],
        )
        return cursor.rowcount == 1

    def mark_digested(self, feed_id: int, now: float) -> int:
        """held -> digested: the feed's held pushes that are due went into its digest row
        (in the transaction that wrote it)."""
        cursor = self.db.execute(
            "UPDATE deliveries SET state = 'digested', updated_at = ? "
            "WHERE feed_id = ? AND state = 'held' AND not_before <= ?",
            [now, feed_id, now],
        )
        return cursor.rowcount

    def mark_backlog_digested(self, feed_id: int, now: float) -> int:
        """pending -> digested: the feed's due pushes went into its backlog's digest row
        (in the transaction that wrote it)."""
        cursor = self.db.execute(
            "UPDATE deliveries SET state = 'digested', updated_at = ? WHERE id IN "
            "(SELECT id FROM deliveries WHERE feed_id = ? AND kind = 'push' "
            "AND state = 'pending' AND not_before <= ?)",
            [now, feed_id, now],
        )
        return cursor.rowcount

    def requeue_held(self, feed_id: int, now: float) -> int:
        """held -> pending for a feed whose settings changed: the sender decides afresh."""
        cursor = self.db.execute(
            "UPDATE deliveries SET state = 'pending', not_before = 0, updated_at = ? "
            "WHERE feed_id = ? AND state = 'held'",
            [now, feed_id],
        )
        return cursor.rowcount

    def move_feed(self, old_feed: int, new_feed: int) -> int:
        """Rows of a feed merged into another (a group that became a known supergroup, a
        deleted forum topic); a push the other feed has already stays with the old one.
        Returns how many rows moved."""
        cursor = self.db.execute(
            "UPDATE OR IGNORE deliveries SET feed_id = ? WHERE feed_id = ?", [new_feed, old_feed]
        )
        return cursor.rowcount

    def ready(self, limit: int, now: float, skip_chats: Iterable[int] = ()) -> list[Delivery]:
        """The oldest open row of each chat, when it is pending and due, oldest first;
        edits and retractions of sent messages after the chat's new messages.

        One row per chat at a time (all threads of a chat share it): a chat's next row
        waits until the one before it is settled, which keeps each chat's order and never
        hands out a chat id that a migration or deactivation may change meanwhile. An
        edit or retraction goes when its chat has no push waiting, and an edit still
        waiting out its coalescing minute holds up nothing.

        Pending rows are read in id order: pushes through deliveries_pending (not
        deliveries_due, which would sort every due row), edits and retractions through
        deliveries_following, so that the second pass does not walk a fan-out's 100,000
        pending pushes whenever the first finds fewer than `limit`. Each is checked
        against its chat's open rows only (CROSS JOIN: the chat's feeds first, then their
        open rows, not every open row of the outbox), so a queue of one push per chat
        costs the same at any size.
        """
        skip = json.dumps(sorted(skip_chats))
        rows = self._ready(FIRST, limit, now, skip)
        if len(rows) < limit:
            rows += self._ready(FOLLOWING, limit - len(rows), now, skip)
        return rows

    def _ready(
        self, which: tuple[str, str, str], limit: int, now: float, skip: str
    ) -> list[Delivery]:
        index, kinds, blocked_by = which
        rows = self.db.execute(
            # `which` is FIRST or FOLLOWING, constants of this module
            f"""
            SELECT d.id, d.feed_id, f.chat_id, f.thread_id, d.article_id, d.text,
                   d.attempts, d.last_error, d.kind, d.target_id, d.plain
            FROM deliveries d INDEXED BY {index} JOIN feeds f ON f.id = d.feed_id
            WHERE d.state = 'pending' AND +d.not_before <= :now AND {kinds}
              AND f.chat_id NOT IN (SELECT value FROM json_each(:skip))
              AND NOT EXISTS (
                SELECT 1 FROM feeds g CROSS JOIN deliveries o ON o.feed_id = g.id
                WHERE g.chat_id = f.chat_id AND o.state IN ('pending', 'sending')
                  AND o.id <> d.id AND (o.state = 'sending' OR {blocked_by}))
            ORDER BY d.id LIMIT :limit
            """,  # noqa: S608
            {"now": now, "skip": skip, "limit": limit},
        )
        return [replace(Delivery(*row[:10]), plain=bool(row[10])) for row in rows]

    def next_due(self) -> float | None:
        """When the earliest waiting pending row may go."""
        row = self.db.execute(
            "SELECT MIN(not_before) FROM deliveries WHERE state = 'pending'"
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def claim(self, delivery_id: int, now: float) -> bool:
        """pending -> sending; False when the row was cancelled or taken meanwhile."""
        cursor = self.db.execute(
            "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated_at = ? "
            "WHERE id = ? AND state = 'pending'",
            [now, delivery_id],
        )
        return cursor.rowcount == 1

    def mark_sent(self, delivery_id: int, message_id: int | None, now: float) -> None:
        self.db.execute(
            "UPDATE deliveries SET state = 'sent', message_id = ?, last_error = NULL, "
            "updated_at = ? WHERE id = ?",
            [message_id, now, delivery_id],
        )

    def mark_retry(
        self, delivery_id: int, error: str, not_before: float, now: float, *, count: bool = True
    ) -> None:
        """sending -> pending, to go again no earlier than `not_before`; `count=False` when
        the send was not a failed attempt (Telegram said wait, or the chat moved)."""
        self.db.execute(
            "UPDATE deliveries SET state = 'pending', last_error = ?, not_before = ?, "
            "attempts = attempts - ?, updated_at = ? WHERE id = ? AND state = 'sending'",
            [error, not_before, 0 if count else 1, now, delivery_id],
        )

    def retry_as_plain(self, delivery_id: int, error: str, now: float) -> None:
        """sending -> pending, at once and as plain text from now on: Telegram refused our
        HTML (`error`)."""
        self.db.execute(
            "UPDATE deliveries SET state = 'pending', plain = 1, last_error = ?, "
            "not_before = 0, updated_at = ? WHERE id = ? AND state = 'sending'",
            [f"refused markup: {error}", now, delivery_id],
        )

    def wait_out_flood(self, delivery_id: int, seconds: float, now: float) -> None:
        """sending -> pending for `seconds`, Telegram's retry_after: not a failed attempt."""
        reason = f"{FLOOD_LIMIT}: retry after {seconds:.0f}s"
        self.mark_retry(delivery_id, reason, now + seconds, now, count=False)

    def release_if_sending(self, delivery_id: int, now: float) -> None:
        """A send stopped because the bot is stopping: back to pending, to go next time."""
        self.db.execute(
            "UPDATE deliveries SET state = 'pending', updated_at = ? "
            "WHERE id = ? AND state = 'sending'",
            [now, delivery_id],
        )

    def cancel_if_sending(self, delivery_id: int, now: float) -> None:
        """A send stopped because its article was withdrawn: it will not go."""
        self.db.execute(
            "UPDATE deliveries SET state = 'cancelled', updated_at = ? "
            "WHERE id = ? AND state = 'sending'",
            [now, delivery_id],
        )

    def mark_failed(self, delivery_id: int, error: str, now: float) -> None:
        self.db.execute(
            "UPDATE deliveries SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
            [error, now, delivery_id],
        )

    def recover_in_flight(self, now: float, not_before: float) -> int:
        """After a crash: rows caught in `sending` may or may not have arrived; send again,
        no earlier than `not_before` (the chat may have had a message a moment ago)."""
        cursor = self.db.execute(
            "UPDATE deliveries SET state = 'pending', not_before = ?, "
            "last_error = 'interrupted while sending (may be a duplicate)', updated_at = ? "
            "WHERE state = 'sending'",
            [not_before, now],
        )
        return cursor.rowcount

    def shift_waits(self, step: float) -> int:
        """The sender's clock moved by `step` s: the waits it set (pending rows with an
        error: retries, resends after a crash) move with it, so that each is as far from
        its end as before (and one due stays due). Edits never tried wait on the
        writer's system time, which the sender's clock now follows: they stay."""
        cursor = self.db.execute(
            "UPDATE deliveries SET not_before = not_before + ? "
            "WHERE state = 'pending' AND not_before > 0 AND last_error IS NOT NULL",
            [step],
        )
        return cursor.rowcount

    def pending_count(self) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sending')"
        ).fetchone()
        return int(row[0])
