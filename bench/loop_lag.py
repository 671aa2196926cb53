"""Event-loop lag under heavy storage work: `python -m bench.loop_lag`.

A 10 ms ticker on the event loop records how late each tick fires while newsbot's own
objects do, on that loop, what the running bot does there:

  idle     nothing (the ticker's own noise on this machine)
  queue    the Watcher sees an article file renamed into the folder and queues it for
           `--chats` subscribed chats (100,000)
  queue+w  the same while the loop writes through its own connection every tick, as the
           sender does when it settles rows: those writes wait for the writer's lock
  topics   topic counts at `--articles` articles (100,000), as /topics asks for them
           (`store.topics.counts()` on a fresh store; kept as articles change since
           issue 15, so a read of one row per topic), `--recounts` times
  scan     `Watcher.scan()` applying `--files` new files (10,000; generated once into
           bench/data/articles-N), with 100 chats following topics

Goal (issue 15): p99 lag <= 50 ms and max <= 100 ms in every phase.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.generate import TOPICS, WORDS, add_chats, generate
from bench.report import machine_line, peak_rss_mb, percentile
from bot.articles.publishing import WITHOUT_FOLLOWING as PUBLISHING
from bot.articles.watcher import Watcher
from bot.foundation.config import Config
from bot.foundation.metrics import Metrics
from bot.wiring import build_watcher
from storage import Article, Store, open_store
from storage.rows import ArticleRow
from storage.store import Change, FileState
from tests.articles import article_text

TICK = 0.010
DATA = Path(__file__).parent / "data"


class Ticker:
    """Sleeps TICK again and again; each wake-up's lateness goes to the current phase."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.lags: dict[str, list[float]] = defaultdict(list)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(TICK)
            if self.current is not None:
                self.lags[self.current].append(max(0.0, loop.time() - start - TICK))

    async def phase(self, name: str, work: Callable[[], Awaitable[str]]) -> None:
        """Run `work` with the ticker's lags counted as `name`, plus 0.2 s after it."""
        await asyncio.sleep(0.1)
        self.current = name
        started = time.perf_counter()
        what = await work()
        took = time.perf_counter() - started
        await asyncio.sleep(0.2)  # the tick that a last blocking call delayed lands here
        self.current = None
        lags = self.lags[name]
        print(
            f"{name:<7} p50 {percentile(lags, 0.5) * 1000:6.1f} ms | "
            f"p99 {percentile(lags, 0.99) * 1000:6.1f} ms | max {max(lags) * 1000:6.1f} ms | "
            f"{len(lags):4d} ticks | work {took:6.2f}s: {what}",
            flush=True,
        )


def fill_articles(store: Store, count: int) -> None:
    rng = random.Random(23)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for first in range(0, count, 5000):
        items = []
        for index in range(first, min(count, first + 5000)):
            article = Article(
                url=f"https://news.example.com/story-{index}",
                title=" ".join(rng.choices(WORDS, k=8)),
                excerpt=" ".join(rng.choices(WORDS, k=30)),
                published=rng.random() > 0.05,
                published_at=start + timedelta(minutes=index),
                topics=tuple(rng.sample(TOPICS, rng.randint(1, 4))),
                quality=rng.randint(0, 100),
            )
            items.append((f"{index:06d}.txt", FileState(1, 1, str(index)), ArticleRow.of(article)))
        with store.batch():
            PUBLISHING.store_articles(store, items, queue=False)


def lag_watcher(store: Store, folder: Path, on_change: Callable[[Change], None]) -> Watcher:
    """A watcher built as the bot builds it, scanning only when asked."""
    config = Config(token=None, articles_dir=folder, scan_interval=3600)
    return build_watcher(config, store, on_change=on_change, metrics=Metrics(), queue_pushes=True)


async def queue_phase(folder: Path, chats: int, *, writing: bool = False) -> None:
    """The Watcher, running as in the bot, queues one new file for `chats` chats; with
    `writing`, the loop also writes through its own connection every tick meanwhile (as
    the sender settles rows), and so waits whenever the writer thread holds the lock."""
    name = "queue+w" if writing else "queue"
    articles = folder / f"{name}-articles"
    articles.mkdir()
    store = open_store(folder / f"{name}.db")
    store.flags.mark_baseline_done()
    add_chats(store, [(chat, "private") for chat in range(1, chats + 1)], lambda _: ["ai"])
    queued: asyncio.Future[Change] = asyncio.get_running_loop().create_future()

    def on_change(change: Change) -> None:
        if change.queued and not queued.done():
            queued.set_result(change)

    watcher = lag_watcher(store, articles, on_change)
    task = asyncio.create_task(watcher.run())
    while not watcher.alive:
        await asyncio.sleep(0.01)

    async def settle_rows() -> None:
        for tick in itertools.count():
            store.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('tick', ?)", [tick])
            await asyncio.sleep(TICK)

    async def work() -> str:
        writes = asyncio.create_task(settle_rows()) if writing else None
        temp = articles / ".new.tmp"
        temp.write_text(article_text(webUrl="https://news.example.com/everyone", topics=["AI"]))
        os.replace(temp, articles / "new.txt")
        change = await asyncio.wait_for(queued, 60)
        if writes is not None:
            writes.cancel()
        also = ", the loop writing every tick" if writing else ""
        return f"one article queued for {change.queued} chats{also}"

    await TICKER.phase(name, work)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    store.close()


async def topics_phase(folder: Path, count: int, recounts: int) -> None:
    db = folder / "articles.db"
    store = open_store(db)
    started = time.perf_counter()
    fill_articles(store, count)
    print(f"(stored {count} articles in {time.perf_counter() - started:.1f}s)", flush=True)
    store.close()
    stores = [open_store(db) for _ in range(recounts)]  # each counts afresh once

    async def work() -> str:
        topics = 0
        for fresh in stores:
            topics = len(fresh.topics.counts())
            await asyncio.sleep(0.1)
        return f"{recounts} recounts of {topics} topics over {count} articles"

    await TICKER.phase("topics", work)
    for fresh in stores:
        fresh.close()


async def scan_phase(folder: Path, files: int) -> None:
    source = DATA / f"articles-{files}"
    if not source.exists():
        started = time.perf_counter()
        generate(source, files)
        print(f"(generated {files} files into {source} in {time.perf_counter() - started:.0f}s)")
    store = open_store(folder / "scan.db")
    store.flags.mark_baseline_done()
    rng = random.Random(29)
    add_chats(
        store,
        [(chat, "private") for chat in range(1, 101)],
        lambda _: [t.casefold() for t in rng.sample(TOPICS, 2)],
    )
    changes: list[Change] = []
    watcher = lag_watcher(store, source, changes.append)

    async def work() -> str:
        changed = await watcher.scan(queue=True)
        queued = sum(change.queued for change in changes)
        return f"{changed} files applied, {queued} pushes queued"

    await TICKER.phase("scan", work)
    store.close()


TICKER = Ticker()


async def main_async(args: argparse.Namespace) -> None:
    print(machine_line())
    folder = Path(tempfile.mkdtemp(prefix="bench-lag-"))
    ticker = asyncio.create_task(TICKER.run())
    try:

        async def idle() -> str:
            await asyncio.sleep(1.0)
            return "nothing"

        await TICKER.phase("idle", idle)
        await queue_phase(folder, args.chats)
        await queue_phase(folder, args.chats, writing=True)
        await topics_phase(folder, args.articles, args.recounts)
        await scan_phase(folder, args.files)
    finally:
        ticker.cancel()
        shutil.rmtree(folder, ignore_errors=True)
    print("goal: p99 <= 50 ms, max <= 100 ms in every phase")
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
    print(machine_line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--recounts", type=int, default=5)
    parser.add_argument("--files", type=int, default=10_000)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
