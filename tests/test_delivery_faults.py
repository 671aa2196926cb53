"""Faults the sender survives: outages, long flood waits, slow image hosts, a full disk,
a database locked by another process, and wall-clock steps."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.chat.reports import format_stats
from bot.delivery.sender import Sender
from bot.foundation.backoff import Backoff
from bot.foundation.config import Config
from bot.wiring import SteadyClock
from storage import Store
from storage.followups import EDIT_INTERVAL
from storage.settings import FeedSettings
from storage.store import FileState
from tests.conftest import eventually, write_lock
from tests.feeds import follow
from tests.outbox import ARTICLE, publish
from tests.publishing import FOLLOWING
from tests.sending import sending
from tests.standin import FloodRules, Sent, StandIn


def sends(standin: StandIn) -> int:
    return sum(1 for method, _ in standin.calls if method.startswith("send"))


def row_states(store: Store) -> list[tuple[str, int]]:
    return store.db.execute("SELECT state, attempts FROM deliveries ORDER BY id").fetchall()


async def test_a_long_outage_loses_nothing_doubles_nothing_and_holds_the_queue(
    store: Store, standin: StandIn
) -> None:
    """Sends answered 502 for longer than the old eight attempts: every row stays queued,
    the queue is probed one send at a time at a capped backoff (not each row on its own),
    and each chat gets its push once after."""
    chats = range(51, 56)
    for chat in chats:
        follow(store, chat, ["AI"])
    standin.outage = 502
    publish(store, "a")
    async with sending(store, standin, probe=Backoff(0.01, 0.16)):
        await standin.until(lambda: standin.stats.errors["outage"] >= 10 + len(chats))
        during, began = sends(standin), time.monotonic()
        # six more probes: one at a time, each at least the capped wait after the last
        await standin.until(lambda: sends(standin) >= during + 6)
        during, took = sends(standin) - during, time.monotonic() - began
        assert store.outbox.pending_count() == len(chats)  # none given up
        standin.outage = None
        await eventually(lambda: store.outbox.pending_count() == 0)
    # one probe at a time at the 0.16 s cap, whatever the rows: n sends took at least n - 1
    # waits (rows retried each on its own would send five at once); 10% for timer slack
    assert took >= (during - 1) * 0.16 * 0.9
    assert all(len(standin.messages_to(chat)) == 1 for chat in chats)
    assert all(state == "sent" for state, _ in row_states(store))


async def test_an_hours_long_flood_wait_holds_one_chat_and_is_reported(
    store: Store, standin: StandIn
) -> None:
    """A retry_after of two hours is honoured for that chat alone, does not count as an
    attempt, and shows in /stats and in the sender's problems."""
    follow(store, 11, ["AI"])
    follow(store, 12, ["AI"])
    standin.fail_next(
        lambda method, params: int(params.get("chat_id", 0)) == 11,
        429,
        "Too Many Requests: retry after 7200",
    )
    publish(store, "a")
    async with sending(store, standin) as sender:
        await eventually(lambda: store.outbox.pending_count() == 1)
        publish(store, "b")
        await eventually(lambda: len(standin.messages_to(12)) == 2)
        [problem] = sender.problems()
    assert problem.startswith("held by flood wait: 1 chats, until ")
    assert standin.messages_to(11) == []
    waiting = store.db.execute(
        "SELECT d.attempts, d.not_before FROM deliveries d JOIN feeds f ON f.id = d.feed_id "
        "WHERE f.chat_id = 11 ORDER BY d.id LIMIT 1"
    ).fetchone()
    assert waiting[0] == 0 and waiting[1] > time.time() + 7000
    assert "Held by flood wait: 1 chats, until " in format_stats(store.figures.counts())


async def test_a_flood_wait_for_every_chat_claims_nothing_until_it_ends(
    store: Store, standin: StandIn
) -> None:
    """A global retry_after of hours: no row is taken from the outbox (none waits in the
    pacer holding a chat id), nothing counts as an attempt, and it is a reported problem."""
    for chat in (71, 72):
        follow(store, chat, ["AI"])
    async with sending(store, standin) as sender:
        assert sender.pacer is not None
        sender.pacer.note_flood(999, 7200)  # 999 had nothing from us: the global limit
        publish(store, "a")
        looked = sender.looks
        sender.wake()
        await eventually(lambda: sender.looks >= looked + 2)  # it looked, and held
        assert [p for p in sender.problems() if "held by flood wait: all chats" in p]
    assert sends(standin) == 0
    assert row_states(store) == [("pending", 0), ("pending", 0)]


async def test_a_slow_image_host_does_not_make_a_photo_go_twice(
    store: Store, standin: StandIn
) -> None:
    """sendPhoto by URL waits longer than the text timeout: a slow answer is one send."""
    follow(store, 21, ["AI"])
    standin.slow_next(lambda method, params: method == "sendPhoto", 1.0)
    publish(store, "a")
    async with sending(store, standin, read_timeout=0.3):
        await eventually(lambda: store.outbox.pending_count() == 0)
    assert len(standin.messages_to(21)) == 1
    assert row_states(store) == [("sent", 1)]


async def test_timed_out_text_is_sent_again_because_it_may_not_have_arrived(
    store: Store, standin: StandIn
) -> None:
    """At-least-once: a text send that times out may have arrived, and goes again."""
    store.chats.register(22, "private", None)
    standin.slow_next(lambda method, params: method == "sendMessage", 1.0)
    store.queueing.queue_broadcast("Maintenance tonight", time.time())
    async with sending(store, standin, read_timeout=0.3, backoff=Backoff(0.01, 0.01)):
        await eventually(lambda: store.outbox.pending_count() == 0)
    assert len(standin.messages_to(22)) == 2  # the slow one arrived, and so did the retry
    assert row_states(store) == [("sent", 2)]


class FullDisk:
    """Database.execute refusing every write with SQLITE_FULL while `full` is set: the
    storage boundary, where a full disk shows itself. With `only`, just the writes that
    contain it (a disk that fills in the middle of a transaction)."""

    def __init__(self, store: Store, only: str | None = None) -> None:
        self.full = False
        self.refused = 0
        self.only = only
        self._execute = store.db.execute
        store.db.execute = self  # type: ignore[method-assign, assignment]

    def __call__(self, sql: str, *args: Any) -> Any:
        refusing = self.full and (self.only is None or self.only in sql)
        if refusing and sql.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.refused += 1
            raise sqlite3.OperationalError("database or disk is full")
        return self._execute(sql, *args)


async def test_a_full_disk_holds_the_settlement_and_resumes_by_itself(
    store: Store, standin: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """A send answered while the disk is full is settled once space returns: logged once,
    reported as a problem, nothing lost, nothing sent twice."""
    follow(store, 31, ["AI"])
    follow(store, 32, ["AI"])
    disk = FullDisk(store)
    standin.slow_next(lambda method, params: int(params.get("chat_id", 0)) == 31, 0.5)
    publish(store, "a")
    async with sending(store, standin) as sender:
        await standin.until(lambda: len(standin.messages_to(31)) == 1)
        disk.full = True
        await eventually(lambda: disk.refused >= 3)
        assert [p for p in sender.problems() if "database or disk is full" in p]
        disk.full = False
        await eventually(lambda: store.outbox.pending_count() == 0)
        assert sender.problems() == []
    assert [len(standin.messages_to(chat)) for chat in (31, 32)] == [1, 1]
    assert [state for state, _ in row_states(store)] == ["sent", "sent"]
    assert caplog.text.count("the database refused a write") == 1


async def test_a_retraction_whose_settlement_failed_midway_still_records_the_deletion(
    store: Store, standin: StandIn
) -> None:
    """The disk fills after a retraction's row is marked sent but before what it left of
    the message is written: the transaction is tried again whole, deletion included, so
    that the article published again comes back to the chat as a fresh push (not: the
    deletion forgotten, and the chat never gets it again)."""
    follow(store, 33, ["AI"])
    publish(store, "a")
    article = replace(ARTICLE, url="https://news.example.com/a", title="Article a")
    disk = FullDisk(store, only="SET withdrawn")
    async with sending(store, standin, limits=Config(token=None)) as sender:
        await eventually(lambda: store.outbox.pending_count() == 0)
        disk.full = True
        withdrawn = replace(article, published=False)
        FOLLOWING.store_article(store, "a.txt", FileState(1, 1, "a2"), withdrawn, queue=True)
        sender.wake()
        await eventually(lambda: disk.refused >= 1)
        disk.full = False
        await eventually(lambda: store.outbox.pending_count() == 0)
        assert [e.method for e in standin.edits_to(33)] == ["deleteMessage"]
        [(left,)] = store.db.execute("SELECT withdrawn FROM deliveries WHERE kind = 'push'")
        assert left == "deleted"
        FOLLOWING.store_article(store, "a.txt", FileState(1, 1, "a3"), article, queue=True)
        sender.wake()
        await standin.until(lambda: len(standin.messages_to(33)) == 2)


async def test_a_write_lock_held_by_another_process_delays_pushes(
    store: Store, standin: StandIn, tmp_path: Path
) -> None:
    """Another connection holds BEGIN IMMEDIATE past our busy timeout: the sender waits it
    out and then delivers everything, once."""
    store.db.execute("PRAGMA busy_timeout = 100")  # meet the lock within the test's time
    for chat in (41, 42, 43):
        follow(store, chat, ["AI"])
    publish(store, "a")
    other = sqlite3.connect(tmp_path / "newsbot.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        async with sending(store, standin) as sender:
            await eventually(lambda: bool(sender.problems()))
            assert "database is locked" in sender.problems()[0] and sender.alive
            other.execute("ROLLBACK")
            await eventually(lambda: store.outbox.pending_count() == 0)
    finally:
        other.close()
    assert [len(standin.messages_to(chat)) for chat in (41, 42, 43)] == [1, 1, 1]


async def test_an_edit_answered_while_the_database_is_locked_is_not_a_failed_attempt(
    store: Store, standin: StandIn, tmp_path: Path
) -> None:
    """Another process holds the write lock when an edit's answer comes: what the message
    shows now is written with the row's state once the lock goes, rather than counted as
    a failed attempt (eight of which give the edit up) and the edit sent again."""
    follow(store, 51, ["AI"])
    publish(store, "a")
    clock = SteppedWallClock()
    # paced as Telegram counts (the stand-in's 1 a second to a private chat), so that
    # no 429 sends the edit twice
    async with sending(store, standin, limits=Config(token=None), clock=clock) as sender:
        await eventually(lambda: store.outbox.pending_count() == 0)
        corrected = replace(ARTICLE, url="https://news.example.com/a", title="Article a, fixed")
        FOLLOWING.store_article(store, "a.txt", FileState(1, 1, "a2"), corrected, queue=True)
        standin.slow_next(lambda method, params: method.startswith("editMessage"), 0.3)
        store.db.execute("PRAGMA busy_timeout = 100")  # meet the lock within the test's time
        clock.offset += EDIT_INTERVAL + 1
        sender.wake()
        await standin.until(lambda: bool(edit_requests(standin)))  # on the wire
        with write_lock(tmp_path / "newsbot.db"):
            await eventually(lambda: bool(sender.problems()))
        await eventually(lambda: store.outbox.pending_count() == 0)
    assert len(edit_requests(standin)) == 1
    edit = store.db.execute("SELECT state, attempts FROM deliveries WHERE kind = 'edit'")
    assert edit.fetchall() == [("sent", 1)]
    [(shown,)] = store.db.execute("SELECT shown FROM deliveries WHERE kind = 'push'")
    assert "Article a, fixed" in shown


async def test_an_edit_whose_answer_timed_out_records_what_its_message_shows(
    store: Store, standin: StandIn
) -> None:
    """An edit that arrived but whose answer timed out goes again and is told 'message is
    not modified': the message shows that version, and it is recorded so. Else the record
    kept the old version, and the article edited back to it was never edited back: the
    message kept showing the correction."""
    clock = SteppedWallClock()
    original = replace(ARTICLE, url="https://news.example.com/a", title="Article a")
    corrected = replace(original, title="Article a, fixed")
    async with pushed_and_timing_out(store, standin, 52, clock) as (sender, message):
        FOLLOWING.store_article(store, "a.txt", FileState(1, 1, "a2"), corrected, queue=True)
        # handled at once, answered after the bot stopped waiting: the edit goes again
        standin.slow_next(lambda method, params: method.startswith("editMessage"), 1.0)
        await edits_due(store, sender, clock)
        assert len(edit_requests(standin)) == 2
        [(shown,)] = store.db.execute("SELECT shown FROM deliveries WHERE kind = 'push'")
        assert "Article a, fixed" in shown
        FOLLOWING.store_article(store, "a.txt", FileState(1, 1, "a3"), original, queue=True)
        await edits_due(store, sender, clock)
    assert len(edit_requests(standin)) == 3
    shows = standin.bot_messages[(52, message.message_id)].text
    assert shows is not None and shows.startswith("Article a\n")


async def test_a_withdrawn_notice_whose_answer_timed_out_is_edited_back_when_republished(
    store: Store, standin: StandIn
) -> None:
    """The same for the withdrawn notice of a message too old to delete: sent again, 'not
    modified', it is recorded as shown, so publishing the article again edits the message
    back to it instead of leaving the notice for good."""
    clock = SteppedWallClock()
    article = replace(ARTICLE, url="https://news.example.com/a", title="Article a")
    async with pushed_and_timing_out(store, standin, 53, clock) as (sender, message):
        store.db.execute("UPDATE deliveries SET updated_at = updated_at - 3 * 86400")
        standin.slow_next(lambda method, params: method.startswith("editMessage"), 1.0)
        withdrawn = replace(article, published=False)
        FOLLOWING.store_article(store, "a.txt", FileState(1, 1, "a2"), withdrawn, queue=True)
        sender.wake()
        await eventually(lambda: store.outbox.pending_count() == 0)
        assert len(edit_requests(standin)) == 2
        notice = standin.bot_messages[(53, message.message_id)].html
        assert notice is not None and notice.startswith("<s>")
        FOLLOWING.store_article(store, "a.txt", FileState(1, 1, "a3"), article, queue=True)
        await edits_due(store, sender, clock)
    assert len(edit_requests(standin)) == 3
    assert standin.bot_messages[(53, message.message_id)].html == message.html


@asynccontextmanager
async def pushed_and_timing_out(
    store: Store, standin: StandIn, chat: int, clock: SteppedWallClock
) -> AsyncIterator[tuple[Sender, Sent]]:
    """A sender on `clock` whose requests time out after 0.3 s and are retried at once,
    once article "a" is pushed to `chat` with edits and retractions on; and its message."""
    follow(store, chat, ["AI"])
    publish(store, "a")
    async with sending(
        store, standin, limits=Config(token=None), clock=clock, read_timeout=0.3,
        backoff=Backoff(0.01, 0.01),
    ) as sender:  # fmt: skip
        await eventually(lambda: store.outbox.pending_count() == 0)
        [message] = standin.messages_to(chat)
        yield sender, message


async def edits_due(store: Store, sender: Sender, clock: SteppedWallClock) -> None:
    """Move the sender's clock past the edits' minute and wait for the queue."""
    clock.offset += 2 * EDIT_INTERVAL + 1
    sender.wake()
    await eventually(lambda: store.outbox.pending_count() == 0)


def edit_requests(standin: StandIn) -> list[str]:
    return [method for method, _ in standin.calls if method.startswith("editMessage")]


def to_chat(chat_id: int) -> Callable[[str, dict[str, Any]], bool]:
    return lambda method, params: int(params.get("chat_id", 0)) == chat_id


class SteppedWallClock:
    """The system time plus an offset the test steps, as NTP would."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


async def test_wall_clock_steps_during_a_fan_out_change_nothing(store: Store) -> None:
    """NTP steps the clock an hour back mid fan-out, then an hour ahead: pacing stays
    within Telegram's limits (no 429 of its own) and a push waiting out a retry_after
    goes after it, not an hour later."""
    standin = StandIn(flood=FloodRules()).start()
    try:
        chats = list(range(600, 640))
        for chat in chats:
            follow(store, chat, ["AI"])
        clock = SteppedWallClock()
        wall = SteadyClock(clock, time.monotonic)  # the live bot's sender clock (wiring)
        async with sending(store, standin, limits=Config(token=None), clock=wall):
            for name, step, held in (("a", -3600.0, 600), ("b", 3600.0, 601)):
                before = len(standin.sent)
                standin.fail_next(to_chat(held), 429, "Too Many Requests: retry after 1")
                publish(store, name)
                await standin.until(lambda: len(standin.sent) >= before + 5)  # noqa: B023
                clock.offset = step
                await standin.until(lambda: len(standin.sent) == before + 40, 20)  # noqa: B023
        assert sorted(m.chat_id for m in standin.sent) == sorted(chats * 2)
        assert standin.stats.flood_replies == 2  # only the two the test asked for
    finally:
        standin.stop()


async def test_a_clock_set_right_after_the_start_is_followed_by_quiet_hours(
    store: Store, standin: StandIn
) -> None:
    """The bot started before NTP set the clock (a board without a real-time clock, a
    restored VM), six hours behind; then the clock is set right. Quiet hours follow the
    corrected clock at once, not after the next restart: a push due outside them goes."""
    minute = int(time.time() // 60) % (24 * 60)
    feed = follow(store, 700, ["AI"])
    # quiet from 7 to 5 hours ago: the wrong clock is inside, the right one is not
    window = FeedSettings(quiet_start=(minute - 420) % 1440, quiet_end=(minute - 300) % 1440)
    store.settings.save(feed, window)
    clock = SteppedWallClock()
    clock.offset = -6 * 3600.0
    wall = SteadyClock(clock, time.monotonic)  # the live bot's sender clock (wiring)
    async with sending(store, standin, clock=wall) as sender:
        clock.offset = 0.0  # NTP sets the clock right
        publish(store, "a")
        sender.wake()
        await eventually(lambda: row_states(store)[0][0] != "pending")
        await standin.until(lambda: len(standin.messages_to(700)) == 1, 2)


async def test_a_flood_wait_keeps_what_it_had_left_when_the_clock_is_set_back(
    store: Store, standin: StandIn
) -> None:
    """NTP sets the clock an hour back while a push waits out a retry_after: the sender
    follows the clock and moves the wait with it, so the push goes after its 2 s, not an
    hour and 2 s later."""
    follow(store, 710, ["AI"])
    standin.fail_next(to_chat(710), 429, "Too Many Requests: retry after 2")
    clock = SteppedWallClock()
    async with sending(store, standin, clock=SteadyClock(clock, time.monotonic)):
        publish(store, "a")
        await eventually(lambda: (store.outbox.next_due() or 0) > time.time())  # waiting
        clock.offset = -3600.0
        await standin.until(lambda: len(standin.messages_to(710)) == 1, 5)
    assert standin.stats.flood_replies == 1
