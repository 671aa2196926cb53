"""Command latency with a big database: `python -m bench.commands`.

With 100,000 articles (the database `python -m bench.ingest` leaves, copied, its dates
moved so that the newest is an hour old: `/top` has articles to rank) and 10,000 chats
following topics, time `/latest`, `/topic`, `/search`, `/top`, `/topics` and inline
queries inside the running bot: from the moment python-telegram-bot starts handling the
update to the moment the reply (or the inline answer) reaches the local Bot API stand-in
(its arrival, before the stand-in parses and checks it).
Each probe comes from another chat, so per-chat pacing never waits.

Beside each, in the same run, its baseline: the same read of the same arguments (the same
SQL, through `storage.Listing`) run directly, without the bot, Telegram's requests or
rendering: the floor the bot's answer stands on.
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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bench.generate import TOPICS, WORDS
from bench.report import latency_line, peak_rss_mb
from bot.foundation.config import Config
from bot.wiring import build_newsbot
from storage import Store, open_store
from storage.rows import sortable_time
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
        move_dates_to_now(store)
    articles = store.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    store.close()
    print(f"database: {articles} articles, {chats} chats")
    return db


def move_dates_to_now(store: Store) -> None:
    """Shift every article's `sort_at` so that the newest is an hour old."""
    rows = store.db.execute("SELECT id, sort_at FROM articles").fetchall()
    newest = max(datetime.fromisoformat(at) for _, at in rows)
    shift = datetime.now(UTC) - timedelta(hours=1) - newest
    store.db.conn.executemany(
        "UPDATE articles SET sort_at = ? WHERE id = ?",
        [(sortable_time(datetime.fromisoformat(at) + shift), id_) for id_, at in rows],
    )


Probe = tuple[str, Callable[[], object]]  # the command's text, and its read run directly


def probes_of(store: Store, rng: random.Random) -> dict[str, Callable[[int], Probe]]:
    """Each command's probe from a chat: its text, and the same read for the baseline."""

    def topics(chat: int) -> list[str]:
        feed = store.feeds.find(chat)
        assert feed is not None
        everything, names = store.feeds.subscriptions(feed.id)
        return [] if everything else names

    def latest(chat: int) -> Probe:
        count = rng.randint(5, 20)
        return f"/latest {count}", lambda: store.listing.latest(count, topics(chat))

    def topic(_chat: int) -> Probe:
        name = rng.choice(TOPICS)
        return f"/topic {name}", lambda: store.listing.latest(10, [name])

    def search(_chat: int) -> Probe:
        words = " ".join(rng.sample(WORDS[:29], rng.randint(1, 2)))
        return f"/search {words}", lambda: store.listing.search(words, 10)

    def top(chat: int) -> Probe:
        hours = rng.choice([24, 24, 72, 168, 720])
        since = datetime.now(UTC) - timedelta(hours=hours)
        return f"/top {hours}", lambda: store.listing.hottest(since, 10, topics(chat))

    def inline(_chat: int) -> Probe:
        words = " ".join(rng.sample(WORDS[:29], rng.randint(0, 2)))
        if words:
            return words, lambda: store.listing.search(words, 21)
        return words, lambda: store.listing.latest(21)

    def topics_list(_chat: int) -> Probe:
        return "/topics", lambda: store.topics.counts()

    return {"/latest": latest, "/topic": topic, "/search": search, "/top": top,
            "/topics": topics_list, "inline": inline}  # fmt: skip


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
    commands = probes_of(store, random.Random(5))
    timings: dict[str, list[float]] = {}
    chat = 0
    for _ in range(probes):
        for name, make in commands.items():
            # probes further apart than the global send spacing (1.03/30 s): otherwise each
            # reply waits for its turn behind the previous one and that is all we measure
            await asyncio.sleep(0.05)
            chat += 1
            text, read = make(chat)
            if name == "inline":
                asked = standin.inline(chat, text)
                await asyncio.to_thread(standin.wait_for, lambda q=asked: bool(q.answered_at), 10)
                assert asked.answered_at is not None
                took = asked.answered_at - started[asked.update_id]
            else:
                update_id = standin.say(chat, text)
                await asyncio.to_thread(
                    standin.wait_for, lambda c=chat: bool(standin.messages_to(c)), 10
                )
                took = standin.messages_to(chat)[0].arrived - started[update_id]
            timings.setdefault(name, []).append(took)
            began = time.perf_counter()  # the baseline: the same read, directly
            read()
            timings.setdefault(f"{name} SQL", []).append(time.perf_counter() - began)
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
        print(latency_line(name, values, width=12))
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--chats", type=int, default=10_000)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
