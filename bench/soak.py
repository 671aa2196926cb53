"""Soak: `python -m bench.soak` (--minutes, default 10).

Runs `newsbot run` as a real process against the local Bot API stand-in with a steady
stream of new articles (one every 2 s, to 50 subscribed chats), edits, unpublishes
and chat commands, and samples the bot's RSS and open file descriptors every 5 s.
Prints a line a minute while it runs, then start, end and peak values and every
WARNING/ERROR line of the bot's log.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storage import open_store
from tests.articles import write_article
from tests.standin import TOKEN, FloodRules, StandIn


def sample(pid: int) -> tuple[float, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; {args.minutes} minutes"
    )
    folder = Path(tempfile.mkdtemp())
    articles = folder / "articles"
    articles.mkdir()
    db = folder / "soak.db"
    store = open_store(db)
    store.flags.mark_baseline_done()
    for chat in range(1, 51):
        store.chats.register(chat, "private", None)
        store.feeds.subscribe(store.feeds.ensure(chat).id, ["AI"])
    store.close()
    standin = StandIn(flood=FloodRules()).start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))},
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": standin.base_url,
        "NEWSBOT_ARTICLES_DIR": str(articles), "NEWSBOT_DB": str(db),
        "NEWSBOT_SCAN_INTERVAL": "30",
    }  # fmt: skip
    log_path = folder / "bot.log"
    with open(log_path, "wb") as log:
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    standin.wait_for(lambda: standin.polls > 0, 30)
    rng = random.Random(11)
    samples: list[tuple[float, float, int]] = []
    started = time.monotonic()
    next_sample = started
    index = 0
    commands = ["/latest", "/latest 10", "/search robots", "/topic AI", "/subscriptions", "/help"]
    while time.monotonic() - started < args.minutes * 60:
        now = time.monotonic()
        if now >= next_sample:
            rss, fds = sample(bot.pid)
            samples.append((now - started, rss, fds))
            if len(samples) % 12 == 1:  # a line a minute: a long soak shows its course
                print(f"t={now - started:5.0f}s  RSS {rss:6.1f} MB  fds {fds}  "
                      f"accepted {standin.stats.accepted}  429s {standin.stats.flood_replies}",
                      flush=True)  # fmt: skip
            next_sample += 5
        index += 1
        write_article(articles / f"{index:05d}.txt", webUrl=f"https://soak.example.com/{index}",
                      title=f"Soak article {index}", topics=["AI"])  # fmt: skip
        if index > 3 and rng.random() < 0.3:  # edit an older one
            old = rng.randint(1, index - 1)
            write_article(articles / f"{old:05d}.txt", webUrl=f"https://soak.example.com/{old}",
                          title=f"Soak article {old}, edited", topics=["AI"])  # fmt: skip
        if index > 3 and rng.random() < 0.1:  # unpublish one
            old = rng.randint(1, index - 1)
            write_article(articles / f"{old:05d}.txt", webUrl=f"https://soak.example.com/{old}",
                          title=f"Soak article {old}", topics=["AI"], published=False)  # fmt: skip
        standin.say(1000 + index % 200, rng.choice(commands))
        time.sleep(2)  # the scenario's pace: one new article every 2 s
    bot.send_signal(signal.SIGTERM)
    code = bot.wait(30)
    standin.stop()
    first, last = samples[0], samples[-1]
    peak_rss = max(s[1] for s in samples)
    print(
        f"articles written {index}, messages accepted {standin.stats.accepted}, 429s {standin.stats.flood_replies}"
    )
    print(
        f"RSS  start {first[1]:.1f} MB (t={first[0]:.0f}s) -> end {last[1]:.1f} MB (t={last[0]:.0f}s), peak {peak_rss:.1f} MB"
    )
    print(f"FDs  start {first[2]} -> end {last[2]}, peak {max(s[2] for s in samples)}")
    quarter = max(1, len(samples) // 4)
    print(f"RSS  mean of first quarter {sum(s[1] for s in samples[:quarter]) / quarter:.1f} MB, "
          f"last quarter {sum(s[1] for s in samples[-quarter:]) / quarter:.1f} MB")  # fmt: skip
    print(f"exit code {code}")
    problems = [line for line in log_path.read_text(errors="replace").splitlines()
                if " WARNING " in line or " ERROR " in line or "Traceback" in line]  # fmt: skip
    print(f"{len(problems)} WARNING/ERROR lines" + (":" if problems else ""))
    for line in problems[:20]:
        print("  " + line)


if __name__ == "__main__":
    main()
