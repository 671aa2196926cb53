"""Chats as Telegram knows them, and the update ids already acted on."""

from __future__ import annotations

import time

from sqlite_utils import Database

from storage.models import Chat
from storage.outbox import Outbox
from storage.settings import COLUMNS, FeedSettings

# what a feed's readers chose, moved with it into a supergroup, and a new feed's values
MOVED = ", ".join([*COLUMNS, "all_topics", "min_quality"])
NEW_FEED = (*(getattr(FeedSettings(), name) for name in COLUMNS), 0, None)


class Chats:
    """Chat-level facts: type, title, whether the bot may still write there."""

    def __init__(self, db: Database, outbox: Outbox) -> None:
        self.db = db
        self.outbox = outbox

    def register(self, chat_id: int, chat_type: str, title: str | None) -> bool:
        """Record a chat that talked to the bot (reactivating it) with its own feed;
        True when it is new."""
        now = time.time()
        with self.db.atomic():
            known = self.db.execute("SELECT 1 FROM chats WHERE id = ?", [chat_id]).fetchone()
            self.db.execute(
                "INSERT INTO chats (id, type, title, active, created_at) VALUES (?, ?, ?, 1, ?) "
                "ON CONFLICT (id) DO UPDATE SET type = excluded.type, title = excluded.title, "
                "active = 1",
                [chat_id, chat_type, title, now],
            )
            self.db.execute(
                "INSERT OR IGNORE INTO feeds (chat_id, thread_id, created_at) VALUES (?, 0, ?)",
                [chat_id, now],
            )
        return known is None

    def get(self, chat_id: int) -> Chat | None:
        row = self.db.execute(
            "SELECT id, type, title, active FROM chats WHERE id = ?", [chat_id]
        ).fetchone()
        return None if row is None else Chat(row[0], row[1], row[2], bool(row[3]))

    def deactivate(self, chat_id: int) -> int:
        """The bot may no longer write here: stop, and cancel what was waiting for it."""
        with self.db.atomic():
            self.db.execute("UPDATE chats SET active = 0 WHERE id = ?", [chat_id])
            return self.outbox.cancel_chat(chat_id, time.time())

    def migrate(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: move the chat, its feeds' follows and their queue."""
        with self.db.atomic():
            if not self.db.execute("SELECT 1 FROM chats WHERE id = ?", [new_id]).fetchone():
                # feeds follow through ON UPDATE CASCADE, keeping their ids and rows
                self.db.execute(
                    "UPDATE chats SET id = ?, type = 'supergroup' WHERE id = ?", [new_id, old_id]
                )
                return
            old_feeds = self.db.execute(
                "SELECT id, thread_id FROM feeds WHERE chat_id = ?", [old_id]
            ).fetchall()
            for old_feed, thread_id in old_feeds:
                self.db.execute(
                    "INSERT OR IGNORE INTO feeds (chat_id, thread_id, created_at) VALUES (?, ?, ?)",
                    [new_id, thread_id, time.time()],
                )
                (new_feed,) = self.db.execute(
                    "SELECT id FROM feeds WHERE chat_id = ? AND thread_id = ?", [new_id, thread_id]
                ).fetchone()
                self._merge_feed(old_feed, new_feed)
                self.outbox.move_feed(old_feed, new_feed)
            self.db.execute("DELETE FROM chats WHERE id = ?", [old_id])

    def _merge_feed(self, old_feed: int, new_feed: int) -> None:
        """The group's feed joins the supergroup's: its topics always; its settings and
        filters too when the supergroup's feed has none of its own (registered by a
        command typed there before the move showed, as it nearly always is)."""
        self.db.execute(
            "INSERT OR IGNORE INTO subscriptions (topic, feed_id) "
            "SELECT topic, ? FROM subscriptions WHERE feed_id = ?",
            [new_feed, old_feed],
        )
        if not self._untouched(new_feed):
            self.db.execute(
                "UPDATE feeds SET all_topics = MAX(all_topics, "
                "(SELECT all_topics FROM feeds WHERE id = ?)) WHERE id = ?",
                [old_feed, new_feed],
            )
            return
        self.db.execute(
            f"UPDATE feeds SET ({MOVED}) = (SELECT {MOVED} FROM feeds WHERE id = ?) "  # noqa: S608
            "WHERE id = ?",
            [old_feed, new_feed],
        )
        for table in ("mutes", "requires"):
            self.db.execute(
                f"INSERT OR IGNORE INTO {table} (feed_id, word) "  # noqa: S608
                f"SELECT ?, word FROM {table} WHERE feed_id = ?",
                [new_feed, old_feed],
            )

    def _untouched(self, feed_id: int) -> bool:
        """Whether a feed has a new feed's settings and no filter."""
        row = self.db.execute(
            f"SELECT {MOVED} FROM feeds WHERE id = ?",  # noqa: S608
            [feed_id],
        ).fetchone()
        words = self.db.execute(
            "SELECT 1 FROM mutes WHERE feed_id = ? UNION ALL "
            "SELECT 1 FROM requires WHERE feed_id = ?",
            [feed_id, feed_id],
        ).fetchone()
        return tuple(row) == NEW_FEED and words is None

    def claim_update(self, update_id: int) -> bool:
        """True the first time an update id is seen; False for a re-delivered one."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO processed_updates (update_id, at) VALUES (?, ?)",
            [update_id, time.time()],
        )
        return cursor.rowcount == 1
