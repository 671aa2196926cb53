"""Soak: `python -m bench.soak` (--minutes, default 10; --outage-seconds, --restarts).

Runs `newsbot run` as a real process against the local Bot API stand-in with a steady
stream of new articles (one every `--interval` s, default 3, to 50 subscribed chats),
edits, unpublishes and chat commands, and samples the bot's RSS and open file
descriptors every 5 s (printing a line a minute). At 3 s the stream asks about 23
messages a second (50 pushes, about 15 edits and 5 retractions per article), inside
Telegram's 30/s, so the queue stays short; at 2 s it asks about 35/s and grows.
`--outage-seconds N` answers every send with 502 for N seconds from the middle of the
run; `--restarts K` stops the bot with SIGTERM and starts it again K times, evenly
spread over the run. After the stream stops, the bot drains its queue (at most
`--drain` s) before it is stopped. Prints start, end and peak values, the messages
each article should have reached against those sent and those still shown (an article
shown twice in a chat is a duplicate; one sent again after its earlier message was
deleted by a retraction is not), and every WARNING/ERROR line of the bot's log.
"""

from __future__ import annotations

import argparse
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


def sample(pid: int) -> tuple[float, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def _pending(db: Path) -> int:
    store = open_store(db)
    try:
        return store.outbox.pending_count()
    finally:
        store.close()


def start(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, stdout=log,
                                stderr=subprocess.STDOUT)  # fmt: skip


def stop(bot: subprocess.Popen[bytes]) -> int:
    bot.send_signal(signal.SIGTERM)
    return bot.wait(30)


def _link(sent: Sent) -> str | None:
    match = re.search(r'href="([^"]+)"', sent.html or "")
    return None if match is None else match.group(1)


def delivery_figures(standin: StandIn, db: Path, chats: int) -> str:
    """Pushes each visible article owed every chat, against what the stand-in accepted
    and what each chat shows at the end."""
    store = open_store(db)
    visible = {row[0] for row in store.db.execute("SELECT url FROM articles WHERE visible = 1")}
    states = dict(store.db.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY 1").fetchall())
    store.close()
    sent: Counter[tuple[int, str]] = Counter()
    links: dict[tuple[int, int], str] = {}  # (chat, message id) -> the article it was sent for
    for message in standin.sent:
        link = _link(message)
        if link is not None and message.chat_id <= chats:
            sent[(message.chat_id, link)] += 1
            links[(message.chat_id, message.message_id)] = link
    deleted: Counter[tuple[int, str]] = Counter()
    for edit in standin.edits:
        link = links.get((edit.chat_id, edit.message_id))
        if edit.method == "deleteMessage" and link is not None:
            deleted[(edit.chat_id, link)] += 1
    shown: Counter[tuple[int, str]] = Counter()
    for (chat, _), message in standin.bot_messages.items():
        link = _link(message)  # what the message shows now, after any edit
        if link is not None and link in visible and chat <= chats:
            shown[(chat, link)] += 1
    owed = {(chat, url) for chat in range(1, chats + 1) for url in visible}
    resent = sum(min(count - 1, deleted[key]) for key, count in sent.items() if count > 1)
    duplicates = sum(max(0, count - 1 - deleted[key]) for key, count in sent.items())
    twice = sum(1 for count in shown.values() if count > 1)
    lost = len(owed - set(shown))
    return (f"pushes owed {len(owed)} (visible articles {len(visible)} x {chats} chats), "
            f"sent {sum(sent.values())} ({resent} again after a retraction deleted the first), "
            f"duplicates {duplicates}, shown twice {twice}, lost {lost}; rows {states}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--outage-seconds", type=float, default=0)
    parser.add_argument("--restarts", type=int, default=0)
    parser.add_argument("--drain", type=float, default=180)
    parser.add_argument("--interval", type=float, default=3, help="seconds between articles")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; {args.minutes} minutes"
        f", an article every {args.interval:g}s, outage {args.outage_seconds:g}s"
        f", restarts {args.restarts}"
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
        **clean_environ(),
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": standin.base_url,
        "NEWSBOT_ARTICLES_DIR": str(articles), "NEWSBOT_DB": str(db),
        "NEWSBOT_SCAN_INTERVAL": "30",
    }  # fmt: skip
    log_path = folder / "bot.log"
    bot = start(env, log_path)
    standin.wait_for(lambda: standin.polls > 0, 30)
    length = args.minutes * 60
    outage = (length / 2, length / 2 + args.outage_seconds)
    restarts = [length * (i + 1) / (args.restarts + 1) for i in range(args.restarts)]
    codes = []
    rng = random.Random(11)
    samples: list[tuple[float, float, int]] = []
    started = time.monotonic()
    next_sample = started
    index = 0
    commands = ["/latest", "/latest 10", "/search robots", "/topic AI", "/subscriptions", "/help"]
    while time.monotonic() - started < length:
        now = time.monotonic()
        elapsed = now - started
        down = args.outage_seconds > 0 and outage[0] <= elapsed < outage[1]
        if (standin.outage is not None) != down:
            standin.outage = 502 if down else None
            print(f"t={elapsed:.0f}s: outage {'starts' if down else 'ends'}", flush=True)
        if restarts and elapsed >= restarts[0]:
            restarts.pop(0)
            codes.append(stop(bot))
            bot = start(env, log_path)
            print(f"t={elapsed:.0f}s: restarted (exit code {codes[-1]})", flush=True)
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
        time.sleep(args.interval)  # the scenario's pace
    standin.outage = None
    drain_started = time.monotonic()
    while time.monotonic() - drain_started < args.drain and _pending(db):
        time.sleep(1)
    print(f"drained in {time.monotonic() - drain_started:.0f}s, {_pending(db)} rows pending")
    code = stop(bot)
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
    print(f"exit codes {[*codes, code]}")
    print(delivery_figures(standin, db, 50))
    problems = [line for line in log_path.read_text(errors="replace").splitlines()
                if " WARNING " in line or " ERROR " in line or "Traceback" in line]  # fmt: skip
    print(f"{len(problems)} WARNING/ERROR lines" + (":" if problems else ""))
    for line in problems[:20]:
        print("  " + line)


if __name__ == "__main__":
    main()
