"""Cost per push and per command at scale: `python -m bench.scale`.

With the global limit raised (as with `NEWSBOT_RATE_GLOBAL=1000`), against the Bot API
stand-in running in a process of its own (`python -m tests.standin`, enforcing the same
raised limits), so that its CPU is not counted as the bot's:

1. pushes: one article queued for N private chats (N pending rows); newsbot's Sender
   sends `--sample` of them, measured after `--warmup` sends (when N is smaller than
   that, more articles, each for 100 other chats, are queued whenever the queue falls
   below N, so that it stays at N: every N is a sustained rate over as many sends):
   msg/s, bot CPU per push (`time.process_time`, all threads of this process), queue
   size and RSS. In the same
   run, for every N, bare python-telegram-bot `send_message` with 16 concurrent tasks
   sends the same rendered message to as many other chats: msg/s and CPU per push.
2. commands: `/subscribe <topic>` from new chats, each update handed to
   python-telegram-bot's `process_update` one after the other (as the bot does,
   `concurrent_updates(False)`), each reply through the stand-in; the last `--commands`
   are measured. Either M chats each subscribe by command (`--command-chats`, as the
   issue tried it), or M chats are put in the database first (`--known-chats`).
3. `--profile TOP`: one more newsbot run at the largest N under cProfile.

`--arenas default` leaves glibc's malloc arenas as they are; by default every thread
allocates from the main arena, as in `newsbot run` (bot/foundation/memory.py).

Goals (issue 15): newsbot >= 85% of bare PTB's msg/s; CPU per push at the largest N
within 1.2x of the smallest; the same for CPU per command against M.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import RetryAfter
from telegram.ext import ApplicationBuilder

from bench.generate import TOPICS, add_chats
from bench.report import machine_line, peak_rss_mb, rss_mb
from bot.articles.publishing import WITHOUT_FOLLOWING as PUBLISHING
from bot.delivery.pacing import FloodPacer, retry_seconds
from bot.delivery.rendering import render_push
from bot.foundation.config import Config
from bot.foundation.memory import single_arena
from bot.foundation.metrics import Metrics
from bot.wiring import build_newsbot, build_sender
from storage import Article, open_store
from storage.store import FileState
from tests.standin import TOKEN

# no image: newsbot sends it with send_message, as the bare baseline does
ARTICLE = Article(
    url="https://news.example.com/scale",
    title="A story everyone follows",
    excerpt="It goes to every chat at once, however many there are.",
    topics=("AI",),
)
CONCURRENCY = 16  # bare PTB: this many send_message calls at once
TOP_UP = 100  # chats per article that keeps a queue smaller than the sample at its size


@dataclass
class Window:
    """What one measured stretch of sends (or commands) cost."""

    count: int
    seconds: float
    cpu: float
    floods: int = 0  # 429s the bare baseline got (it has no pacer)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.count * 1000 if self.count else float("nan")


class StandInProcess:
    """`python -m tests.standin` as a child process with the raised flood limits."""

    def __init__(self, per_second: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.standin", "--port", "0",
             "--per-second", str(per_second), "--private-per-second", "1",
             "--group-per-minute", "20", "--retry-after", "2"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if line[:1] != ["port"]:
            self.process.kill()
            raise SystemExit("the stand-in process did not start")
        self.base_url = f"http://127.0.0.1:{line[1]}/bot"

    def cpu_seconds(self) -> float:
        """User + system CPU the stand-in process used so far."""
        with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> dict[str, Any]:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=30)
        return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


async def measure(
    count: Callable[[], int],
    warmup: int,
    sample: int,
    workers: list[asyncio.Task[None]],
    total: int | None = None,
    profile: cProfile.Profile | None = None,
) -> Window:
    """Wait for `warmup` sends, then time the next `sample` (wall clock and our CPU),
    or up to `total` sends in all."""
    deadline = time.monotonic() + 120

    def check() -> None:
        for task in workers:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise SystemExit(f"the work stopped: {task.exception()!r}")
        if time.monotonic() > deadline:
            raise SystemExit(f"only {count()} sends in 120 s: is the stand-in up?")

    while count() < warmup:
        check()
        await asyncio.sleep(0.02)
    if profile is not None:
        profile.enable()
    first, wall, cpu = count(), time.perf_counter(), time.process_time()
    end = first + sample if total is None else min(first + sample, total)
    while count() < end:
        check()
        await asyncio.sleep(0.02)
    last = count()
    if profile is not None:
        profile.disable()
    return Window(last - first, time.perf_counter() - wall, time.process_time() - cpu)


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def newsbot_pushes(
    base_url: str, args: argparse.Namespace, chats: range, profile: cProfile.Profile | None
) -> dict[str, Any]:
    """One article queued for `chats`; while the sender works, a queue smaller than the
    sends measured is kept at its size: each time it falls below, another article is
    stored and queued for the next TOP_UP chats (each block follows a topic of its own),
    as articles arriving keep a busy bot's queue filled. So every size is measured over
    the same `--sample` sends."""
    sends = args.warmup + args.sample + args.window
    # articles needed to keep the queue at its size to the end: every send is replaced
    blocks = -(-sends // TOP_UP) if len(chats) < sends else 0
    more = range(chats.stop, chats.stop + blocks * TOP_UP)
    with scratch() as folder:
        store = open_store(folder / "scale.db")
        add_chats(
            store,
            [(chat, "private") for chat in (*chats, *more)],
            lambda chat: ["ai"] if chat < chats.stop else [f"more{(chat - chats.stop) // TOP_UP}"],
        )
        started = time.perf_counter()
        change = PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "x"), ARTICLE, queue=True)
        queueing = time.perf_counter() - started
        pacer = FloodPacer(args.rate, 1.0, 20.0, clock=time.monotonic)
        app = ApplicationBuilder().token(TOKEN).base_url(base_url).rate_limiter(pacer).build()
        await app.initialize()
        sender = build_sender(
            store, app.bot, pacer, window=args.window, metrics=Metrics(), story_threads=True
        )
        sent = sender.metrics.sent
        queued = change.queued

        def count() -> int:
            return int(sent._value.get())  # the Prometheus counter the sender keeps

        async def top_up() -> None:
            nonlocal queued
            for block in range(blocks):
                while queued - count() >= len(chats):
                    await asyncio.sleep(0.01)
                article = Article(url=f"{ARTICLE.url}/{block}", title=f"{ARTICLE.title} {block}",
                                  excerpt=ARTICLE.excerpt, topics=(f"More{block}",))  # fmt: skip
                queued += PUBLISHING.store_article(
                    store, f"{block}.txt", FileState(1, 1, str(block)), article, queue=True
                ).queued
                sender.wake()

        task = asyncio.create_task(sender.run())
        filling = asyncio.create_task(top_up())
        window = await measure(count, args.warmup, args.sample, [task, filling], None, profile)
        pending, rss = store.outbox.pending_count(), rss_mb()
        filling.cancel()
        await sender.stop(5)
        task.cancel()
        await asyncio.gather(task, filling, return_exceptions=True)
        await app.shutdown()
        store.close()
    return {"window": window, "queued": change.queued, "queueing": queueing,
            "pending_after": pending, "rss": rss, "topped_up": blocks}  # fmt: skip


async def bare_ptb(base_url: str, args: argparse.Namespace, chats: range) -> Window:
    app = ApplicationBuilder().token(TOKEN).base_url(base_url).build()  # no rate limiter
    await app.initialize()
    text = render_push(ARTICLE).html
    preview = LinkPreviewOptions(url=ARTICLE.url)
    ids = iter(chats)
    done = floods = 0
    enough = False

    async def worker() -> None:
        nonlocal done, floods
        for chat in ids:
            if enough:  # finish the request under way, cancel none (the stand-in logs those)
                return
            while True:
                try:
                    await app.bot.send_message(
                        chat, text, parse_mode=ParseMode.HTML, link_preview_options=preview
                    )
                    break
                except RetryAfter as error:  # unpaced, it can go over the raised limit
                    floods += 1
                    await asyncio.sleep(retry_seconds(error))
            done += 1

    workers = [asyncio.create_task(worker()) for _ in range(CONCURRENCY)]
    window = await measure(lambda: done, args.warmup, args.sample, workers)
    enough = True
    await asyncio.gather(*workers)
    await app.shutdown()
    window.floods = floods
    return window


def command_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    command = text.split()[0]
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"},
            "from": {"id": chat_id, "is_bot": False, "first_name": f"user{chat_id}"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        },
    }


async def commands(
    base_url: str, args: argparse.Namespace, known: int, total: int, first_chat: int
) -> Window:
    """`/subscribe <topic>` from `total` new chats (ids from `first_chat` on), `known`
    chats already in the database; the last `args.commands` are measured."""
    rng = random.Random(11)
    with scratch() as folder:
        (folder / "articles").mkdir()
        config = Config(token=TOKEN, base_url=base_url, articles_dir=folder / "articles",
                        db_path=folder / "commands.db", rate_global=args.rate)  # fmt: skip
        store = open_store(config.db_path)
        store.flags.mark_baseline_done()
        add_chats(
            store,
            [(chat, "private") for chat in range(1, known + 1)],
            lambda _: [t.casefold() for t in rng.sample(TOPICS, 2)],
        )
        with store.batch():  # a few articles, so that the topics are known ones
            for index in range(200):
                article = Article(url=f"https://news.example.com/{index}", title=f"Story {index}",
                                  topics=tuple(rng.sample(TOPICS, 2)))  # fmt: skip
                PUBLISHING.store_article(
                    store, f"{index}.txt", FileState(1, 1, str(index)), article, queue=False
                )
        bot = build_newsbot(config, store)
        app = bot.application
        await app.initialize()
        done = 0

        async def feed() -> None:
            nonlocal done
            for index in range(total):
                chat = first_chat + index
                text = f"/subscribe {rng.choice(TOPICS)}"
                await app.process_update(
                    Update.de_json(command_update(index + 1, chat, text), app.bot)
                )
                done += 1

        feeder = asyncio.create_task(feed())
        window = await measure(lambda: done, total - args.commands, args.commands, [feeder], total)
        await feeder
        await app.shutdown()
        store.close()
    return window


def sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def print_profile(profile: cProfile.Profile, pushes: int, top: int) -> None:
    stream = io.StringIO()
    stats = pstats.Stats(profile, stream=stream)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    print(f"profile of {pushes} pushes (cProfile, its own overhead included): "
          f"{total:.2f}s in functions, {total / pushes * 1000:.2f} ms a push")  # fmt: skip
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
    print("  own time (tottime), top functions (a coroutine's every resumption counts as a call):")
    for (filename, line, name), (_, calls, tottime, _, _) in rows[:top]:
        where = f"{_short(filename)}:{line}({name})"
        print(f"    {tottime / total:6.1%}  {tottime / pushes * 1e6:7.1f} us/push  "
              f"{calls / pushes:6.2f} calls/push  {where}")  # fmt: skip
    ours = [row for row in rows if "/bot/" in row[0][0] or "/storage/" in row[0][0]]
    ours.sort(key=lambda item: item[1][3], reverse=True)
    print("  newsbot's functions by time including callees (cumtime):")
    for (filename, line, name), (_, calls, _, cumtime, _) in ours[:top]:
        print(f"    {cumtime / total:6.1%}  {cumtime / pushes * 1e6:7.1f} us/push  "
              f"{calls / pushes:6.2f} calls/push  {_short(filename)}:{line}({name})")  # fmt: skip


def _short(filename: str) -> str:
    for marker in ("/site-packages/", "/bot/", "/storage/", "/lib/python3"):
        if marker in filename:
            tail = filename.partition(marker)[2]
            return marker.strip("/") + "/" + tail if marker != "/site-packages/" else tail
    return filename


async def main_async(args: argparse.Namespace) -> None:
    print(machine_line(), f"malloc arenas: {args.arenas}")
    standin = StandInProcess(args.rate)
    print(f"stand-in in its own process (pid {standin.process.pid}), limits {args.rate}/s "
          f"overall, 1/s per chat; newsbot FloodPacer at {args.rate}/s, send window "
          f"{args.window}; bare PTB {CONCURRENCY} concurrent send_message; {args.warmup} "
          f"warm-up sends, then {args.sample} measured")  # fmt: skip
    results: list[tuple[int, dict[str, Any], Window]] = []
    try:
        for run, n in enumerate(sizes(args.chats)):
            base = (run + 1) * 10_000_000
            ours = await newsbot_pushes(standin.base_url, args, range(base + 1, base + n + 1), None)
            bare = await bare_ptb(standin.base_url, args, range(base + 5_000_001, base + 6_000_000))
            results.append((n, ours, bare))
            w = ours["window"]
            kept = f" (kept by {ours['topped_up']} more articles)" if ours["topped_up"] else ""
            print(
                f"{n:>7} pending | newsbot {w.rate:6.1f} msg/s, {w.cpu_ms:5.2f} ms CPU/push "
                f"({w.count} pushes in {w.seconds:.1f}s) | bare PTB {bare.rate:6.1f} msg/s, "
                f"{bare.cpu_ms:5.2f} ms CPU/push, {bare.floods} 429s | ratio {w.rate / bare.rate:6.1%} | "
                f"queue {ours['queued']} -> {ours['pending_after']}{kept} | "
                f"queued in {ours['queueing']:.3f}s | RSS {ours['rss']:.0f} MB",
                flush=True,
            )
        if len(results) > 1:
            small, large = results[0], results[-1]
            growth = large[1]["window"].cpu_ms / small[1]["window"].cpu_ms
            print(f"CPU per push at {large[0]} pending / at {small[0]} pending: {growth:.2f}x "
                  f"(goal <= 1.2x); bare PTB {large[2].cpu_ms / small[2].cpu_ms:.2f}x")  # fmt: skip
        ratios = [ours["window"].rate / bare.rate for _, ours, bare in results]
        print(f"newsbot / bare PTB msg/s: {min(ratios):.1%} - {max(ratios):.1%} (goal >= 85%)")
        command_runs = []
        firsts = iter(range(100_000_000, 200_000_000, 1_000_000))  # new chats for each run
        for chats in sizes(args.command_chats):  # as in the issue: every chat by command
            window = await commands(standin.base_url, args, 0, chats, next(firsts))
            command_runs.append((f"{chats} chats subscribing by command", window))
        for known in sizes(args.known_chats):  # chats already there, a few commands
            total = args.warmup + args.commands
            window = await commands(standin.base_url, args, known, total, next(firsts))
            command_runs.append((f"{known} chats known, then {args.commands}", window))
        for name, window in command_runs:
            print(f"/subscribe, {name:<36} | {window.rate:6.1f} commands/s, "
                  f"{window.cpu_ms:5.2f} ms CPU/command (last {window.count}: "
                  f"{window.seconds:.1f}s)", flush=True)  # fmt: skip
        if len(command_runs) > 1:
            first, last = command_runs[0], command_runs[-1]
            print(f"CPU per command, {last[0]} / {first[0]}: "
                  f"{last[1].cpu_ms / first[1].cpu_ms:.2f}x (goal <= 1.2x)")  # fmt: skip
        if args.profile:
            n = max(sizes(args.chats))
            profile = cProfile.Profile()
            ours = await newsbot_pushes(
                standin.base_url, args, range(90_000_001, 90_000_001 + n), profile
            )
            print_profile(profile, ours["window"].count, args.profile)
    finally:
        cpu = standin.cpu_seconds()
        seen = standin.stop()
    print(f"stand-in: accepted {seen['accepted']}, 429s {seen['flood_replies']}, sends inside "
          f"a retry_after window {seen['sends_in_ban']}, repeated chats {seen['repeat_chats']}, "
          f"errors {seen['errors'] or 0}; its CPU {cpu:.1f}s")  # fmt: skip
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
    print(machine_line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", default="1000,20000,100000",
                        help="pending rows (private chats) per push run, comma-separated")  # fmt: skip
    parser.add_argument("--sample", type=int, default=5000, help="pushes measured per run")
    parser.add_argument("--warmup", type=int, default=200, help="pushes before measuring")
    parser.add_argument("--rate", type=int, default=1000, help="global limit (msg/s)")
    parser.add_argument("--window", type=int, default=Config(token=None).send_window,
                        help="the sender's send window (NEWSBOT_SEND_WINDOW)")  # fmt: skip
    parser.add_argument("--command-chats", default="3000,20000",
                        help="chats that each subscribe by command, per run, comma-separated")  # fmt: skip
    parser.add_argument("--known-chats", default="3000,100000",
                        help="chats already in the database per run, comma-separated")  # fmt: skip
    parser.add_argument("--commands", type=int, default=1000, help="(last) commands measured")
    parser.add_argument("--profile", type=int, default=0, metavar="TOP",
                        help="then profile newsbot at the largest size; print TOP functions")  # fmt: skip
    parser.add_argument("--arenas", choices=("one", "default"), default="one",
                        help="one: every thread allocates from malloc's main arena, as `newsbot "
                        "run` has it (bot/foundation/memory.py); default: glibc's own")  # fmt: skip
    args = parser.parse_args()
    if args.arenas == "one":
        single_arena()  # before any thread starts
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
