"""Telegram out of reach: refused connections for sends, and getUpdates failing."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time

import pytest

from bot.delivery.sender import Sender
from bot.foundation.backoff import Backoff
from bot.foundation.reachability import Reachability
from storage import Store
from tests.clocks import FakeClock
from tests.conftest import Running, eventually
from tests.feeds import follow
from tests.outbox import publish
from tests.sending import sending
from tests.standin import StandIn


async def test_refused_connections_hold_the_queue_and_it_goes_at_once_when_the_api_is_back(
    store: Store, standin: StandIn
) -> None:
    """Nothing listens on the Bot API's port (a network outage, not a 5xx): every push
    stays queued, the queue is probed one send at a time, and when the same address
    answers again every chat has its push, once, within the probe's cap of its return."""
    chats = range(81, 84)
    for chat in chats:
        follow(store, chat, ["AI"])
    async with sending(store, standin, probe=Backoff(0.05, 0.3)) as sender:
        standin.stop()  # the port now refuses connections
        publish(store, "a")
        sender.wake()
        await eventually(lambda: store.outbox.pending_count() == len(chats))
        await asyncio.sleep(4.5)  # the outage: 4.5 seconds of refused connections
        tries = store.db.execute("SELECT sum(attempts) FROM deliveries").fetchone()[0]
        assert store.outbox.pending_count() == len(chats)
        back = StandIn(port=standin.port).start()  # the same address answers again
        returned = time.monotonic()
        try:
            await eventually(lambda: store.outbox.pending_count() == 0)
            resumed = time.monotonic() - returned
        finally:
            back.stop()
    # the first sends, then one probe per 0.05, 0.1, 0.2, 0.3, 0.3 ... s: not one per row
    assert tries <= len(chats) + 4.5 / 0.3 + 4
    assert resumed < 1.5  # the old per-row backoff (1, 2, 4 ... s) left them 2.5 s more
    assert all(len(back.messages_to(chat)) == 1 for chat in chats)
    states = store.db.execute("SELECT DISTINCT state FROM deliveries").fetchall()
    assert states == [("sent",)]


async def look(sender: Sender, clock: FakeClock, seconds: float) -> None:
    """Move the sender's clock on by `seconds`, and wait until it has looked at the
    outbox, what it sent has been answered, and nothing woke it since."""
    clock.now += seconds
    before = sender.looks
    sender.wake()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while sender.looks <= before or not sender.settled:
        assert loop.time() < deadline, "the sender did not look within 10 s"
        await asyncio.sleep(0.001)


async def test_an_hour_long_outage_is_probed_once_per_10_s_and_left_within_10_s(
    store: Store, standin: StandIn
) -> None:
    """Every send answered 502 for an hour (on the injected clock): after the first
    minute at most one send request per 10 s, and a push written 5 s into the outage
    is on its way within 10 s of the API's return (it took up to the 300 s backoff)."""
    chats = range(61, 67)
    for chat in chats:
        follow(store, chat, ["AI"])
    clock = FakeClock()
    clock.now = time.time()
    began = clock.now
    standin.outage = 502
    requests: list[float] = []  # the injected time of each send request

    async def look_and_count(seconds: float) -> None:
        before = len(standin.calls)
        await look(sender, clock, seconds)
        requests.extend(
            clock.now for method, _ in standin.calls[before:] if method.startswith("send")
        )

    async with sending(store, standin, clock=clock) as sender:
        await look_and_count(5)
        publish(store, "a")
        while clock.now < began + 60:
            await look_and_count(1)
        while clock.now < began + 3590:
            await look_and_count(10)
        while clock.now < began + 3600:
            await look_and_count(1)
        assert store.outbox.pending_count() == len(chats)
        away = sender.reach.away
        standin.outage = None
        returned, during = clock.now, list(requests)
        while store.outbox.pending_count() and clock.now < returned + 30:
            await look_and_count(1)
        resumed = clock.now - returned
    late = [moment for moment in during if moment > began + 60]
    assert late and all(b - a >= 10 for a, b in itertools.pairwise(late))
    assert len(late) <= 3540 / 10 + len(chats)
    assert resumed <= 10
    assert all(len(standin.messages_to(chat)) == 1 for chat in chats)
    assert away and not sender.reach.away
    assert sender.reach.notes() and "6 held pushes released" in sender.reach.notes()[0]


async def test_a_getupdates_outage_backs_off_and_loses_no_command(running: Running) -> None:
    """getUpdates answered 502 for a while: the poller backs off (a handful of requests,
    not a busy loop), and a command sent meanwhile is answered once when it ends."""
    standin = running.standin
    before = standin.polls
    standin.poll_error = (502, "Bad Gateway")
    await standin.until(lambda: standin.polls > before)  # the outage has begun
    during = standin.polls
    standin.say(91, "/help")
    began = time.monotonic()
    await standin.until(lambda: standin.polls >= during + 2, timeout=15)  # two more 502s
    took = time.monotonic() - began
    standin.poll_error = None
    await eventually(lambda: len(standin.messages_to(91)) >= 1, timeout=20)
    # updates are handled in order: once a later one is answered, a repeat would have been
    standin.say(92, "/help")
    await eventually(lambda: len(standin.messages_to(92)) >= 1)
    assert took >= 2.0  # PTB waits 1, 1.5, 2.25 ... s between failed polls: no busy loop
    assert len(standin.messages_to(91)) == 1


def test_the_log_and_healthz_say_when_the_api_went_away_and_came_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One warning when the API goes away and one when it answers again, each with the
    backlog; /healthz names the outage once it lasted the grace, and notes it after."""
    caplog.set_level(logging.WARNING, logger="bot.foundation.reachability")
    clock = FakeClock()
    clock.now = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
    backlog = [12]
    reach = Reachability(clock, lambda: backlog[0], grace=30)
    reach.lost("Bad Gateway")
    clock.now += 10
    reach.lost("getUpdates: 502 Bad Gateway", poll=True)
    assert reach.problems() == []  # a failed poll or two is ordinary
    clock.now += 140
    backlog[0] = 15
    assert reach.problems() == [
        "Telegram's Bot API out of reach since 2027-01-15 08:00:00 UTC "
        "(getUpdates: 502 Bad Gateway); 15 pushes held"
    ]
    reach.polled()  # getUpdates answers, but the last send did not: not back yet
    assert reach.away
    reach.answered()
    assert reach.problems() == []
    assert reach.notes() == [
        "Telegram's Bot API was out of reach from 2027-01-15 08:00:00 UTC to "
        "2027-01-15 08:02:30 UTC (150 s); 15 held pushes released"
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "Telegram's Bot API is out of reach (Bad Gateway); holding 12 queued pushes until "
        "it answers again",
        "Telegram's Bot API answers again after 150 s (out of reach since 2027-01-15 "
        "08:00:00 UTC); releasing 15 queued pushes",
    ]


def test_getupdates_failing_while_sends_are_answered_is_one_away_and_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Only getUpdates fails (a 502 from Telegram's long-poll side) while sends are
    answered: one away and one back in the log, then nothing held and nothing said at each
    failed poll, until getUpdates answers again; a send failing is an outage again."""
    caplog.set_level(logging.WARNING, logger="bot.foundation.reachability")
    reach = Reachability(FakeClock())
    reach.lost("getUpdates: 502 Bad Gateway", poll=True)
    reach.answered()
    for _ in range(3):
        reach.lost("getUpdates: 502 Bad Gateway", poll=True)
        assert not reach.away  # the sender holds nothing
        reach.answered()
    assert len(caplog.records) == 2
    reach.polled()  # getUpdates answers again
    reach.lost("getUpdates: 502 Bad Gateway", poll=True)
    assert reach.away
    reach.answered()
    reach.lost("Bad Gateway")  # now sends fail
    assert reach.away and len(caplog.records) == 5


async def test_while_getupdates_fails_a_new_push_goes_alone_as_a_probe(
    store: Store, standin: StandIn
) -> None:
    """getUpdates has failed: the next push goes alone, and the rest follow its answer
    (not the whole window into an API that may be away)."""
    chats = range(71, 75)
    for chat in chats:
        follow(store, chat, ["AI"])
    reach = Reachability()
    reach.lost("getUpdates: 502 Bad Gateway", poll=True)
    standin.slow_next(lambda method, params: method.startswith("send"), 0.5)
    async with sending(store, standin, reach=reach) as sender:
        publish(store, "a")
        sender.wake()
        await standin.until(lambda: sends(standin) >= 1)
        looked = sender.looks
        sender.wake()  # the probe is still unanswered: looking again sends nothing else
        await eventually(lambda: sender.looks >= looked + 2)
        alone = sends(standin)
        await eventually(lambda: store.outbox.pending_count() == 0)
    assert alone == 1
    assert not reach.away
    assert all(len(standin.messages_to(chat)) == 1 for chat in chats)


async def test_healthz_notes_a_getupdates_outage_after_it_ended(running: Running) -> None:
    """getUpdates answered 502: the bot knows the API is away; when polls answer again
    (and nothing was held), it is back, and /healthz's 200 says when it was away."""
    standin, bot = running.standin, running.bot
    standin.poll_error = (502, "Bad Gateway")
    await eventually(lambda: bot.sender.reach.away, timeout=20)
    standin.poll_error = None
    await eventually(lambda: not bot.sender.reach.away, timeout=20)
    [note] = bot.sender.reach.notes()
    assert note.startswith("Telegram's Bot API was out of reach from ")
    assert note.endswith("0 held pushes released")


def sends(standin: StandIn) -> int:
    return sum(1 for method, _ in standin.calls if method.startswith("send"))
