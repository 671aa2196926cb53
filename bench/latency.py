"""Detection latency: `python -m bench.latency` (probes with --probes, default 60).

A file renamed into place (temp file, then os.replace) -> the push request arriving at
the local Bot API stand-in, through the whole running bot (its arrival, before the
stand-in parses and checks it: that time is Telegram's, not the bot's). First with the native
(inotify) watcher, then, as the baseline in the same run, with a plain loop that
re-lists the folder every 0.2 s feeding the same pipeline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")

from bench.report import latency_line, peak_rss_mb
from bot.app import NewsBot
from bot.articles.folder_events import FileEvent
from bot.foundation.config import Config
from bot.wiring import build_newsbot
from storage import open_store
from tests.articles import article_text
from tests.standin import TOKEN, StandIn


async def relist_loop(bot: NewsBot, folder: Path) -> None:
    """The baseline: a plain loop that lists the folder every 0.2 s and hands new names on."""
    seen = set(os.listdir(folder))
    while True:
        await asyncio.sleep(0.2)
        names = set(os.listdir(folder))
        for name in sorted(names - seen):
            bot.watcher.on_event(FileEvent(folder / name, True, time.monotonic()))
        seen = names


async def measure(relist: bool, probes: int) -> list[float]:
    standin = StandIn().start()
    folder = Path(tempfile.mkdtemp())
    articles = folder / "articles"
    articles.mkdir()
    config = Config(token=TOKEN, base_url=standin.base_url, articles_dir=articles,
                    db_path=folder / "latency.db", watcher="polling" if relist else "native",
                    scan_interval=3600)  # fmt: skip
    store = open_store(config.db_path, exclusive=True)
    store.flags.mark_baseline_done()
    for index in range(probes):  # a chat per probe, so per-chat pacing never waits
        store.chats.register(index + 1, "private", None)
        store.feeds.subscribe(store.feeds.ensure(index + 1).id, [f"probe{index}"])
    bot = build_newsbot(config, store)
    bot.watcher.poll_interval = 3600  # with --relist, only the plain loop below sees files
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(stop))
    while not (bot.watcher.alive and bot.sender.alive and bot.telegram_polling):
        await asyncio.sleep(0.01)
    baseline = asyncio.create_task(relist_loop(bot, articles.resolve())) if relist else None
    latencies = []
    rng = random.Random(17)
    for index in range(probes):
        text = article_text(
            webUrl=f"https://news.example.com/probe{index}", topics=[f"probe{index}"]
        )
        temp = articles / f".probe{index}.tmp"
        temp.write_text(text)
        # the scenario, not the measurement: probes at random moments, so that none is in
        # step with the baseline's 0.2 s listing loop
        await asyncio.sleep(rng.uniform(0.05, 0.45))
        started = time.time()
        os.replace(temp, articles / f"probe{index}.txt")
        await asyncio.to_thread(
            standin.wait_for, lambda i=index: bool(standin.messages_to(i + 1)), 10
        )
        latencies.append(standin.messages_to(index + 1)[0].arrived - started)
    if baseline is not None:
        baseline.cancel()
    stop.set()
    await task
    store.close()
    standin.stop()
    return latencies


async def main_async(probes: int) -> None:
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    native = await measure(False, probes)
    print(latency_line("newsbot, native watcher (inotify)", native, 34))
    polling = await measure(True, probes)
    print(latency_line("baseline: re-list folder every 0.2 s", polling, 34))
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--probes", type=int, default=60)
    asyncio.run(main_async(parser.parse_args().probes))


if __name__ == "__main__":
    main()
