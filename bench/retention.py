"""Retention: `python -m bench.retention` (--rate, --days, --retention-days, --chats).

Fills a new database with `--days` days of settled pushes at `--rate` messages/s (fake
times, one article per fan-out to `--chats` chats) and one handled update id a second,
then runs retention as the bot does (`Pruner`, batches of 2,000 rows) with a clock at
the end of the period, then gives the freed pages back to the file system as the bot
does after each pass (`Pruner.reclaim`, incremental auto-vacuum: migration 0012). Prints
the rows and the database size before and after: the file size, the pages in use and
the free pages, the longest single batch (how long a prune holds the write lock) and the
longest reclaiming step (how long one holds the event loop).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bot.delivery.pruning import DAY, Pruner
from storage import Store, open_store

START = 1_700_000_000.0


def fill(store: Store, rate: float, days: int, chats: int) -> None:
    db = store.db
    with db.atomic():
        for chat in range(1, chats + 1):
            db.execute(
                "INSERT INTO chats (id, type, active, created_at) VALUES (?, 'private', 1, 0)",
                [chat],
            )
            db.execute("INSERT INTO feeds (chat_id, created_at) VALUES (?, 0)", [chat])
    per_day = int(rate * DAY)
    for day in range(days):
        first = day * per_day
        articles = range(first // chats, (first + per_day - 1) // chats + 1)
        with db.atomic():
            db.execute(
                "INSERT OR IGNORE INTO articles (id, url, path, title, published, present, "
                "visible, sort_at, first_seen_at, updated_at, data) "
                "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "SELECT i + 1, 'https://bench.example.com/' || i, i || '.txt', 'Article ' || i, "
                "1, 1, 1, '2026', 0, 0, '{}' FROM n",
                [articles.start, articles.stop - 1],
            )
            db.execute(
                "INSERT INTO deliveries (kind, article_id, feed_id, state, attempts, message_id, "
                "created_at, updated_at) "
                "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "SELECT 'push', i / ? + 1, i % ? + 1, 'sent', 1, i, ? + i / ?, ? + i / ? FROM n",
                [first, first + per_day - 1, chats, chats, START, rate, START, rate],
            )
            db.execute(
                "INSERT INTO processed_updates (update_id, at) "
                "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "SELECT i, ? + i FROM n",
                [day * 86400, day * 86400 + 86399, START],
            )
        print(f"  day {day + 1}: {(day + 1) * per_day} deliveries", flush=True)


def sizes(store: Store, path: Path) -> str:
    page = store.db.execute("PRAGMA page_size").fetchone()[0]
    count = store.db.execute("PRAGMA page_count").fetchone()[0]
    free = store.db.execute("PRAGMA freelist_count").fetchone()[0]
    rows = store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
    updates = store.db.execute("SELECT COUNT(*) FROM processed_updates").fetchone()[0]
    return (
        f"deliveries {rows:,} rows, processed_updates {updates:,} rows | file "
        f"{path.stat().st_size / 2**20:,.0f} MiB, in use {(count - free) * page / 2**20:,.0f} MiB"
        f", free {free * page / 2**20:,.0f} MiB"
    )


async def prune(store: Store, pruner: Pruner) -> tuple[int, float, float]:
    longest = 0.0
    prune_deliveries = store.retention.prune_deliveries

    def timed(before: float, limit: int) -> int:
        nonlocal longest
        started = time.perf_counter()
        count = prune_deliveries(before, limit)
        longest = max(longest, time.perf_counter() - started)
        return count

    store.retention.prune_deliveries = timed  # type: ignore[method-assign]
    started = time.perf_counter()
    removed = await pruner.prune()
    return removed, time.perf_counter() - started, longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=30.0, help="messages/s (default 30)")
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--retention-days", type=int, default=30)
    parser.add_argument("--chats", type=int, default=1000)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp()) / "retention.db"
    store = open_store(path)
    print(f"{args.days} days at {args.rate:g} msg/s to {args.chats} chats, retention "
          f"{args.retention_days} days; {path}")  # fmt: skip
    started = time.perf_counter()
    fill(store, args.rate, args.days, args.chats)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"filled in {time.perf_counter() - started:.0f}s")
    print("before:", sizes(store, path))
    pruner = Pruner(store, args.retention_days, clock=lambda: START + args.days * DAY)
    removed, took, longest = asyncio.run(prune(store, pruner))
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(
        f"retention removed {removed:,} rows in {took:.1f}s; longest batch {longest * 1000:.0f} ms"
    )
    print("pruned:", sizes(store, path))
    started = time.perf_counter()
    reclaimed = asyncio.run(pruner.reclaim())
    took = time.perf_counter() - started
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(
        f"reclaimed {reclaimed:,} pages in {took:.1f}s; longest step "
        f"{pruner.longest_step * 1000:.0f} ms"
    )
    print("after: ", sizes(store, path))
    store.close()
    path.unlink()


if __name__ == "__main__":
    main()
