"""`python -m tests.standin --port P [--per-second N ...]`: serve until SIGTERM/SIGINT.

Prints `port P` once it listens (P is the one it got when asked for 0) and, when
stopped, one JSON line of what it saw. It does not keep what it received (only
counts it), so its memory stays flat however long it runs.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from tests.standin.server import StandIn
from tests.standin.state import FloodRules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-flood", action="store_true", help="enforce no flood limits")
    parser.add_argument("--per-second", type=int, default=30)
    parser.add_argument("--private-per-second", type=int, default=1)
    parser.add_argument("--group-per-minute", type=int, default=20)
    parser.add_argument("--retry-after", type=int, default=1)
    args = parser.parse_args()
    rules = None
    if not args.no_flood:
        rules = FloodRules(
            args.per_second, args.private_per_second, args.group_per_minute, args.retry_after
        )
    standin = StandIn(flood=rules, unlimited=args.no_flood, port=args.port).start()
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    print(f"port {standin.port}", flush=True)
    chats: set[int] = set()
    duplicates = 0
    while not done.wait(0.5):
        with standin._cond:
            sent, standin.sent = standin.sent, []
            standin.calls.clear()
        for message in sent:
            if message.chat_id in chats:
                duplicates += 1
            chats.add(message.chat_id)
    standin.stop()
    stats = standin.stats
    summary = {
        "accepted": stats.accepted,
        "flood_replies": stats.flood_replies,
        "sends_in_ban": stats.sends_in_ban,
        "repeat_chats": duplicates,
        "errors": dict(stats.errors),
    }
    print(json.dumps(summary), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
