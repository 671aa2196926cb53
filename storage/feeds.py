"""Feeds: where pushes go (a chat, or one forum thread of it), with their subscriptions,
settings and filters."""

from __future__ import annotations

import time

from sqlite_utils import Database

from storage.models import Feed
from storage.outbox import Outbox

GENERAL = 0  # the thread id of a chat's own feed (General, in a forum)


class Feeds:
    """What each feed follows and filters; the outbox cancels what a stopped feed awaited."""

    def __init__(self, db: Database, outbox: Outbox) -> None:
        self.db = db
        self.outbox = outbox

    def ensure(self, chat_id: int, thread_id: int = GENERAL) -> Feed:
        """The feed of a known chat (and thread), made when it does not exist yet."""
        feed = self.find(chat_id, thread_id)
        if feed is not None:  # nearly always: reading takes no write lock
            return feed
        self.db.execute(
            "INSERT OR IGNORE INTO feeds (chat_id, thread_id, created_at) VALUES (?, ?, ?)",
            [chat_id, thread_id, time.time()],
        )
        feed = self.find(chat_id, thread_id)
        assert feed is not None  # inserted just now
        return feed

    def find(self, chat_id: int, thread_id: int = GENERAL) -> Feed | None:
        row = self.db.execute(
            "SELECT f.id, f.chat_id, f.thread_id, c.type, c.active, f.all_topics, f.min_quality "
            "FROM feeds f JOIN chats c ON c.id = f.chat_id "
            "WHERE f.chat_id = ? AND f.thread_id = ?",
            [chat_id, thread_id],
        ).fetchone()
        if row is None:
            return None
        muted = tuple(
            word
            for (word,) in self.db.execute(
                "SELECT word FROM mutes WHERE feed_id = ? ORDER BY word", [row[0]]
            )
        )
        return Feed(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), row[6], muted)

    def of_chat(self, chat_id: int) -> list[int]:
        """The ids of a chat's feeds (its own, and its forum threads')."""
        rows = self.db.execute("SELECT id FROM feeds WHERE chat_id = ? ORDER BY id", [chat_id])
        return [feed_id for (feed_id,) in rows]

    def move_to_general(self, feed_id: int) -> int | None:
        """A forum topic was deleted: its feed joins the chat's General feed, once.

        General gains the topic's subscriptions (and follows everything if the topic did)
        and keeps its own filters, which its readers chose; the topic's queue moves there,
        except pushes General has already, which go nowhere twice. Returns how many rows
        moved, or None when the feed is gone or is General itself.
        """
        with self.db.atomic():
            row = self.db.execute(
                "SELECT chat_id, thread_id, all_topics FROM feeds WHERE id = ?", [feed_id]
            ).fetchone()
            if row is None or row[1] == GENERAL:
                return None
            general = self.ensure(row[0]).id
            self.db.execute(
                "INSERT OR IGNORE INTO subscriptions (topic, feed_id) "
                "SELECT topic, ? FROM subscriptions WHERE feed_id = ?",
                [general, feed_id],
            )
            if row[2]:
                self.db.execute("UPDATE feeds SET all_topics = 1 WHERE id = ?", [general])
            moved = self.outbox.move_feed(feed_id, general)
            # what stayed behind General has already; with the feed it goes
            self.db.execute("DELETE FROM feeds WHERE id = ?", [feed_id])
        return moved

    def subscribe(self, feed_id: int, topics: list[str]) -> None:
        with self.db.atomic():
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO subscriptions (topic, feed_id) VALUES (?, ?)",
                [(topic.casefold(), feed_id) for topic in topics],
            )

    def unsubscribe(self, feed_id: int, topics: list[str]) -> int:
        with self.db.atomic():
            removed = 0
            for topic in topics:
                removed += self.db.execute(
                    "DELETE FROM subscriptions WHERE topic = ? AND feed_id = ?",
                    [topic.casefold(), feed_id],
                ).rowcount
        return removed

    def set_all_topics(self, feed_id: int, follow: bool) -> None:
        """`/subscribe all` and `/unsubscribe all` (which also drops single topics)."""
        with self.db.atomic():
            self.db.execute("UPDATE feeds SET all_topics = ? WHERE id = ?", [int(follow), feed_id])
            if not follow:
                self.db.execute("DELETE FROM subscriptions WHERE feed_id = ?", [feed_id])

    def subscriptions(self, feed_id: int) -> tuple[bool, list[str]]:
        """Whether the feed follows everything, and the topics it follows by name."""
        row = self.db.execute("SELECT all_topics FROM feeds WHERE id = ?", [feed_id]).fetchone()
        topics = [
            topic
            for (topic,) in self.db.execute(
                "SELECT topic FROM subscriptions WHERE feed_id = ? ORDER BY topic", [feed_id]
            )
        ]
        return bool(row and row[0]), topics

    def set_min_quality(self, feed_id: int, quality: int | None) -> None:
        self.db.execute("UPDATE feeds SET min_quality = ? WHERE id = ?", [quality, feed_id])

    def mute(self, feed_id: int, word: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO mutes (feed_id, word) VALUES (?, ?)",
            [feed_id, word.casefold()],
        )

    def unmute(self, feed_id: int, word: str) -> bool:
        cursor = self.db.execute(
            "DELETE FROM mutes WHERE feed_id = ? AND word = ?", [feed_id, word.casefold()]
        )
        return cursor.rowcount > 0

    def clear_filters(self, feed_id: int) -> None:
        with self.db.atomic():
            self.db.execute("UPDATE feeds SET min_quality = NULL WHERE id = ?", [feed_id])
            self.db.execute("DELETE FROM mutes WHERE feed_id = ?", [feed_id])

    def stop(self, feed_id: int) -> None:
        """`/stop`: follow nothing any more, and drop what was waiting."""
        with self.db.atomic():
            self.db.execute("DELETE FROM subscriptions WHERE feed_id = ?", [feed_id])
            self.db.execute("UPDATE feeds SET all_topics = 0 WHERE id = ?", [feed_id])
            self.outbox.cancel_feed(feed_id, time.time())
