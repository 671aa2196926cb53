"""Retention: settled outbox rows and handled update ids past NEWSBOT_RETENTION_DAYS go,
in batches, while /stats keeps its totals and recent pushes keep their message ids."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.chat.guard import UpdateGuard
from bot.chat.reports import format_stats
from bot.cli.main import main
from bot.delivery.pruning import DAY, Pruner
from bot.foundation.config import load_config
from bot.foundation.errors import ConfigError
from storage import Store
from storage.store import FileState
from tests.conftest import eventually
from tests.feeds import follow
from tests.outbox import ARTICLE, edit, publish, sent_push
from tests.publishing import FOLLOWING

NOW = 2_000_000_000.0


def age_rows(store: Store, days: float) -> None:
    """Make every delivery row look last changed `days` ago."""
    store.db.execute("UPDATE deliveries SET updated_at = ?", [NOW - days * DAY])


def settle(store: Store, states: list[str]) -> list[int]:
    ids = [row[0] for row in store.db.execute("SELECT id FROM deliveries ORDER BY id")]
    for delivery_id, state in zip(ids, states, strict=True):
        store.db.execute(
            "UPDATE deliveries SET state = ?, message_id = ? WHERE id = ?",
            [state, delivery_id if state == "sent" else None, delivery_id],
        )
    return ids


async def test_old_settled_rows_go_and_stats_still_count_them(store: Store) -> None:
    """Sent, failed and cancelled rows older than the retention are removed in batches;
    pending rows stay whatever their age; /stats reports the same figures after."""
    for chat in range(1, 8):
        follow(store, chat, ["AI"])
    publish(store, "a")
    settle(store, ["sent", "sent", "sent", "failed", "cancelled", "pending", "sent"])
    age_rows(store, 31)
    store.db.execute("UPDATE deliveries SET updated_at = ? WHERE id = 7", [NOW - 2 * DAY])
    before = store.figures.counts()
    removed = await Pruner(store, 30, clock=lambda: NOW, batch=2).prune()
    assert removed == 5
    left = store.db.execute("SELECT id, state, message_id FROM deliveries ORDER BY id")
    assert left.fetchall() == [(6, "pending", None), (7, "sent", 7)]
    assert store.figures.counts() == before


async def test_stats_count_each_kind_of_row_as_before_after_pruning(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edits, retractions, digests and broadcasts removed by retention are not counted as
    pushes: /stats and `newsbot stats` show the same lines before and after."""
    for chat in range(1, 6):
        follow(store, chat, ["AI"])
    publish(store, "a")
    settle(store, ["sent", "sent", "failed", "cancelled", "digested"])
    rows = [("edit", 1, "sent"), ("retract", 2, "sent"), ("digest", None, "sent")]
    rows += [("broadcast", None, "sent"), ("edit", 1, "cancelled")]
    for kind, target, state in rows:
        store.db.execute(
            "INSERT INTO deliveries (kind, article_id, feed_id, target_id, state, created_at, "
            "updated_at) VALUES (?, 1, 1, ?, ?, 0, 0)",
            [kind, target, state],
        )
    age_rows(store, 31)
    monkeypatch.setenv("NEWSBOT_DB", str(store.path()))

    def shown() -> tuple[str, str]:
        assert main(["stats"]) == 0
        return format_stats(store.figures.counts()), capsys.readouterr().out

    before = shown()
    assert "Pushes: 3 sent, 0 pending, 1 failed, 1 cancelled" in before[0]
    assert "Edits of sent pushes: 1 sent" in before[0] and "Retractions: 1 sent" in before[0]
    assert "Digests: 1 sent, 0 pending" in before[0]
    assert await Pruner(store, 30, clock=lambda: NOW).prune() == 10
    assert store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0
    assert shown() == before
    assert before[1] == before[0] + "\n"


async def test_an_article_published_again_after_its_pushes_were_pruned_is_not_pushed_twice(
    store: Store,
) -> None:
    """Weeks after an article reached its chats, retention forgets those rows; withdrawn
    and published again then (a folder restored from a backup), it must not reach them
    a second time. A chat whose cancelled row is still known never had it: it gets it."""
    for chat in (1, 2, 3):
        follow(store, chat, ["AI"])
    article = replace(ARTICLE, url="https://news.example.com/a", title="Article a")
    publish(store, "a")
    settle(store, ["sent", "digested", "cancelled"])
    age_rows(store, 31)
    store.db.execute("UPDATE deliveries SET updated_at = ? WHERE id = 3", [NOW - DAY])
    assert await Pruner(store, 30, clock=lambda: NOW).prune() == 2
    for version, published in ((2, False), (3, True)):
        gone = replace(article, published=published)
        FOLLOWING.store_article(store, "a.txt", FileState(1, version, "a"), gone, queue=True)
    pending = store.db.execute(
        "SELECT f.chat_id FROM deliveries d JOIN feeds f ON f.id = d.feed_id "
        "WHERE d.state = 'pending'"
    )
    assert pending.fetchall() == [(3,)]


async def test_a_push_past_the_retention_stays_until_its_edit_is_settled(store: Store) -> None:
    """A sent push whose edit still waits (behind a long flood wait) keeps its row and
    message id past the retention, so that the edit finds its message; once the edit is
    settled, retention removes both."""
    sent_push(store, 5, 6)  # sent at 1000, long past the retention
    assert edit(store, "one") == 2
    pushes = dict(store.db.execute("SELECT feed_id, id FROM deliveries WHERE kind = 'push'"))
    edits = dict(store.db.execute("SELECT feed_id, id FROM deliveries WHERE kind = 'edit'"))
    waiting, done = edits[store.feeds.ensure(5).id], edits[store.feeds.ensure(6).id]
    store.outbox.claim(done, 1000.0)
    store.outbox.mark_sent(done, 506, 1000.0)
    store.outbox.claim(waiting, 1000.0)
    store.outbox.mark_retry(waiting, "flood limit: retry after 86400s", NOW + DAY, 1000.0)
    pruner = Pruner(store, 30, clock=lambda: NOW)
    assert await pruner.prune() == 2  # chat 6's push and its edit
    kept = pushes[store.feeds.ensure(5).id]
    assert store.followups.target(kept) is not None
    assert [row[0] for row in store.db.execute("SELECT id FROM deliveries")] == [kept, waiting]
    store.outbox.claim(waiting, 1000.0)
    assert await pruner.prune() == 0  # on the wire: still waiting for its answer
    store.outbox.mark_sent(waiting, 505, 1000.0)
    assert await pruner.prune() == 2
    assert store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0


async def test_handled_update_ids_past_the_retention_are_forgotten(store: Store) -> None:
    store.db.execute(
        "INSERT INTO processed_updates (update_id, at) VALUES (1, ?), (2, ?), (3, ?)",
        [NOW - 40 * DAY, NOW - 31 * DAY, NOW - DAY],
    )
    await Pruner(store, 30, clock=lambda: NOW, batch=1).prune()
    remaining = store.db.execute("SELECT update_id FROM processed_updates").fetchall()
    assert remaining == [(3,)]


async def test_nothing_younger_than_the_retention_is_touched(store: Store) -> None:
    follow(store, 1, ["AI"])
    publish(store, "a")
    settle(store, ["sent"])
    age_rows(store, 29.9)
    assert await Pruner(store, 30, clock=lambda: NOW).prune() == 0
    assert store.figures.counts()["pushes_sent"] == 1


async def test_update_ids_are_kept_at_least_a_day_whatever_the_retention(store: Store) -> None:
    """Retention alone forgets handled update ids, never those of the last day."""
    store.db.execute(
        "INSERT INTO processed_updates (update_id, at) VALUES (1, ?), (2, ?)",
        [NOW - 1.2 * DAY, NOW - 0.9 * DAY],
    )
    await Pruner(store, 0.5, clock=lambda: NOW).prune()
    remaining = store.db.execute("SELECT update_id FROM processed_updates").fetchall()
    assert remaining == [(2,)]


async def test_the_update_guard_forgets_nothing_and_still_drops_repeats(store: Store) -> None:
    """The guard only records ids (retention prunes them); a repeated id is dropped."""
    guard = UpdateGuard(store)
    store.db.execute("INSERT INTO processed_updates (update_id, at) VALUES (7, 0)")
    context: Any = None  # the guard reads nothing of it for an update without a message
    await guard.check(Update(update_id=1000), context)  # once the guard's pruning moment
    with pytest.raises(ApplicationHandlerStop):
        await guard.check(Update(update_id=1000), context)
    with pytest.raises(ApplicationHandlerStop):
        await guard.check(Update(update_id=7), context)  # weeks old, not yet pruned


def test_retention_days_is_a_setting_with_a_checked_value() -> None:
    assert load_config({}).retention_days == 30
    assert load_config({"NEWSBOT_RETENTION_DAYS": "7"}).retention_days == 7
    with pytest.raises(ConfigError, match="NEWSBOT_RETENTION_DAYS"):
        load_config({"NEWSBOT_RETENTION_DAYS": "0"})


async def test_after_a_pass_the_file_gives_back_the_pages_in_steps_under_50_ms(
    store: Store, tmp_path: Path
) -> None:
    """Retention frees the pages of the rows it removes; the pass then gives them back to
    the file system in steps none of which holds the event loop 50 ms, and the file
    shrinks with the rows kept (it used to stay at its largest)."""
    follow(store, 1, ["AI"])
    publish(store, "a")
    [(feed,)] = store.db.execute("SELECT feed_id FROM deliveries").fetchall()
    store.db.execute(  # 20,000 broadcasts of 600 characters, sent 40 days ago
        "INSERT INTO deliveries (kind, feed_id, state, text, created_at, updated_at) "
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
        "SELECT 'broadcast', ?, 'sent', hex(randomblob(300)), ?, ? FROM n",
        [feed, NOW - 40 * DAY, NOW - 40 * DAY],
    )
    path = tmp_path / "newsbot.db"
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.stat().st_size
    # the loop's own time in a step, not the time this busy machine's scheduler adds
    pruner = Pruner(store, 30, clock=lambda: NOW, batch=2000, timer=time.thread_time)
    passing = asyncio.create_task(pruner.run())
    try:
        await eventually(lambda: store.retention.free_pages() == 0 and pruner.longest_step > 0)
    finally:
        passing.cancel()
        await asyncio.gather(passing, return_exceptions=True)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 1
    assert path.stat().st_size < before / 4  # about 13 MB of rows went
    assert 0 < pruner.longest_step < 0.050
