"""Handing the heap memory the process has freed back to the system, now and then.

glibc's malloc keeps what Python and SQLite free in its arenas, for reuse, and gives the
system back only a free stretch at the very top of an arena. In a bot that runs for
months, what lives long (cached pages, parsed articles, connections) lands between what
lives briefly (a request, a page read), and the free space between them grows: in a soak
the process's RSS rose about 0.3 MB a minute while the memory in use stayed flat
(bench/README.md, "Soak"). `malloc_trim` returns every whole free page of every arena to
the system; it takes a millisecond or two, so the bot calls it once a minute.

Elsewhere (musl, macOS) there is no such call and nothing is done.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

TRIM_SECONDS = 60.0


def _glibc() -> ctypes.CDLL | None:
    """The C library of this process, when it is glibc (it has `malloc_trim`)."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC = _glibc()


def trim_heap() -> bool:
    """Return the free pages of every malloc arena to the system; False where the C
    library cannot (not glibc)."""
    if _LIBC is None:
        return False
    _LIBC.malloc_trim(0)
    return True


class HeapTrimmer:
    """Trims the heap every `every` seconds until cancelled."""

    def __init__(
        self,
        every: float = TRIM_SECONDS,
        *,
        trim: Callable[[], bool] = trim_heap,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.every = every
        self.trim = trim
        self.sleep = sleep

    async def run(self) -> None:
        if not self.trim():
            log.debug("no malloc_trim in this C library: freed heap stays with the process")
            return
        while True:
            await self.sleep(self.every)
            self.trim()
