"""Command latency with a big database: `python -m bench.commands`.

With 100,000 articles (the database `python -m bench.ingest` leaves, copied) and
10,000 chats following topics, time `/latest`, `/topic`, `/search` and `/topics` inside the
running bot: from the moment python-telegram-bot starts handling the update to the
moment the reply request reaches the local Bot API stand-in. Each probe comes from
another chat, so per-chat pacing never waits.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bench.generate import TOPICS, WORDS
from bench.report import latency_line, peak_rss_mb
from bot.foundation.config import Config
from bot.wiring import build_newsbot
from storage import open_store
from tests.standin import TOKEN, StandIn

SOURCE = Path(__file__).parent / "data" / "ingest-100000.db"


def prepare(folder: Path, chats: int) -> Path:
    if not SOURCE.exists():
        raise SystemExit(f"run `python -m bench.ingest` first: it leaves {SOURCE}")
    db = folder / "commands.db"
    shutil.copy(SOURCE, db)
    store = open_store(db)
    store.flags.mark_baseline_done()
    rng = random.Random(3)
    now = time.time()
    with store.batch():
        store.db.conn.executemany(
            "INSERT OR IGNORE INTO chats (id, type, created_at) VALUES (?, 'private', ?)",
            [(chat, now) for chat in range(1, chats + 1)],
        )
        store.db.conn.executemany(
            "INSERT OR IGNORE INTO feeds (chat_id, created_at) VALUES (?, ?)",
            [(chat, now) for chat in range(1, chats + 1)],
        )
        store.db.conn.executemany(
            "INSERT OR IGNORE INTO subscriptions (topic, feed_id) "
            "SELECT ?, id FROM feeds WHERE chat_id = ? AND thread_id = 0",
            [(topic.casefold(), chat) for chat in range(1, chats + 1)
             for topic in rng.sample(TOPICS, rng.randint(1, 3))],
        )  # fmt: skip
    articles = store.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    store.close()
    print(f"database: {articles} articles, {chats} chats")
    return db


async def measure(db: Path, probes: int) -> dict[str, list[float]]:
    standin = StandIn().start()
    # the folder the database was ingested from: its start-up scan finds nothing changed
    # (an empty folder would make every article "deleted", and every reply trivially fast)
    articles = SOURCE.parent / "articles-100000"
    config = Config(token=TOKEN, base_url=standin.base_url, articles_dir=articles, db_path=db,
                    scan_interval=3600)  # fmt: skip
    store = open_store(db, exclusive=True)
    bot = build_newsbot(config, store)
    started: dict[int, float] = {}

    async def note_start(update: object, _: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            started[update.update_id] = time.time()

    bot.application.add_handler(TypeHandler(Update, note_start), group=-2)
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(stop))
    while not (bot.watcher.alive and bot.sender.alive and bot.telegram_polling):
        await asyncio.sleep(0.01)
    rng = random.Random(5)
    commands = {
        "/latest": lambda: f"/latest {rng.randint(5, 20)}",
        "/topic": lambda: f"/topic {rng.choice(TOPICS)}",
        "/search": lambda: "/search " + " ".join(rng.sample(WORDS[:29], rng.randint(1, 2))),
        "/topics": lambda: "/topics",
    }
    timings: dict[str, list[float]] = {name: [] for name in commands}
    chat = 0
    for _ in range(probes):
        for name, make in commands.items():
            # probes further apart than the global send spacing (1.03/30 s): otherwise each
            # reply waits for its turn behind the previous one and that is all we measure
            await asyncio.sleep(0.05)
            chat += 1
            update_id = standin.say(chat, make())
            await asyncio.to_thread(
                standin.wait_for, lambda c=chat: bool(standin.messages_to(c)), 10
            )
            timings[name].append(standin.messages_to(chat)[0].at - started[update_id])
    empty = [m.text for m in standin.sent if m.text and m.text.startswith(("No ", "Nothing"))]
    print(f"replies: {len(standin.sent)}, of which empty: {len(empty)}; "
          f"visible articles: {store.figures.counts()['articles']}")  # fmt: skip
    stop.set()
    await task
    store.close()
    standin.stop()
    return timings


async def main_async(args: argparse.Namespace) -> None:
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    folder = Path(tempfile.mkdtemp())
    try:
        db = prepare(folder, args.chats)
        timings = await measure(db, args.probes)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for name, values in timings.items():
        print(latency_line(name, values))
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--chats", type=int, default=10_000)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
