"""The writer thread: the watcher's writes off the event loop, in order, each atomic."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.articles.writer import StoreWriter
from storage import Article, Store, open_store
from storage.store import FileState
from tests.feeds import follow
from tests.publishing import PUBLISHING

CHAT = 77
ARTICLE = Article(url="https://news.example.com/a", title="Robots", topics=("AI",))


async def test_jobs_run_in_order_on_one_thread_with_a_connection_of_their_own(
    store: Store,
) -> None:
    """Every job runs on the same worker thread, not the loop's, through another Store."""
    writer = StoreWriter(store)
    seen: list[tuple[int, int, bool]] = []
    for number in range(5):

        def job(own: Store, number: int = number) -> None:
            seen.append((number, threading.get_ident(), own is store))

        await writer.run(job)
    await writer.close()
    assert [number for number, _, _ in seen] == [0, 1, 2, 3, 4]
    assert len({thread for _, thread, _ in seen}) == 1
    assert seen[0][1] != threading.get_ident()
    assert not any(same for _, _, same in seen)


async def test_a_push_queued_by_a_job_is_ready_for_the_sender_once_the_job_returns(
    store: Store,
) -> None:
    """The loop's connection finds the job's rows as soon as its result is back."""
    follow(store, CHAT, ["AI"])
    writer = StoreWriter(store)
    change = await writer.run(
        lambda own: PUBLISHING.store_article(
            own, "a.txt", FileState(1, 1, "h"), ARTICLE, queue=True
        )
    )
    ready = store.outbox.ready(10, time.time())
    await writer.close()
    assert change.queued == 1
    assert [(row.chat_id, row.article_id) for row in ready] == [(CHAT, change.article_id)]


async def test_a_job_that_fails_leaves_nothing_behind(store: Store) -> None:
    """A job is one transaction: its error comes back and its writes are rolled back."""
    writer = StoreWriter(store)

    def job(own: Store) -> None:
        PUBLISHING.store_article(own, "a.txt", FileState(1, 1, "h"), ARTICLE, queue=False)
        raise ValueError("half way")

    with pytest.raises(ValueError, match="half way"):
        await writer.run(job)
    await writer.close()
    assert store.listing.latest(5) == []
    assert store.files.file_states() == {}


def test_a_transaction_takes_the_write_lock_as_it_begins(tmp_path: Path) -> None:
    """Two connections: a transaction that has only read already keeps the other's writes
    out, so the other cannot commit under it and make its first write fail."""
    one, other = open_store(tmp_path / "db.sqlite"), open_store(tmp_path / "db.sqlite")
    other.db.execute("PRAGMA busy_timeout = 0")
    with one.db.atomic():
        one.db.execute("SELECT COUNT(*) FROM articles").fetchone()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.db.execute("INSERT INTO meta (key, value) VALUES ('other', '1')")
        one.db.execute("INSERT INTO meta (key, value) VALUES ('one', '1')")
    other.db.execute("INSERT INTO meta (key, value) VALUES ('other', '1')")
    keys = [key for (key,) in one.db.execute("SELECT key FROM meta WHERE key IN ('one', 'other')")]
    assert sorted(keys) == ["one", "other"]
    one.close()
    other.close()
