"""Work done again and again a fixed wait apart until cancelled: the one loop for it.

The heap trim, the fan-outs' look at their progress, retention's pruning and the watcher's
watch over its observer each say only what one round does and how far apart rounds are.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import NoReturn

Sleep = Callable[[float], Awaitable[None]]


async def run_every(
    seconds: float,
    step: Callable[[], object],
    *,
    wait_first: bool = False,
    sleep: Sleep = asyncio.sleep,
) -> NoReturn:
    """Run `step` (a function or a coroutine function), then wait `seconds`, for ever;
    with `wait_first`, the first round comes after a wait too."""
    if wait_first:
        await sleep(seconds)
    while True:
        done = step()
        if inspect.isawaitable(done):
            await done
        await sleep(seconds)
