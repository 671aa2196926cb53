"""The cost of feed settings on the push path: `python -m bench.schedule`.

100,000 feeds, every one with settings (a mix of zones, quiet windows across midnight,
hourly and daily digests, formats, silent), one article queued for all of them. Times:
reading the settings the sender caches, deciding each push's schedule (the pure
arithmetic alone), and holding every push through the sender's hook (decision plus the
outbox write). Then, in the same run, `bench.fanout`'s figure: queueing one article for
100,000 subscribed chats, without settings, for comparison.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.fanout import ARTICLE, subscribe_all, time_queueing
from bench.report import peak_rss_mb
from bot.articles.publishing import WITHOUT_FOLLOWING as PUBLISHING
from bot.delivery.digesting import FeedDelivery, plan_of
from bot.delivery.schedule import release_at
from storage import open_store
from storage.store import FileState

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Sydney"]


def add_settings(db_path: Path, feeds: int) -> None:
    """Give every feed settings: each fifth of them a different kind."""
    store = open_store(db_path)
    with store.batch():
        store.db.execute(
            """
            UPDATE feeds SET
              timezone = json_extract(:zones, '$[' || (id % 5) || ']'),
              quiet_start = CASE WHEN id % 5 IN (0, 1, 2) THEN 1320 END,
              quiet_end = CASE WHEN id % 5 IN (0, 1, 2) THEN 420 END,
              digest = CASE id % 5 WHEN 1 THEN 'hourly' WHEN 3 THEN 'daily' ELSE 'off' END,
              digest_at = 480,
              format = CASE WHEN id % 2 = 0 THEN 'compact' ELSE 'text' END,
              silent = id % 3 = 0
            """,
            {"zones": str(ZONES).replace("'", '"')},
        )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=100_000)
    args = parser.parse_args()
    with TemporaryDirectory() as folder:
        path = Path(folder) / "schedule.db"
        store = open_store(path)
        subscribe_all(store, args.feeds, 0)
        store.close()
        add_settings(path, args.feeds)
        store = open_store(path)
        feeds = FeedDelivery(store)

        started = time.perf_counter()
        settings = store.settings.customised()
        plans = {feed: plan_of(value) for feed, value in settings.items() if not value.plain}
        loaded = time.perf_counter() - started

        now = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
        started = time.perf_counter()
        held = sum(release_at(plan, now) is not None for plan in plans.values())
        decided = time.perf_counter() - started

        PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "x"), ARTICLE, queue=True)
        rows = store.outbox.ready(args.feeds, now.timestamp())
        started = time.perf_counter()
        with store.batch():
            holding = sum(feeds.hold(row, now.timestamp()) for row in rows)
        hooked = time.perf_counter() - started
        store.close()
    queueing, queued = time_queueing(args.feeds)
    print(f"{len(settings)} feeds with settings, {len(plans)} with quiet hours or a digest")
    print(f"reading and caching their settings: {loaded:.3f}s")
    print(
        f"deciding the schedule of {len(plans)} pushes (pure): {decided:.3f}s "
        f"= {decided / max(len(plans), 1) * 1e6:.1f} µs each; {held} wait"
    )
    print(
        f"the sender's hook on {len(rows)} ready pushes (decide + hold): {hooked:.3f}s; {holding} held"
    )
    print(
        f"bench.fanout's figure, same run: queueing one article for {queued} chats: {queueing:.3f}s"
    )
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
