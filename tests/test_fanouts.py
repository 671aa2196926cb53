"""The fan-out log line: one per article once none of its pushes is left to go, also for
a fan-out that a restart interrupted, and each check cheap however many pushes it has."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

import pytest

from bot.delivery.fanouts import FanOuts
from bot.foundation.config import Config
from storage import Store
from storage.store import FileState
from tests.conftest import eventually, start_bot, stop_bot
from tests.feeds import follow
from tests.outbox import TWO_TOPICS, traced_reads
from tests.publishing import PUBLISHING
from tests.standin import StandIn

QUEUED = 1_800_000_000.0  # the wall time the pushes were queued at


def queue_fan_out(store: Store, chats: int) -> int:
    """Queue the article for `chats` chats (their rows made at `QUEUED`); its id."""
    for chat in range(1, chats + 1):
        follow(store, chat, ["AI"])
    change = PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "h"), TWO_TOPICS, queue=True)
    assert change.article_id is not None
    store.db.execute("UPDATE deliveries SET created_at = ?", [QUEUED])
    return change.article_id


def settle_all(store: Store, states: list[str]) -> None:
    ids = [row[0] for row in store.db.execute("SELECT id FROM deliveries ORDER BY id")]
    for delivery_id, state in zip(ids, states, strict=True):
        store.db.execute("UPDATE deliveries SET state = ? WHERE id = ?", [state, delivery_id])


async def test_a_fan_out_resumed_after_a_restart_logs_done_as_one_run_in_one_go(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot stopped mid fan-out: the next start, which queued nothing, still ends it
    with the line one run would have logged, timed from when its pushes were queued."""
    caplog.set_level(logging.INFO, logger="bot.delivery.fanouts")
    article_id = queue_fan_out(store, 3)
    settle_all(store, ["sent", "pending", "sending"])  # as the stop left them
    fan_outs = FanOuts(store.figures, clock=lambda: 50.0, every=0.001, wall=lambda: QUEUED + 90)
    following = asyncio.create_task(fan_outs.run())
    try:
        # taken up at the start, timed from when its pushes were queued (90 s ago)
        await eventually(lambda: article_id in fan_outs.started)
        assert fan_outs.started == {article_id: 50.0 - 90.0}
        fan_outs.check()
        assert "done" not in caplog.text  # two of its pushes are still to go
        settle_all(store, ["sent", "sent", "failed"])
        await eventually(lambda: "done" in caplog.text, timeout=2.0)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    assert caplog.messages == [
        f"fan-out of article {article_id} done: 2 sent, 1 failed, 0 cancelled in 90.0 s"
    ]


def test_checking_a_fan_out_in_progress_probes_the_open_pushes_index(store: Store) -> None:
    """FanOuts asks every 2 s while a fan-out lasts: whether one push is left is one probe
    of the open pushes' index, not a count of the article's every push (100,000 rows)."""
    article_id = queue_fan_out(store, 3)
    fan_outs = FanOuts(store.figures)
    fan_outs.queued(article_id)
    reads = traced_reads(store, fan_outs.check)
    # LIMIT 1: the first open push found ends the search
    assert reads == ["SEARCH deliveries USING INDEX deliveries_open_pushes (article_id=?)"]
    assert fan_outs.started == {article_id: fan_outs.started[article_id]}  # still going


def test_a_fan_out_is_done_when_no_push_is_pending_or_sending(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """Held pushes (a digest's) and settled ones end it; the line counts what was sent."""
    caplog.set_level(logging.INFO, logger="bot.delivery.fanouts")
    article_id = queue_fan_out(store, 4)
    times = iter([10.0, 12.5])
    fan_outs = FanOuts(store.figures, clock=lambda: next(times))
    fan_outs.queued(article_id)
    settle_all(store, ["sent", "held", "cancelled", "sent"])
    fan_outs.check()
    assert caplog.messages == [
        f"fan-out of article {article_id} done: 2 sent, 0 failed, 1 cancelled in 2.5 s"
    ]
    assert fan_outs.started == {}


async def test_a_read_the_database_refuses_costs_a_warning_not_the_lines_for_good(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """The first looks at the outbox fail (an I/O error): warned, and the fan-out that was
    resumed is still followed and logged once the reads work again."""
    caplog.set_level(logging.INFO, logger="bot.delivery.fanouts")
    article_id = queue_fan_out(store, 2)
    failing = 3
    execute = store.db.execute

    def refusing(sql: str, *args: Any) -> Any:
        nonlocal failing
        if failing and sql.lstrip().upper().startswith("SELECT"):
            failing -= 1
            raise sqlite3.OperationalError("disk I/O error")
        return execute(sql, *args)

    store.db.execute = refusing  # type: ignore[method-assign, assignment]
    fan_outs = FanOuts(store.figures, clock=lambda: 50.0, every=0.001, wall=lambda: QUEUED)
    following = asyncio.create_task(fan_outs.run())
    try:
        await eventually(lambda: article_id in fan_outs.started)
        settle_all(store, ["sent", "sent"])
        await eventually(lambda: "done" in caplog.text, timeout=2.0)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and all("disk I/O error" in w for w in warnings)
    assert caplog.messages[-1].startswith(f"fan-out of article {article_id} done: 2 sent")


async def test_a_count_the_database_refuses_leaves_the_fan_out_for_the_next_look(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """The fan-out was forgotten before its pushes were counted: a count refused (an I/O
    error) lost its done line for good. It stays followed, and the next look logs it."""
    caplog.set_level(logging.INFO, logger="bot.delivery.fanouts")
    article_id = queue_fan_out(store, 2)
    settle_all(store, ["sent", "failed"])
    execute = store.db.execute
    refused = 0

    def refusing(sql: str, *args: Any) -> Any:
        nonlocal refused
        if "GROUP BY" in sql and not refused:  # the count of the article's pushes, once
            refused += 1
            raise sqlite3.OperationalError("disk I/O error")
        return execute(sql, *args)

    store.db.execute = refusing  # type: ignore[method-assign, assignment]
    fan_outs = FanOuts(store.figures, clock=lambda: 50.0, every=0.001, wall=lambda: QUEUED)
    fan_outs.queued(article_id)
    with pytest.raises(sqlite3.OperationalError):
        fan_outs.check()
    assert refused == 1 and article_id in fan_outs.started
    fan_outs.check()
    assert caplog.messages == [
        f"fan-out of article {article_id} done: 1 sent, 1 failed, 0 cancelled in 0.0 s"
    ]


async def test_a_read_refused_at_the_stop_costs_a_warning_not_the_clean_stop(
    config: Config,
    standin: StandIn,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a stop the bot looks once more, for the fan-outs the stop finished; that look
    was not guarded as the others are: a read the database refused there turned a clean
    stop into a traceback and exit 1 (and a revoked token's exit 2 into 1, restarted)."""
    bot, task, stop = await start_bot(config, standin)
    bot.fan_outs.queued(12345)  # followed: each look asks the database about it

    def refusing(article_id: int) -> bool:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(bot.store.figures, "fan_out_open", refusing)
    caplog.set_level(logging.WARNING, logger="bot.delivery.fanouts")
    await stop_bot(bot, task, stop)
    assert caplog.messages
    assert all("cannot read the fan-outs' progress (disk I/O error)" in m for m in caplog.messages)
