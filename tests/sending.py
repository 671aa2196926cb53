"""A sender of its own against the stand-in, for tests that set its clock, timeouts or
backoff: python-telegram-bot's real requests, our real pacer, a real database file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import ApplicationBuilder

from bot.delivery.sender import Sender
from bot.foundation.config import Config
from bot.foundation.metrics import Metrics
from bot.wiring import build_pacer, build_sender
from storage import Store
from tests.standin import TOKEN, StandIn

# fast enough that pacing never makes a test wait long; the stand-in checks nothing
FAST = Config(token=None, rate_global=1000, rate_private=100, rate_group_per_minute=6000)


@asynccontextmanager
async def sending(
    store: Store,
    standin: StandIn,
    *,
    limits: Config = FAST,
    read_timeout: float = 5.0,
    **options: Any,
) -> AsyncIterator[Sender]:
    """A running Sender; stopped (and its HTTP client closed) on the way out."""
    pacer = build_pacer(limits)
    app = (
        ApplicationBuilder().token(TOKEN).base_url(standin.base_url).rate_limiter(pacer)
        .read_timeout(read_timeout).build()
    )  # fmt: skip
    await app.initialize()
    options.setdefault("story_threads", True)
    sender = build_sender(store, app.bot, pacer, window=8, metrics=Metrics(), **options)
    task = asyncio.create_task(sender.run())
    try:
        yield sender
    finally:
        await sender.stop(1)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await app.shutdown()
