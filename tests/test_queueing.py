"""An article queued for many feeds in chunks, one transaction each (the writer thread),
with a durable mark: a stop between chunks resumes where it stopped, nothing lost or
doubled, each chat's pushes in the order of their articles."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

import bot.articles.writer
from bot.articles.writer import StoreWriter
from storage import Article, Store, open_store
from storage.store import Change, FileState
from tests.feeds import follow
from tests.publishing import PUBLISHING

FEEDS = 10
CHUNK = 3  # 10 feeds: chunks of 3, 3, 3, 1
A = Article(url="https://news.example.com/a", title="Robots everywhere", topics=("AI",))
B = Article(url="https://news.example.com/b", title="More robots", topics=("AI",))


def subscribed(store: Store, feeds: int = FEEDS) -> list[int]:
    return [follow(store, chat, ["AI"]) for chat in range(1, feeds + 1)]


def rows(store: Store, article_id: int) -> dict[int, list[str]]:
    """feed -> the states of the article's push rows for it."""
    found: dict[int, list[str]] = {}
    for feed, state in store.db.execute(
        "SELECT feed_id, state FROM deliveries WHERE article_id = ? ORDER BY id", [article_id]
    ):
        found.setdefault(feed, []).append(state)
    return found


def marks(store: Store) -> list[tuple[int, int]]:
    return list(store.db.execute("SELECT article_id, after_feed FROM queueing ORDER BY id"))


def store_in_chunks(store: Store, article: Article, path: str, chunks: int) -> int:
    """Store and queue the article as the writer's store does, stopping after `chunks`
    chunks (the first is in the article's own transaction): what a crash leaves."""
    store.queueing.chunk_feeds = CHUNK
    change = PUBLISHING.store_article(store, path, FileState(1, 1, path), article, queue=True)
    for _ in range(chunks - 1):
        with store.db.atomic():
            store.queueing.queue_chunk(time.time())
    assert change.article_id is not None
    return change.article_id


@pytest.mark.parametrize("chunks", [1, 2, 3])
async def test_a_stop_between_chunks_resumes_at_the_next_start(tmp_path: Path, chunks: int) -> None:
    """Stopped after chunk k, reopened: every feed gets the article exactly once, and the
    next article after it, in every chat."""
    path = tmp_path / "newsbot.db"
    store = open_store(path)
    feeds = subscribed(store)
    first = store_in_chunks(store, A, "a.txt", chunks)
    assert len(rows(store, first)) == CHUNK * chunks  # the rest is still to queue
    assert marks(store) == [(first, feeds[CHUNK * chunks - 1])]
    store.close()  # the process ends here

    store = open_store(path)
    writer = StoreWriter(store)
    # the next start's first write: the start-up scan finds a new article
    second = await writer.run(
        lambda own: PUBLISHING.store_article(own, "b.txt", FileState(1, 1, "b"), B, queue=True)
    )
    await writer.close()
    assert rows(store, first) == {feed: ["pending"] for feed in feeds}
    assert rows(store, second.article_id or 0) == {feed: ["pending"] for feed in feeds}
    assert marks(store) == []
    heads = store.db.execute("SELECT feed_id, article_id FROM deliveries ORDER BY id").fetchall()
    for feed in feeds:  # each chat: A's push before B's
        assert [article for f, article in heads if f == feed] == [first, second.article_id]
    store.close()


async def test_two_articles_being_queued_at_once_keep_each_chats_order(store: Store) -> None:
    """B stored while A is queued only in part (a scan's batch stores many files in one
    job): A's mark is finished first, so every chat gets A's push before B's."""
    feeds = subscribed(store)
    first = store_in_chunks(store, A, "a.txt", 1)
    second = store_in_chunks(store, B, "b.txt", 1)
    assert [article for article, _ in marks(store)] == [first, second]
    writer = StoreWriter(store)
    await writer.run(lambda own: None)
    await writer.close()
    assert marks(store) == []
    heads = store.db.execute("SELECT feed_id, article_id FROM deliveries ORDER BY id").fetchall()
    for feed in feeds:
        assert [article for f, article in heads if f == feed] == [first, second]


async def test_an_article_unpublished_between_chunks_is_queued_no_further(
    tmp_path: Path,
) -> None:
    """Withdrawn after two chunks: their rows are cancelled, the mark goes with them, and
    the writer (here at the next start) finds nothing left to queue."""
    path = tmp_path / "newsbot.db"
    store = open_store(path)
    feeds = subscribed(store)
    article_id = store_in_chunks(store, A, "a.txt", 2)
    withdrawn = dataclasses.replace(A, published=False)
    change = PUBLISHING.store_article(store, "a.txt", FileState(2, 2, "a2"), withdrawn, queue=True)
    assert (change.kind, change.cancelled) == ("unpublished", 2 * CHUNK)
    store.close()

    store = open_store(path)
    writer = StoreWriter(store)
    await writer.run(lambda own: None)
    await writer.close()
    assert rows(store, article_id) == {feed: ["cancelled"] for feed in feeds[: 2 * CHUNK]}
    assert marks(store) == []
    store.close()


async def test_an_article_withdrawn_at_the_next_start_is_resumed_then_cancelled(
    tmp_path: Path,
) -> None:
    """Stopped between chunks, and the file withdrawn while the bot was down: the start
    finishes the queueing first (in order), then the scan's withdrawal cancels it all."""
    path = tmp_path / "newsbot.db"
    store = open_store(path)
    feeds = subscribed(store)
    article_id = store_in_chunks(store, A, "a.txt", 2)
    store.close()

    store = open_store(path)
    writer = StoreWriter(store)
    withdrawn = dataclasses.replace(A, published=False)
    change = await writer.run(
        lambda own: PUBLISHING.store_article(
            own, "a.txt", FileState(2, 2, "a2"), withdrawn, queue=True
        )
    )
    await writer.close()
    assert (change.kind, change.cancelled) == ("unpublished", FEEDS)
    assert rows(store, article_id) == {feed: ["cancelled"] for feed in feeds}
    assert marks(store) == []
    store.close()


async def test_the_writer_queues_a_big_fan_out_in_chunks_and_counts_them_all(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the writer (as the watcher stores a file): the job returns once every feed
    is queued, each chunk committed on its own, and the change counts every push."""
    monkeypatch.setattr(bot.articles.writer, "CHUNK_FEEDS", CHUNK)
    feeds = subscribed(store)
    traced: list[str] = []  # the writer connection's pushes queued and commits, in order

    def trace(sql: str) -> None:
        if sql.strip().startswith("INSERT INTO deliveries") or sql == "COMMIT":
            traced.append(sql.split()[0])

    def job(own: Store) -> Change:
        own.db.conn.set_trace_callback(trace)
        return PUBLISHING.store_article(own, "a.txt", FileState(1, 1, "a"), A, queue=True)

    writer = StoreWriter(store)
    stored = await writer.run(job)
    await writer.close()
    assert stored.queued == CHUNK  # the article's own transaction: the first chunk
    assert writer.completed(stored).queued == FEEDS
    assert rows(store, stored.article_id or 0) == {feed: ["pending"] for feed in feeds}
    # four chunks, each committed on its own (then the look that finds none left)
    assert traced == ["INSERT", "COMMIT"] * 4 + ["COMMIT"]
    assert marks(store) == []


def test_chunks_queue_the_same_feeds_as_one_statement(tmp_path: Path) -> None:
    """Filters hold in every chunk: quality, mutes, required words, inactive chats,
    feeds that follow everything, feeds that follow nothing of the article."""
    picked = {}
    for chunk in (None, 2):
        store = open_store(tmp_path / f"{chunk}.db")
        for chat in range(1, 31):
            feed = follow(store, chat, ["AI"] if chat % 5 else ["Space"])
            if chat % 7 == 0:
                store.feeds.set_min_quality(feed, 90)
            if chat % 11 == 0:
                store.feeds.mute(feed, "robots")
            if chat % 13 == 0:
                store.settings.require(feed, "rockets")
            if chat % 17 == 0:
                store.chats.deactivate(chat)
            if chat == 25:
                store.feeds.set_all_topics(feed, True)
        store.queueing.chunk_feeds = chunk
        article = dataclasses.replace(A, quality=50)
        change = PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "a"), article, queue=True)
        while True:
            with store.db.atomic():
                if store.queueing.queue_chunk(time.time()) is None:
                    break
        picked[chunk] = sorted(rows(store, change.article_id or 0))
        store.close()
    assert picked[None] == picked[2]
    assert 10 < len(picked[2]) < 30
