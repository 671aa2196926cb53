"""Handing the heap memory the process has freed back to the system, now and then.

glibc's malloc keeps what Python and SQLite free in its arenas, for reuse, and gives the
system back only a free stretch at the very top of an arena. In a bot that runs for
months, what lives long (cached pages, parsed articles, connections) lands between what
lives briefly (a request, a page read), and the free space between them grows: in a soak
the process's RSS rose about 0.3 MB a minute while the memory in use stayed flat
(bench/README.md, "Soak"). `malloc_trim` returns every whole free page of every arena to
the system; it takes a millisecond or two, so the bot calls it once a minute.

`malloc_trim` leaves alone the free top of each thread's arena (the workers of
`asyncio.to_thread`, the writer's thread): such a top goes back to the system only when a
free() leaves more than the trim threshold there, and glibc raises that threshold to
twice the largest block it has unmapped (up to 64 MB). In the 2-hour soak three thread
arenas held 7.5 MB resident with 3-38 KB in use and `malloc_trim` freed 0.6 MB; fixing the
threshold at glibc's default (128 KiB) in that running process took its RSS from 69.8 to
63.9 MB within 45 s, and it stayed there (bench/README.md, "Soak"). The bot fixes it at start.

Elsewhere (musl, macOS) there is no such call and nothing is done.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

TRIM_SECONDS = 60.0
M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter
KEPT_TOP = 128 * 1024  # glibc's default trim threshold, kept from growing


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


def bound_kept_tops() -> bool:
    """Fix glibc's trim threshold at its default, so that no arena keeps a free top larger
    than that (glibc then moves neither it nor the mmap threshold any more); False where
    the C library cannot."""
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(M_TRIM_THRESHOLD, KEPT_TOP))


class HeapTrimmer:
    """Bounds the free top an arena keeps (`bound_kept_tops`), then trims the heap every
    `every` seconds until cancelled."""

    def __init__(
        self,
        every: float = TRIM_SECONDS,
        *,
        trim: Callable[[], bool] = trim_heap,
        bound: Callable[[], bool] = bound_kept_tops,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.every = every
        self.trim = trim
        self.bound = bound
        self.sleep = sleep

    async def run(self) -> None:
        self.bound()
        if not self.trim():
            log.debug("no malloc_trim in this C library: freed heap stays with the process")
            return
        while True:
            await self.sleep(self.every)
            self.trim()
