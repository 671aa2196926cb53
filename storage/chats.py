"""Chats, their subscriptions and filters, and the update ids already acted on."""

from __future__ import annotations

import time

from sqlite_utils import Database

from storage.models import Chat


class Chats:
    """What each chat follows and whether the bot may still write to it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def register(self, chat_id: int, chat_type: str, title: str | None) -> bool:
        """Record a chat that talked to the bot (reactivating it); True when it is new."""
        known = self.db.execute("SELECT 1 FROM chats WHERE id = ?", [chat_id]).fetchone()
        self.db.execute(
            "INSERT INTO chats (id, type, title, active, created_at) VALUES (?, ?, ?, 1, ?) "
            "ON CONFLICT (id) DO UPDATE SET type = excluded.type, title = excluded.title, "
            "active = 1",
            [chat_id, chat_type, title, time.time()],
        )
        return known is None

    def get(self, chat_id: int) -> Chat | None:
        row = self.db.execute(
            "SELECT id, type, title, active, min_quality FROM chats WHERE id = ?", [chat_id]
        ).fetchone()
        if row is None:
            return None
        muted = tuple(
            word
            for (word,) in self.db.execute(
                "SELECT word FROM mutes WHERE chat_id = ? ORDER BY word", [chat_id]
            )
        )
        return Chat(row[0], row[1], row[2], bool(row[3]), row[4], muted)

    def deactivate(self, chat_id: int) -> int:
        """The bot may no longer write here: stop, and cancel what was waiting for it."""
        with self.db.atomic():
            self.db.execute("UPDATE chats SET active = 0 WHERE id = ?", [chat_id])
            cursor = self.db.execute(
                "UPDATE deliveries SET state = 'cancelled', updated_at = ? "
                "WHERE chat_id = ? AND state = 'pending'",
                [time.time(), chat_id],
            )
        return cursor.rowcount

    def migrate(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: move the chat, its follows and its queue."""
        with self.db.atomic():
            if self.db.execute("SELECT 1 FROM chats WHERE id = ?", [new_id]).fetchone():
                self.db.execute(
                    "INSERT OR IGNORE INTO subscriptions (topic, chat_id) "
                    "SELECT topic, ? FROM subscriptions WHERE chat_id = ?",
                    [new_id, old_id],
                )
                self.db.execute("DELETE FROM chats WHERE id = ?", [old_id])
            else:
                self.db.execute(
                    "UPDATE chats SET id = ?, type = 'supergroup' WHERE id = ?", [new_id, old_id]
                )
            self.db.execute(
                "UPDATE OR IGNORE deliveries SET chat_id = ? WHERE chat_id = ?", [new_id, old_id]
            )

    def subscribe(self, chat_id: int, topics: list[str]) -> None:
        with self.db.atomic():
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO subscriptions (topic, chat_id) VALUES (?, ?)",
                [(topic.casefold(), chat_id) for topic in topics],
            )

    def unsubscribe(self, chat_id: int, topics: list[str]) -> int:
        with self.db.atomic():
            removed = 0
            for topic in topics:
                removed += self.db.execute(
                    "DELETE FROM subscriptions WHERE topic = ? AND chat_id = ?",
                    [topic.casefold(), chat_id],
                ).rowcount
        return removed

    def set_all_topics(self, chat_id: int, follow: bool) -> None:
        """`/subscribe all` and `/unsubscribe all` (which also drops single topics)."""
        with self.db.atomic():
            self.db.execute("UPDATE chats SET all_topics = ? WHERE id = ?", [int(follow), chat_id])
            if not follow:
                self.db.execute("DELETE FROM subscriptions WHERE chat_id = ?", [chat_id])

    def subscriptions(self, chat_id: int) -> tuple[bool, list[str]]:
        """Whether the chat follows everything, and the topics it follows by name."""
        row = self.db.execute("SELECT all_topics FROM chats WHERE id = ?", [chat_id]).fetchone()
        topics = [
            topic
            for (topic,) in self.db.execute(
                "SELECT topic FROM subscriptions WHERE chat_id = ? ORDER BY topic", [chat_id]
            )
        ]
        return bool(row and row[0]), topics

    def set_min_quality(self, chat_id: int, quality: int | None) -> None:
        self.db.execute("UPDATE chats SET min_quality = ? WHERE id = ?", [quality, chat_id])

    def mute(self, chat_id: int, word: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO mutes (chat_id, word) VALUES (?, ?)",
            [chat_id, word.casefold()],
        )

    def unmute(self, chat_id: int, word: str) -> bool:
        cursor = self.db.execute(
            "DELETE FROM mutes WHERE chat_id = ? AND word = ?", [chat_id, word.casefold()]
        )
        return cursor.rowcount > 0

    def clear_filters(self, chat_id: int) -> None:
        with self.db.atomic():
            self.db.execute("UPDATE chats SET min_quality = NULL WHERE id = ?", [chat_id])
            self.db.execute("DELETE FROM mutes WHERE chat_id = ?", [chat_id])

    def stop(self, chat_id: int) -> None:
        """`/stop`: follow nothing any more, and drop what was waiting."""
        with self.db.atomic():
            self.db.execute("DELETE FROM subscriptions WHERE chat_id = ?", [chat_id])
            self.db.execute("UPDATE chats SET all_topics = 0 WHERE id = ?", [chat_id])
            self.db.execute(
                "UPDATE deliveries SET state = 'cancelled', updated_at = ? "
                "WHERE chat_id = ? AND state = 'pending'",
                [time.time(), chat_id],
            )

    def claim_update(self, update_id: int) -> bool:
        """True the first time an update id is seen; False for a re-delivered one."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO processed_updates (update_id, at) VALUES (?, ?)",
            [update_id, time.time()],
        )
        return cursor.rowcount == 1

    def forget_updates_before(self, moment: float) -> None:
        self.db.execute("DELETE FROM processed_updates WHERE at < ?", [moment])
