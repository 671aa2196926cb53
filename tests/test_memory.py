"""Freed heap memory goes back to the system (bot/foundation/memory.py): a long run keeps a flat RSS."""

from __future__ import annotations

import asyncio
import ctypes
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.foundation.memory import TRIM_SECONDS, HeapTrimmer, trim_heap
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


# a thread mallocs 24 MB in 16 KiB blocks and frees them all, as the writer's thread and
# the workers of asyncio.to_thread do in turn; run in a fresh process, since the arena
# setting holds only for threads that start after it
THREAD_HEAP = textwrap.dedent(
    """
    import ctypes, os, threading
    from bot.foundation.memory import single_arena, trim_heap

    def rss():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    assert single_arena()
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = (ctypes.c_void_p * 1500)()
    allocated, go = threading.Event(), threading.Event()

    def work():
        for i in range(1500):
            blocks[i] = libc.malloc(16 * 1024)
            ctypes.memset(blocks[i], 1, 16 * 1024)  # touched: resident
        allocated.set()
        go.wait()
        for i in reversed(range(1500)):
            libc.free(blocks[i])

    thread = threading.Thread(target=work)
    thread.start()
    allocated.wait()
    used = rss()
    go.set()
    thread.join()
    assert trim_heap()
    print(used, rss())
    """
)


def _thread_heap() -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", THREAD_HEAP],
        capture_output=True, text=True, timeout=60, check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    used, trimmed = done.stdout.split()
    return int(used), int(trimmed)


@pytest.mark.skipif(LIBC is None, reason="mallopt and malloc_trim are glibc's")
def test_with_one_arena_the_trim_gives_back_what_a_thread_freed() -> None:
    used, trimmed = _thread_heap()
    assert used - trimmed > 20 * 1024 * 1024, (used, trimmed)


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
