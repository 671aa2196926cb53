"""Queueing: who gets a new outbox row. An article made visible is queued for every feed
that follows it (at once, or in chunks of feeds with a durable mark); an admin's
broadcast for every active chat. The rows start `pending` (`storage.outbox`)."""

from __future__ import annotations

import json

from sqlite_utils import Database

from storage.models import Article
from storage.outbox import CANCELLED, PENDING
from storage.words import FeedWords, searchable

# feeds per transaction when an article is queued in chunks: ~15 ms of write lock each
CHUNK_FEEDS = 5000
LAST_ID = 2**63 - 1


class Queueing:
    """New pending rows: an article's pushes, a broadcast."""

    def __init__(self, db: Database, *, chunk_feeds: int | None = None) -> None:
        self.db = db
        # feeds per queueing transaction; None: an article is queued in one statement
        self.chunk_feeds = chunk_feeds
        self.muted_words = FeedWords(db, "mutes")
        self.required_words = FeedWords(db, "requires")

    def queue_push(self, article_id: int, article: Article, now: float) -> int:
        """Queue the article for every feed of an active chat that follows one of its topics.

        A feed whose earlier row was cancelled (the article was unpublished) gets it
        again; a feed that already has a row for it in any other state does not, nor,
        once retention removed rows of it that reached their feeds, a feed without a
        row (it may have been one of those). Every feed's muted and required words are
        looked for, one pattern a feed (`storage.words`).

        With `chunk_feeds` set (the watcher's writer thread), this transaction writes the
        article's queueing mark and queues its first chunk of feeds, unless an earlier
        article is still being queued; `queue_chunk` queues the rest, one transaction a
        chunk. Returns the rows queued here.
        """
        text = searchable(article)
        mentioned = self.muted_words.found_in(text)
        muted = json.dumps(sorted(feed for feed, found in mentioned.items() if found))
        required = self.required_words.found_in(text)
        lacking = json.dumps(sorted(feed for feed, found in required.items() if not found))
        if self.chunk_feeds is None:
            return self._queue_feeds(article_id, article.quality, muted, lacking, now)
        self.db.execute(
            "INSERT OR REPLACE INTO queueing "
            "(article_id, after_feed, quality, muted, lacking, created_at) "
            "VALUES (?, 0, ?, ?, ?, ?)",
            [article_id, article.quality, muted, lacking, now],
        )
        oldest = self.db.execute("SELECT article_id FROM queueing ORDER BY id LIMIT 1").fetchone()
        if oldest[0] != article_id:
            return 0  # after the articles still being queued (a scan's batch: one chunk a job)
        chunk = self.queue_chunk(now)
        return 0 if chunk is None else chunk[1]

    def queue_chunk(self, now: float) -> tuple[int, int] | None:
        """Queue the next chunk of feeds of the oldest queueing mark, and advance the mark
        (or delete it with the last chunk): the article and the rows queued, or None when
        nothing is left to queue. Marks are finished oldest first, one at a time, so a
        chat's pushes stay in the order their articles came. Run it in a transaction."""
        mark = self.db.execute(
            "SELECT id, article_id, after_feed, quality, muted, lacking "
            "FROM queueing ORDER BY id LIMIT 1"
        ).fetchone()
        if mark is None:
            return None
        mark_id, article_id, after, quality, muted, lacking = mark
        last = self.db.execute(
            "SELECT id FROM feeds WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?",
            [after, (self.chunk_feeds or CHUNK_FEEDS) - 1],
        ).fetchone()
        upto = None if last is None else int(last[0])
        queued = self._queue_feeds(article_id, quality, muted, lacking, now, after, upto)
        if upto is None:
            self.db.execute("DELETE FROM queueing WHERE id = ?", [mark_id])
        else:
            self.db.execute("UPDATE queueing SET after_feed = ? WHERE id = ?", [upto, mark_id])
        return article_id, queued

    def queueing_left(self) -> bool:
        """Whether an article is still being queued (chunks to go)."""
        return self.db.execute("SELECT 1 FROM queueing LIMIT 1").fetchone() is not None

    def _queue_feeds(
        self,
        article_id: int,
        quality: int | None,
        muted: str,
        lacking: str,
        now: float,
        after: int = 0,
        upto: int | None = None,
    ) -> int:
        """Queue the article for the matching feeds with ids in (after, upto]."""
        cursor = self.db.execute(
            f"""
            INSERT INTO deliveries (kind, article_id, feed_id, state, created_at, updated_at)
            SELECT 'push', :article, f.id, '{PENDING}', :now, :now
            FROM feeds f JOIN chats c ON c.id = f.chat_id
            WHERE f.id > :after AND f.id <= :upto AND c.active = 1
              AND (f.all_topics = 1 OR EXISTS (
                    SELECT 1 FROM article_topics t JOIN subscriptions s
                      ON s.topic = t.topic AND s.feed_id = f.id
                    WHERE t.article_id = :article))
              AND (f.min_quality IS NULL OR :quality IS NULL OR :quality >= f.min_quality)
              AND f.id NOT IN (SELECT value FROM json_each(:muted))
              AND f.id NOT IN (SELECT value FROM json_each(:lacking))
              AND (NOT (SELECT pushes_pruned FROM articles WHERE id = :article)
                   OR EXISTS (SELECT 1 FROM deliveries x WHERE x.kind = 'push'
                              AND x.article_id = :article AND x.feed_id = f.id))
            ORDER BY f.id
            ON CONFLICT (article_id, feed_id) WHERE kind = 'push'
            DO UPDATE SET state = '{PENDING}', attempts = 0, not_before = 0,
                          last_error = NULL, plain = 0, updated_at = excluded.updated_at
            WHERE state = '{CANCELLED}'
            """,  # noqa: S608 (the states are members of DeliveryState)
            {
                "article": article_id,
                "now": now,
                "quality": quality,
                "muted": muted,
                "lacking": lacking,
                "after": after,
                "upto": LAST_ID if upto is None else upto,
            },
        )
        return cursor.rowcount

    def queue_broadcast(self, text: str, now: float) -> int:
        """One broadcast row for every active chat, to the chat itself (its thread 0)."""
        cursor = self.db.execute(
            "INSERT INTO deliveries (kind, feed_id, text, state, created_at, updated_at) "  # noqa: S608 (a state)
            f"SELECT 'broadcast', f.id, ?, '{PENDING}', ?, ? FROM feeds f "
            "JOIN chats c ON c.id = f.chat_id WHERE c.active = 1 AND f.thread_id = 0",
            [text, now, now],
        )
        return cursor.rowcount
