"""What at-least-once costs: `python -m bench.crash_repeat` (--kills, --chats, --window).

A real `newsbot run` process fans articles out to `--chats` private chats through the
Bot API stand-in (Telegram's limits: 30 msg/s, 1/s per chat), and is killed with SIGKILL
(`kill -9`) `--kills` times, each time after a random number (1 to 3 x the window) of
messages since it started, then started again. When the fan-out under way has fewer pushes
left than a kill may wait for, the next article is written too. At the end the bot runs until every chat has every
article, and stops cleanly. Counts, per (chat, article), the messages beyond the first:
the pushes a crash repeated, against the bound (`NEWSBOT_SEND_WINDOW` per kill).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from storage import open_store
from tests.articles import write_article
from tests.environ import clean_environ
from tests.standin import TOKEN, FloodRules, Sent, StandIn


def start(env: dict[str, str], log_path: Path, standin: StandIn) -> subprocess.Popen[bytes]:
    """A bot process, once it polls (its start-up scan runs beside the first polls)."""
    polls = standin.polls
    with open(log_path, "ab") as log:
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    standin.wait_for(lambda: standin.polls > polls, timeout=60)
    return bot


def link(sent: Sent) -> str | None:
    match = re.search(r'href="(https://crash\.example\.com/[^"]+)"', sent.html or "")
    return None if match is None else match.group(1)


def delivered(standin: StandIn) -> Counter[tuple[int, str]]:
    """Messages accepted per (chat, article link)."""
    counts: Counter[tuple[int, str]] = Counter()
    for message in list(standin.sent):
        url = link(message)
        if url is not None:
            counts[(message.chat_id, url)] += 1
    return counts


def publish(articles: Path, number: int) -> str:
    url = f"https://crash.example.com/{number}"
    write_article(articles / f"{number:03d}.txt", webUrl=url, title=f"Crash test {number}",
                  topics=["AI"], images=None)  # fmt: skip
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--window", type=int, default=8, help="NEWSBOT_SEND_WINDOW")
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()
    # a killed bot's connections end mid-request: the stand-in's server logs each one
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; {args.kills} "
          f"kills mid fan-out to {args.chats} chats, window {args.window}")  # fmt: skip
    folder = Path(tempfile.mkdtemp())
    articles = folder / "articles"
    articles.mkdir()
    db = folder / "crash.db"
    store = open_store(db)
    store.flags.mark_baseline_done()
    with store.batch():
        for chat in range(1, args.chats + 1):
            store.chats.register(chat, "private", None)
            store.feeds.subscribe(store.feeds.ensure(chat).id, ["AI"])
    store.close()
    standin = StandIn(flood=FloodRules()).start()
    env = {
        **clean_environ(),
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": standin.base_url,
        "NEWSBOT_ARTICLES_DIR": str(articles), "NEWSBOT_DB": str(db),
        "NEWSBOT_SEND_WINDOW": str(args.window), "NEWSBOT_SETTLE_SECONDS": "0.1",
    }  # fmt: skip
    log_path = folder / "bot.log"
    rng = random.Random(args.seed)
    started = time.monotonic()
    urls = [publish(articles, 1)]
    repeats_after: list[int] = []  # repeated pushes counted after each kill's restart
    for _ in range(args.kills):
        counts = delivered(standin)
        left = sum(1 for chat in range(1, args.chats + 1) if not counts[(chat, urls[-1])])
        if left <= 3 * args.window:  # the fan-out may end before the kill: the next one too
            urls.append(publish(articles, len(urls) + 1))
        bot = start(env, log_path, standin)
        before = len(standin.sent)
        wait = rng.randint(1, 3 * args.window)
        standin.wait_for(lambda at=before + wait: len(standin.sent) >= at, timeout=120)
        bot.send_signal(signal.SIGKILL)
        bot.wait(30)
        repeats_after.append(sum(n - 1 for n in delivered(standin).values()))
    bot = start(env, log_path, standin)
    owed = {(chat, url) for chat in range(1, args.chats + 1) for url in urls}
    standin.wait_for(lambda: owed <= set(delivered(standin)), timeout=600)
    bot.send_signal(signal.SIGTERM)
    code = bot.wait(30)
    took = time.monotonic() - started
    standin.stop()
    counts = delivered(standin)
    repeated = sum(n - 1 for n in counts.values())
    # what a kill repeats shows after the restart that follows it
    per_kill = [b - a for a, b in zip(repeats_after, [*repeats_after[1:], repeated], strict=True)]
    print(f"articles {len(urls)}, pushes owed {len(owed)}, messages accepted "
          f"{sum(counts.values())}, lost {len(owed - set(counts))}, 429s "
          f"{standin.stats.flood_replies}, exit code {code}, {took:.0f}s")  # fmt: skip
    print(f"repeated pushes: {repeated} over {args.kills} kills (bound {args.window} a kill, "
          f"{args.window * args.kills} in all); per kill mean {repeated / args.kills:.1f}, "
          f"max {max(per_kill)}; kills that repeated none {per_kill.count(0)}")  # fmt: skip


if __name__ == "__main__":
    main()
