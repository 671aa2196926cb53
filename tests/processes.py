"""A real `newsbot` process for tests: started, watched through its log, stopped."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import BOT_PROCESSES
from tests.environ import clean_environ
from tests.standin import TOKEN, StandIn

BASELINE_TAKEN = "first start: the files already in the folder are the baseline"


class BotProcess:
    """`python -m bot run` in a subprocess, talking to the stand-in."""

    def __init__(self, tmp_path: Path, standin: StandIn, **settings: str) -> None:
        self.tmp_path = tmp_path
        self.standin = standin
        self.articles = tmp_path / "articles"
        self.articles.mkdir(exist_ok=True)
        self.db = tmp_path / "newsbot.db"
        self.env = {
            **clean_environ(),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": standin.base_url,
            "NEWSBOT_ARTICLES_DIR": str(self.articles),
            "NEWSBOT_DB": str(self.db),
            "NEWSBOT_SETTLE_SECONDS": "0.1",
            "NEWSBOT_STOP_TIMEOUT": "5",
            **settings,
        }
        self.log = tmp_path / f"bot-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(
        self, *, wait: bool = True, wrap: Callable[[list[str]], list[str]] = list
    ) -> BotProcess:
        """Start it (its command through `wrap`, e.g. `unprivileged`); with `wait`, until
        it polls and, on a first start (no database yet), has taken its baseline: that
        scan runs beside polling, and a file written before it ends is baseline, never
        pushed, however late the bot answered a command."""
        polls = self.standin.polls
        first_start = not self.db.exists()
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                wrap([sys.executable, "-m", "bot", "run"]), env=self.env, cwd=self.tmp_path,
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        BOT_PROCESSES.append(self.process)
        if wait:
            self.standin.wait_for(lambda: self.standin.polls > polls, timeout=20)
            if first_start:
                until(lambda: BASELINE_TAKEN in self.output(), timeout=20)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_dry_run(
    tmp_path: Path, articles: Path, **settings: str
) -> tuple[subprocess.Popen[bytes], Path]:
    """`python -m bot run --dry-run` without a token; its output goes to the returned file."""
    env = {
        **clean_environ(),
        "NEWSBOT_ARTICLES_DIR": str(articles),
        "NEWSBOT_DB": str(tmp_path / "dry.db"),
        **settings,
    }
    out = tmp_path / "out.txt"
    with open(out, "wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--dry-run"], env=env, cwd=tmp_path,
            stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
    BOT_PROCESSES.append(process)
    return process, out


def until(predicate: Callable[[], bool], timeout: float = 15) -> None:
    """A bounded wait on a subprocess's output file."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the process")
        time.sleep(0.02)
