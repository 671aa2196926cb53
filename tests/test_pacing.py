"""The flood pacer: spacing, and which scope a 429 holds."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import replace

from telegram.ext import ApplicationBuilder

from bot.config import Config
from bot.pacing import SHARED_HOLD_CAP, FloodPacer
from bot.wiring import build_pacer
from tests.standin import TOKEN, FloodRules, StandIn

DEFAULTS = Config(token=None)  # the limits the product promises: 30/s, 1/s per chat, 20/min


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_flood_reply_right_after_a_send_holds_that_chat_and_briefly_every_chat() -> None:
    """It may be the chat's limit or the global one: the chat waits it all, the others at
    most SHARED_HOLD_CAP seconds."""
    clock = FakeClock()
    pacer = build_pacer(DEFAULTS, clock)
    pacer._last_sent[5] = clock.now - 0.5
    pacer.note_flood(5, 7)
    assert pacer.blocked_until(5) == clock.now + 7
    assert pacer.blocked_until(6) == clock.now + SHARED_HOLD_CAP
    clock.now += SHARED_HOLD_CAP + 0.1
    assert pacer.blocked_until(6) < clock.now
    assert pacer.held_chats(lookahead=0.05) == {5}


def test_a_short_flood_reply_after_a_send_holds_every_chat_for_all_of_it() -> None:
    """A 2 s ban right after a send: no chat is sent to for those 2 s (it may be global)."""
    clock = FakeClock()
    pacer = build_pacer(DEFAULTS, clock)
    pacer._last_sent[5] = clock.now - 0.5
    pacer.note_flood(5, 2)
    assert pacer.blocked_until(6) == clock.now + 2


def test_flood_reply_for_a_quiet_chat_holds_every_chat() -> None:
    """Nothing went to that chat lately, so it was the global limit."""
    clock = FakeClock()
    pacer = build_pacer(DEFAULTS, clock)
    pacer.note_flood(5, 3)
    assert pacer.blocked_until(6) == clock.now + 3
    clock.now += 3.1
    assert pacer.blocked_until(6) < clock.now


async def test_pacing_keeps_a_burst_inside_the_global_limit(standin: StandIn) -> None:
    """45 messages to 45 chats at once: no 429 from the stand-in's Telegram limits, spread
    over at least 1.4 s."""
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(standin.base_url)
        .rate_limiter(build_pacer(DEFAULTS))
        .build()
    )
    await app.initialize()
    started = time.monotonic()
    await asyncio.gather(*(app.bot.send_message(chat, "hi") for chat in range(1, 46)))
    elapsed = time.monotonic() - started
    await app.shutdown()
    assert standin.stats.flood_replies == 0
    assert len(standin.sent) == 45
    assert elapsed >= 1.4


async def test_pacing_spaces_messages_to_one_chat(standin: StandIn) -> None:
    """One private chat: a second apart; one group (at 600/min here): 0.1 s apart."""
    standin.flood = FloodRules(group_per_minute=600)
    pacer = build_pacer(replace(DEFAULTS, rate_group_per_minute=600))
    app = ApplicationBuilder().token(TOKEN).base_url(standin.base_url).rate_limiter(pacer).build()
    await app.initialize()
    await asyncio.gather(*(app.bot.send_message(7, f"m{i}") for i in range(2)))
    await asyncio.gather(*(app.bot.send_message(-7, f"g{i}") for i in range(3)))
    await app.shutdown()
    private = [m.at for m in standin.messages_to(7)]
    group = [m.at for m in standin.messages_to(-7)]
    assert private[1] - private[0] >= 1.0
    assert all(b - a >= 0.09 for a, b in itertools.pairwise(group))  # 0.103 s less jitter
    assert standin.stats.flood_replies == 0


async def _send_now(pacer: FloodPacer, chat_id: int) -> None:
    """One paced send that finds its slot free (the fake clock never has to move)."""

    async def request() -> bool:
        return True

    await pacer.process_request(request, (), {}, "sendMessage", {"chat_id": chat_id}, None)


async def test_a_chat_is_held_until_its_next_turn_and_then_released() -> None:
    """held_chats names a chat just sent to until its per-chat spacing (1.15 s) has passed."""
    clock = FakeClock()
    pacer = build_pacer(DEFAULTS, clock)
    await _send_now(pacer, 7)
    assert pacer.held_chats(lookahead=0.05) == {7}
    clock.now += 1.0
    assert pacer.held_chats(lookahead=0.05) == {7}
    clock.now += 0.15
    assert pacer.held_chats(lookahead=0.05) == set()
    assert pacer.chat_ready_at(7) <= clock.now + 0.05


async def test_a_chat_blocked_by_its_own_429_stays_held_past_its_pace() -> None:
    """A chat's own flood block keeps it held after its spacing alone would free it."""
    clock = FakeClock()
    pacer = build_pacer(DEFAULTS, clock)
    await _send_now(pacer, 7)
    pacer.note_flood(7, 10)
    clock.now += 5
    assert pacer.held_chats(lookahead=0.05) == {7}
    clock.now += 5.1
    assert pacer.held_chats(lookahead=0.05) == set()


async def test_a_global_block_holds_every_chat_known() -> None:
    """A 429 for a chat not written to lately holds every chat the pacer knows."""
    clock = FakeClock()
    pacer = build_pacer(DEFAULTS, clock)
    for chat in (1, 2):
        await _send_now(pacer, chat)
        clock.now += 0.1
    clock.now += 5
    assert pacer.held_chats(lookahead=0.05) == set()
    pacer.note_flood(3, 4)
    assert pacer.held_chats(lookahead=0.05) == {1, 2}


async def test_chats_not_sent_to_for_a_minute_are_forgotten() -> None:
    """The pacer keeps no state for chats quiet for over a minute: memory follows the rate."""
    clock = FakeClock()
    pacer = build_pacer(DEFAULTS, clock)
    for chat in range(1, 51):
        await _send_now(pacer, chat)
        clock.now += 0.1
    clock.now += 61
    await _send_now(pacer, 99)
    assert set(pacer._last_sent) == {99}
    assert set(pacer._chat_next) == {99}
    assert pacer.held_chats(lookahead=0.05) == {99}
