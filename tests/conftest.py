"""Shared fixtures: a real SQLite file, a real folder, the Bot API stand-in, a running bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta, no warning

from bot.app import NewsBot
from bot.foundation.config import Config
from bot.wiring import build_newsbot
from storage import Store, open_store
from tests.articles import write_article
from tests.standin import TOKEN, FloodRules, StandIn

ADMIN_ID = 4242
# Telegram lets a bot send one message a second to a private chat and 20 a minute to a
# group: a test that exchanges a few messages with one chat would wait seconds for each.
# Tests with the `config` fixture scale both sides alike: the bot paces at these rates and
# the stand-in enforces them with 429s, as it enforces Telegram's. The global limit stays
# Telegram's; tests of the limits themselves (test_pacing, bench/) keep Telegram's, and a
# test marked `telegram_pace` gets Telegram's too (say why).
CHAT_PACE = FloodRules(private_per_second=10, group_per_minute=600)


# `python -m bot run` processes started by tests (tests.test_process), for the teardown below
BOT_PROCESSES: list[subprocess.Popen[bytes]] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Kill a bot process that its test left running (it failed before stopping it),
    before the fixtures' teardown: it would keep polling the stand-in's port after the
    stand-in stops, for the rest of the suite and after it."""
    while BOT_PROCESSES:
        process = BOT_PROCESSES.pop()
        if process.poll() is None:
            process.kill()
            process.wait(15)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves a thread of ours running (watchdog's habit in its own suite)."""
    before = set(threading.enumerate())
    yield
    leaked = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not t.name.startswith(("asyncio_", "ThreadPool"))
    ]
    for thread in leaked:
        thread.join(5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"threads left running: {still}"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`main()` sets up logging on the real stderr: put the test runner's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database created and migrated once: a copy of it opens in a few milliseconds,
    where creating one takes 50-100 ms (the fsyncs of its migrations)."""
    path = tmp_path_factory.mktemp("migrated") / "newsbot.db"
    open_store(path).close()
    return path


def fresh_database(migrated: Path, path: Path) -> Path:
    """A new database at `path`, as open_store leaves one it created and closed."""
    shutil.copyfile(migrated, path)
    return path


@pytest.fixture
def store(tmp_path: Path, migrated_database: Path) -> Iterator[Store]:
    opened = open_store(fresh_database(migrated_database, tmp_path / "newsbot.db"))
    yield opened
    opened.close()


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    return folder


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = StandIn().start()
    yield server
    server.stop()


@pytest.fixture
def config(
    tmp_path: Path,
    articles: Path,
    standin: StandIn,
    migrated_database: Path,
    request: pytest.FixtureRequest,
) -> Config:
    """The bot's settings for tests, with the stand-in enforcing the same `CHAT_PACE`,
    and a new database (the `store` fixture's, when a test has both)."""
    pace = FloodRules() if request.node.get_closest_marker("telegram_pace") else CHAT_PACE
    standin.flood = replace(pace)
    database = tmp_path / "newsbot.db"
    if not database.exists():
        fresh_database(migrated_database, database)
    return Config(
        token=TOKEN,
        base_url=standin.base_url,
        articles_dir=articles,
        db_path=database,
        admin_ids=frozenset({ADMIN_ID}),
        settle_seconds=0.1,
        scan_interval=3600,
        stop_timeout=3,
        rate_private=pace.private_per_second,
        rate_group_per_minute=pace.group_per_minute,
    )


class Running:
    """A NewsBot running in the test's event loop, and the handles tests need."""

    def __init__(self, bot: NewsBot, standin: StandIn, articles: Path) -> None:
        self.bot = bot
        self.standin = standin
        self.articles = articles
        self.store = bot.store

    def write(self, name: str, **fields: Any) -> Path:
        return write_article(self.articles / name, **fields)

    async def command(self, chat_id: int, text: str, **kwargs: Any) -> str:
        """Send a command as a user and wait for the bot's reply to that chat."""
        before = len(self.standin.messages_to(chat_id))
        self.standin.say(chat_id, text, **kwargs)
        await self.standin.until(lambda: len(self.standin.messages_to(chat_id)) > before)
        reply = self.standin.messages_to(chat_id)[before].text
        assert reply is not None
        return reply


async def start_bot(
    config: Config, standin: StandIn, clock: Callable[[], float] = time.time
) -> tuple[NewsBot, asyncio.Task[None], asyncio.Event]:
    store = open_store(config.db_path, exclusive=True)
    bot = build_newsbot(config, store, clock)
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(stop))
    await standin.until(lambda: any(m == "setMyCommands" for m, _ in standin.calls))
    await asyncio.wait_for(_until_watching(bot), 10)
    return bot, task, stop


async def _until_watching(bot: NewsBot) -> None:
    while not (bot.watcher.alive and bot.sender.alive and bot.telegram_polling):
        await asyncio.sleep(0.01)


async def stop_bot(bot: NewsBot, task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    await asyncio.wait_for(task, 15)
    bot.store.close()


@pytest.fixture
async def running(config: Config, standin: StandIn, articles: Path) -> AsyncIterator[Running]:
    bot, task, stop = await start_bot(config, standin)
    yield Running(bot, standin, articles)
    await stop_bot(bot, task, stop)


def with_settings(config: Config, **changes: Any) -> Config:
    return replace(config, **changes)


async def eventually(predicate: Any, timeout: float = 10.0) -> None:
    """Wait (bounded) for a condition on the bot's own state, letting the loop run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.005)


@contextlib.contextmanager
def write_lock(database: Path) -> Iterator[None]:
    """Another process's connection holding the database's write lock (an operator's
    `sqlite3` shell inside BEGIN IMMEDIATE) until the block ends."""
    other = sqlite3.connect(database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("COMMIT")
    finally:
        other.close()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` cannot be written, as a root-owned 0644 file is to the bot's user: chmod for
    a user, the immutable flag for root (whom modes do not stop)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root where chattr +i is not available")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def unprivileged(command: list[str]) -> list[str]:
    """`command` run so that file modes bind it: as root, without the capabilities that
    let root read any folder (as the bot's own user is bound)."""
    if os.geteuid() != 0:
        return command
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv to drop root's file capabilities")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
