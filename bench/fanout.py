"""Fan-out at Telegram's flood limits: `python -m bench.fanout`.

One article to 1,000 private chats and 10 groups, through the real sender and
python-telegram-bot, against the local Bot API stand-in enforcing 30 msg/s overall,
1/s per private chat and 20/min per group with real 429 replies. Run with our
FloodPacer, then with PTB's stock AIORateLimiter as the baseline, in the same
process. Then times queueing one article for 100,000 subscribed chats.

With `--edits`, a first article goes to every chat, then is edited (its edits due at
once) as the measured article is published: every chat gets an edit and a push, mixed
in one queue under the same limits.

With `--burners N`, N processes spin on the CPU for the whole run (a loaded machine:
the event loop and the stand-in are late, requests reach it bunched).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram.ext import AIORateLimiter, ApplicationBuilder, BaseRateLimiter

from bench.generate import add_chats
from bench.report import machine_line, peak_rss_mb
from bot.articles.publishing import Publishing
from bot.delivery.pacing import FloodPacer
from bot.foundation.config import Config
from bot.foundation.metrics import Metrics
from bot.wiring import build_pacer, build_sender
from storage import Article, Image, Store, open_store
from storage.store import FileState
from tests.standin import TOKEN, FloodRules, StandIn

ARTICLE = Article(
    url="https://news.example.com/fanout",
    title="A story everyone follows",
    excerpt="It goes to every chat at once.",
    topics=("AI",),
    images=(Image("https://img.example.com/fanout.jpg", 800, 450),),
)


def subscribe_all(store: Store, private: int, groups: int) -> None:
    chats = [(i, "private") for i in range(1, private + 1)]
    add_chats(store, chats + [(-i, "group") for i in range(1, groups + 1)], lambda _: ["ai"])


EARLIER = replace(ARTICLE, url="https://news.example.com/earlier", title="An earlier story")

# the bot's rule with NEWSBOT_FOLLOW_EDITS and NEWSBOT_RETRACT on
PUBLISHING = Publishing(edits=True, retractions=True)


async def fan_out(
    name: str,
    limiter: BaseRateLimiter,  # type: ignore[type-arg]
    args_for_sends: object,
    private: int,
    groups: int,
    edits: bool = False,
) -> dict[str, float]:
    rules = FloodRules(per_second=30, private_per_second=1, group_per_minute=20, retry_after=2)
    standin = StandIn(flood=rules).start()
    folder = Path(tempfile.mkdtemp())
    store = open_store(folder / "fanout.db")
    subscribe_all(store, private, groups)
    app = ApplicationBuilder().token(TOKEN).base_url(standin.base_url).rate_limiter(limiter).build()
    await app.initialize()
    pacer = limiter if isinstance(limiter, FloodPacer) else None
    sender = build_sender(
        store,
        app.bot,
        pacer,
        window=8,
        metrics=Metrics(),
        story_threads=True,
        rate_limit_args=args_for_sends,
    )
    task = asyncio.create_task(sender.run())
    if edits:
        PUBLISHING.store_article(store, "e.txt", FileState(1, 1, "e"), EARLIER, queue=True)
        sender.wake()
        await drained(store)
        standin.sent.clear()
        edited = replace(EARLIER, title="An earlier story, corrected")
        PUBLISHING.store_article(store, "e.txt", FileState(1, 1, "e2"), edited, queue=True)
        store.db.execute("UPDATE deliveries SET not_before = 0 WHERE kind = 'edit'")
    change = PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "x"), ARTICLE, queue=True)
    sender.wake()
    await drained(store)
    await sender.stop(5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await app.shutdown()
    standin.stop()
    times = sorted(m.at for m in standin.sent + standin.edits)
    per_chat = Counter(m.chat_id for m in standin.sent)
    duration = times[-1] - times[0]
    rate = (len(times) - 1) / duration if duration else float("inf")
    worst_second = max(sum(1 for t in times if s <= t < s + 1.0) for s in times)
    store.close()
    return {
        "name": name,
        "queued": change.queued,
        "delivered": len(per_chat),
        "duplicates": sum(count - 1 for count in per_chat.values()),
        "seconds": duration,
        "rate": rate,
        "share": rate / rules.per_second,
        "flood_replies": standin.stats.flood_replies,
        "global_floods": sum(1 for _, _, scope in standin.stats.floods if scope == "global"),
        "sends_in_ban": standin.stats.sends_in_ban,
        "worst_second": worst_second,
        "edits": len(standin.edits),
    }  # type: ignore[return-value]


async def drained(store: Store) -> None:
    started = time.monotonic()
    while store.outbox.pending_count() and time.monotonic() - started < 600:
        await asyncio.sleep(0.05)


def time_queueing(chats: int) -> tuple[float, int]:
    folder = Path(tempfile.mkdtemp())
    store = open_store(folder / "queue.db")
    subscribe_all(store, chats, 0)
    started = time.perf_counter()
    change = PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "x"), ARTICLE, queue=True)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, change.queued


async def main_async(args: argparse.Namespace) -> None:
    # the baseline logs every 429 with a traceback: keep the figures readable
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    print(machine_line() + (f"; {args.burners} CPU burners running" if args.burners else ""))
    print(
        f"fan-out of one article to {args.private} private chats and {args.groups} groups;"
        " stand-in limits 30/s, 1/s per private chat, 20/min per group, retry_after 2 s"
    )
    runs = [("newsbot FloodPacer", build_pacer(Config(token=None)), {"retries": 0})]
    if not args.skip_baseline:
        # max_retries 0 as with ours: a 429 goes back to the outbox, which retries the row
        runs.append(("PTB AIORateLimiter", AIORateLimiter(), 0))
    for name, limiter, extra in runs:
        result = await fan_out(name, limiter, extra, args.private, args.groups, args.edits)
        print(
            f"{result['name']:<20} delivered {result['delivered']}/{result['queued']} in "
            f"{result['seconds']:.1f}s: {result['rate']:.2f} msg/s = {result['share']:.1%} of 30/s | "
            f"429s {result['flood_replies']} ({result['global_floods']} global) | "
            f"sends inside a retry_after window "
            f"{result['sends_in_ban']} | duplicates {result['duplicates']} | "
            f"most sends in any 1 s {result['worst_second']}"
            + (f" | edits {result['edits']} (counted in the rate)" if args.edits else "")
        )
    elapsed, queued = time_queueing(args.queue_chats)
    print(f"queueing one article for {queued} subscribed chats: {elapsed:.3f}s")
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
    print("at the end: " + machine_line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--private", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--queue-chats", type=int, default=100_000)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--edits", action="store_true", help="edit an earlier article of every chat meanwhile"
    )
    parser.add_argument("--burners", type=int, default=0, help="CPU-bound processes meanwhile")
    args = parser.parse_args()
    with burning(args.burners):
        asyncio.run(main_async(args))


@contextlib.contextmanager
def burning(count: int) -> Iterator[None]:
    """`count` processes spinning on the CPU until the block ends."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


if __name__ == "__main__":
    main()
