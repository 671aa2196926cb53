"""The sender's queries on every wake-up search indexes: none reads the whole outbox."""

from __future__ import annotations

import time

from storage import Store
from storage.store import FileState
from tests.feeds import follow
from tests.outbox import TWO_TOPICS, plan, traced_reads
from tests.publishing import PUBLISHING


def test_each_wake_up_query_reads_only_through_partial_indexes(store: Store) -> None:
    """ready(), next_due() and the digests' release find rows by index, whatever the
    outbox holds (sent rows stay until retention, pending ones can be 100,000s)."""
    for chat in (1, 2, 3):
        follow(store, chat, ["AI"])
    PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "h"), TWO_TOPICS, queue=True)
    traced: list[str] = []  # each statement with its parameters filled in
    store.db.conn.set_trace_callback(traced.append)
    now = time.time()
    assert [row.chat_id for row in store.outbox.ready(8, now, [2])] == [1, 3]
    assert store.outbox.next_due() == 0.0
    store.digests.release_due(now)
    store.db.conn.set_trace_callback(None)
    steps = [line for sql in traced for line in plan(store, sql)]
    reads = [line for line in steps if line.startswith(("SCAN", "SEARCH"))]
    outbox = [line for line in reads if line.split()[1] in ("d", "o", "deliveries")]
    # ready() asks twice (new pushes, then edits), each row checked against its chat's
    # open rows by feed; then next_due() and the digests' release
    expected = ["deliveries_pending", "deliveries_feed_open"]
    expected += ["deliveries_following", "deliveries_feed_open"]
    expected += ["deliveries_due", "deliveries_held"]
    assert len(outbox) == len(expected), steps
    assert all(index in line for line, index in zip(outbox, expected, strict=True)), outbox


def test_the_fan_out_figures_search_the_articles_pushes(store: Store) -> None:
    """FanOuts asks every 2 s while a fan-out lasts: reading the whole outbox each time
    cost CPU and filled the page cache with every row (RSS grew with the outbox)."""
    for chat in (1, 2, 3):
        follow(store, chat, ["AI"])
    change = PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "h"), TWO_TOPICS, queue=True)
    article_id = change.article_id
    assert article_id is not None
    assert store.figures.fan_out(article_id) == {"pending": 3}
    reads = traced_reads(store, lambda: store.figures.fan_out(article_id))
    assert reads == ["SEARCH deliveries USING INDEX deliveries_push (article_id=?)"]


def test_cancelling_an_articles_pushes_searches_them(store: Store) -> None:
    """Every unpublish or edit of an article cancels its waiting pushes (in the writer's
    transaction): reading the whole outbox each time held the write lock longer as the
    outbox grew, and filled the writer's page cache with every row."""
    for chat in (1, 2, 3):
        follow(store, chat, ["AI"])
    change = PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "h"), TWO_TOPICS, queue=True)
    article_id = change.article_id
    assert article_id is not None
    cancelled: list[int] = []
    reads = traced_reads(
        store, lambda: cancelled.append(store.outbox.cancel_article(article_id, time.time()))
    )
    assert cancelled == [3]
    assert reads and not [line for line in reads if line.startswith("SCAN")], reads


def test_a_digest_is_gathered_from_the_feeds_held_rows_not_its_history(store: Store) -> None:
    """When its hour comes, each digest feed's held pushes are gathered: by the held rows
    of that feed, not by every row of the feed, which keeps a month of sent pushes until
    retention (a loop stall at the top of each hour that grew with history)."""
    follow(store, 1, ["AI"])
    PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "h"), TWO_TOPICS, queue=True)
    now = time.time()
    [row] = store.outbox.ready(8, now)
    assert store.outbox.hold(row.id, now - 1, now)
    reads = traced_reads(store, lambda: store.digests.release_due(now))
    assert reads and all("deliveries_held" in line for line in reads), reads


def test_publishing_again_searches_the_articles_retractions(store: Store) -> None:
    """Publishing an article again cancels its retractions not yet sent: by the article's
    pushes, not by reading every pending row of the outbox (a fan-out's 100,000)."""
    for chat in (1, 2, 3):
        follow(store, chat, ["AI"])
    change = PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "h"), TWO_TOPICS, queue=True)
    assert change.article_id is not None
    article_id = change.article_id
    reads = traced_reads(
        store, lambda: store.followups.on_republished(article_id, time.time(), restore=False)
    )
    assert reads and not [line for line in reads if line.startswith("SCAN")], reads
