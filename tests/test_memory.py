"""Freed heap memory goes back to the system (bot/memory.py): a long run keeps a flat RSS."""

from __future__ import annotations

import asyncio
import ctypes
import os

import pytest

from bot.memory import TRIM_SECONDS, HeapTrimmer, trim_heap
from tests.conftest import Running

PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE


def _glibc() -> ctypes.CDLL | None:
    libc = ctypes.CDLL(None)
    return libc if hasattr(libc, "malloc_trim") else None


LIBC = _glibc()


@pytest.mark.skipif(LIBC is None, reason="malloc_trim is glibc's; elsewhere nothing is trimmed")
def test_trim_gives_freed_heap_back_to_the_system() -> None:
    # what a long run leaves: freed blocks with small live ones between them, so that
    # free() alone cannot hand them back (only a free top of the heap goes back by itself)
    assert LIBC is not None
    LIBC.malloc.restype = ctypes.c_void_p
    LIBC.malloc.argtypes = [ctypes.c_size_t]
    LIBC.free.argtypes = [ctypes.c_void_p]
    big, pins = [], []
    for _ in range(3000):
        block = LIBC.malloc(16 * 1024)
        ctypes.memset(block, 1, 16 * 1024)  # touched: resident
        big.append(block)
        pins.append(LIBC.malloc(64))
    try:
        for block in big:
            LIBC.free(block)
        before = _rss_bytes()
        assert trim_heap()
        after = _rss_bytes()
    finally:
        for pin in pins:
            LIBC.free(pin)
    # 3000 freed blocks of 16 KiB hold 3 whole pages each: about 36 MB that trimming returns
    assert before - after > 20 * 1024 * 1024, (before, after)


async def test_trimmer_trims_at_start_and_then_every_minute() -> None:
    waits: list[float] = []
    trims: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise asyncio.CancelledError

    def trim() -> bool:
        trims.append(len(waits))
        return True

    with pytest.raises(asyncio.CancelledError):
        await HeapTrimmer(trim=trim, sleep=sleep).run()
    assert waits == [TRIM_SECONDS] * 3
    assert trims == [0, 1, 2]  # once at start, then after each wait


async def test_trimmer_stops_where_the_c_library_cannot_trim() -> None:
    async def sleep(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s: the trimmer went on without malloc_trim")

    await HeapTrimmer(trim=lambda: False, sleep=sleep).run()


async def test_the_running_bot_trims_its_heap_and_gathers_no_ids(running: Running) -> None:
    assert "heap-trim" in {task.get_name() for task in asyncio.all_tasks()}
    # PTB notes every update's chat and user for a persistence to save; without one,
    # nothing ever empties those sets: a bot that runs for months must not keep them
    users = range(5001, 5006)
    for user in users:
        await running.command(user, "/help")
    app = running.bot.application
    # updates are handled one at a time: the last reply came after the earlier ones were done
    earlier = set(users[:-1])
    assert not earlier & app._user_ids_to_be_updated_in_persistence
    assert not earlier & app._chat_ids_to_be_updated_in_persistence
