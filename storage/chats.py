"""Chats as Telegram knows them, and the update ids already acted on."""

from __future__ import annotations

import time

from sqlite_utils import Database

from storage.models import Chat
from storage.outbox import Outbox


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
                self.db.execute(
                    "INSERT OR IGNORE INTO subscriptions (topic, feed_id) "
                    "SELECT topic, ? FROM subscriptions WHERE feed_id = ?",
                    [new_feed, old_feed],
                )
                self.outbox.move_feed(old_feed, new_feed)
            self.db.execute("DELETE FROM chats WHERE id = ?", [old_id])

    def claim_update(self, update_id: int) -> bool:
        """True the first time an update id is seen; False for a re-delivered one."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO processed_updates (update_id, at) VALUES (?, ?)",
            [update_id, time.time()],
        )
        return cursor.rowcount == 1
