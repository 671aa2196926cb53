"""Handing the heap memory the process has freed back to the system, now and then.

glibc's malloc keeps what Python and SQLite free in its arenas, for reuse, and gives the
system back only a free stretch at the very top of an arena. In a bot that runs for
months, what lives long (cached pages, parsed articles, connections) lands between what
lives briefly (a request, a page read), and the free space between them grows: in a soak
the process's RSS rose about 0.3 MB a minute while the memory in use stayed flat
(bench/README.md, "Soak"). `malloc_trim` returns every whole free page of every arena to
the system; it takes a millisecond or two, so the bot calls it once a minute.

That reaches only part of a thread's arena, though. Each thread that mallocs gets an arena
of its own (the writer's thread, `asyncio.to_thread`'s workers), and what it frees at the
top of that arena goes back only if free() itself trims it there: `malloc_trim` madvises
the free chunks in an arena's bins but shrinks the top of the main arena alone. In a
2-hour soak, three thread arenas held 7.5 MB resident with under 40 KB of it in use, and
the RSS grew in steps of about 2 MB every ten minutes (bench/README.md, "Issue 15").
So `run` first limits malloc to the one main arena (`single_arena`), as
`MALLOC_ARENA_MAX=1` would: every thread allocates from it, and the minute's trim reaches
all that is freed. The threads contend for one lock; most of Python's allocations are
small objects that never reach malloc, and those that do are made under the GIL anyway.

Elsewhere (musl, macOS) there is no such call and nothing is done.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
from collections.abc import Callable

from bot.foundation.periodic import Sleep, run_every

log = logging.getLogger(__name__)

TRIM_SECONDS = 60.0
M_ARENA_MAX = -8  # mallopt's parameter, from glibc's malloc.h


def _glibc() -> ctypes.CDLL | None:
    """The C library of this process, when it is glibc (it has `malloc_trim`)."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC = _glibc()
GLIBC = _LIBC is not None  # whether the heap can be trimmed and kept to one arena


def trim_heap() -> bool:
    """Return the free pages of every malloc arena to the system; False where the C
    library cannot (not glibc)."""
    if _LIBC is None:
        return False
    _LIBC.malloc_trim(0)
    return True


def single_arena() -> bool:
    """Have every thread of this process allocate from the main malloc arena, which
    `malloc_trim` trims whole; False where the C library cannot (not glibc). Call it before
    any thread starts: a thread keeps the arena it already has."""
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(M_ARENA_MAX, 1))


class HeapTrimmer:
    """Trims the heap every `every` seconds until cancelled."""

    def __init__(
        self,
        every: float = TRIM_SECONDS,
        *,
        trim: Callable[[], bool] = trim_heap,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.every = every
        self.trim = trim
        self.sleep = sleep

    async def run(self) -> None:
        if not self.trim():
            log.debug("no malloc_trim in this C library: freed heap stays with the process")
            return
        await run_every(self.every, self.trim, wait_first=True, sleep=self.sleep)
