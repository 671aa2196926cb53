"""A vanished articles folder, in process: its files are not forgotten, health says why."""

from __future__ import annotations

import logging
import time

import pytest

from bot.foundation.config import Config
from tests.articles import write_article
from tests.conftest import Running, eventually, start_bot, stop_bot, with_settings
from tests.standin import StandIn


async def test_a_scan_of_a_vanished_folder_forgets_no_article(running: Running) -> None:
    """A folder that is gone lists as empty; the scan must not take that as every file
    deleted, and the watcher reports the folder until it is back."""
    bot = running.bot
    running.write("a.txt")
    await eventually(lambda: bot.store.figures.counts()["articles"] == 1)
    away = running.articles.with_name("away")
    running.articles.rename(away)
    assert await bot.watcher.scan() == 0
    assert bot.store.figures.counts()["articles"] == 1
    await eventually(lambda: bot.watcher.problems() != [])
    assert bot.problems() == [f"the articles folder {running.articles} is missing"]
    away.rename(running.articles)
    await eventually(lambda: bot.problems() == [])
    assert bot.store.figures.counts()["articles"] == 1


async def test_a_folder_gone_before_watching_starts_is_waited_for(
    config: Config, standin: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """The folder checked at start-up and gone by the time the observer starts (an
    unmount in between): reported like a folder gone later (one line, no other error),
    watched once it is back."""
    away = config.articles_dir.with_name("away")
    config.articles_dir.rename(away)
    bot, task, stop = await start_bot(config, standin)
    try:
        await eventually(lambda: bot.problems() != [])
        assert bot.problems() == [f"the articles folder {config.articles_dir} is missing"]
        assert not task.done()
        away.rename(config.articles_dir)
        await eventually(lambda: bot.problems() == [])
        write_article(config.articles_dir / "a.txt")
        await eventually(lambda: bot.store.figures.counts()["articles"] == 1)
    finally:
        await stop_bot(bot, task, stop)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [f"the articles folder {config.articles_dir} is missing; waiting for it"]


async def test_a_folder_emptied_under_the_bot_forgets_no_article_until_it_holds_a_file(
    config: Config, standin: StandIn
) -> None:
    """A network folder that is not mounted is an empty folder: a scan of it took every
    article for deleted (and retracted every push of the last 48 hours). An empty folder
    keeps its articles, says why in /healthz, and the next file in it ends that."""
    later = [0.0]  # how far the test moved the bot's clock
    settings = with_settings(config, scan_interval=0.1)
    bot, task, stop = await start_bot(settings, standin, lambda: time.time() + later[0])
    folder = config.articles_dir
    try:
        for name in ("a", "b"):
            write_article(folder / f"{name}.txt", webUrl=f"https://news.example.com/{name}")
        await eventually(lambda: bot.store.figures.counts()["articles"] == 2)
        folder.rename(folder.with_name("mounted"))  # unmounted: no event says the files went
        folder.mkdir()  # ... and the mount point is an empty folder
        await eventually(lambda: bot.problems() != [])
        assert bot.problems() == [
            f"the articles folder {folder} lists no file while the database holds 2 of its "
            "files: they are kept, as those of a folder not mounted (`newsbot ingest` "
            "forgets them)"
        ]
        assert bot.store.figures.counts()["articles"] == 2
        write_article(folder / "c.txt", webUrl="https://news.example.com/c")
        await eventually(lambda: bot.problems() == [])
        # a and b are gone now, and withdrawn once they stay away for the grace
        await eventually(lambda: bot.watcher.withdrawals.waiting() == 2)
        later[0] += config.withdraw_grace + 1
        await eventually(lambda: bot.store.figures.counts()["articles"] == 1)
    finally:
        await stop_bot(bot, task, stop)
