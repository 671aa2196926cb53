"""A vanished articles folder, in process: its files are not forgotten, health says why."""

from __future__ import annotations

from tests.conftest import Running, eventually


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
