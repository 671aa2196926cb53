"""Telegram out of reach: refused connections for sends, and getUpdates failing."""

from __future__ import annotations

import asyncio

from bot.foundation.backoff import Backoff
from storage import Store
from tests.conftest import Running, eventually
from tests.feeds import follow
from tests.outbox import publish
from tests.sending import sending
from tests.standin import StandIn


async def test_refused_connections_keep_pushes_queued_until_the_api_is_back(
    store: Store, standin: StandIn
) -> None:
    """Nothing listens on the Bot API's port (a network outage, not a 5xx): every push
    stays queued with backoff, and each chat gets it once when the API answers again."""
    chats = range(81, 84)
    for chat in chats:
        follow(store, chat, ["AI"])
    async with sending(store, standin, backoff=Backoff(0.01, 0.16)) as sender:
        standin.stop()  # the port now refuses connections
        publish(store, "a")
        sender.wake()

        def past_eight_tries() -> bool:
            rows = store.db.execute("SELECT attempts, last_error FROM deliveries").fetchall()
            return all(tries > 8 and "network" in (error or "") for tries, error in rows)

        await eventually(past_eight_tries)  # the old limit gave up at 8
        assert store.outbox.pending_count() == len(chats)
        back = StandIn(port=standin.port).start()  # the same address answers again
        try:
            await eventually(lambda: store.outbox.pending_count() == 0)
        finally:
            back.stop()
    assert all(len(back.messages_to(chat)) == 1 for chat in chats)
    states = store.db.execute("SELECT DISTINCT state FROM deliveries").fetchall()
    assert states == [("sent",)]


async def test_a_getupdates_outage_backs_off_and_loses_no_command(running: Running) -> None:
    """getUpdates answered 502 for a while: the poller backs off (a handful of requests,
    not a busy loop), and a command sent meanwhile is answered once when it ends."""
    standin = running.standin
    before = standin.polls
    standin.poll_error = (502, "Bad Gateway")
    await standin.until(lambda: standin.polls > before)  # the outage has begun
    during = standin.polls
    standin.say(91, "/help")
    await asyncio.sleep(2.0)  # the outage itself: two seconds of 502s
    polls_in_outage = standin.polls - during
    standin.poll_error = None
    await eventually(lambda: len(standin.messages_to(91)) >= 1, timeout=20)
    await asyncio.sleep(0.5)  # a repeated update would be answered within this
    assert 1 <= polls_in_outage <= 3  # PTB waits 1, 1.5, 2.25 ... s between failed polls
    assert len(standin.messages_to(91)) == 1
