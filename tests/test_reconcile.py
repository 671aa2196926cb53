"""One pass of folder against database, as the watcher's scans and `newsbot ingest` run it."""

from __future__ import annotations

import io
import os
from pathlib import Path

from bot.config import Config
from bot.verbs import ingest_command
from storage import Store, open_store
from tests.articles import write_article


def ingest(folder: Path, db: Path) -> str:
    out = io.StringIO()
    assert ingest_command(Config(token=None, db_path=db), folder, out) == 0
    return out.getvalue()


def visible_paths(db: Path) -> list[str]:
    store: Store = open_store(db)
    try:
        return [stored.path for stored in store.listing.latest(10)]
    finally:
        store.close()


def test_file_renamed_between_two_ingests_keeps_its_article(tmp_path: Path, articles: Path) -> None:
    """The gone name is forgotten before the new one is read, so the new one is the article."""
    db = tmp_path / "n.db"
    write_article(articles / "a.txt")
    ingest(articles, db)
    os.replace(articles / "a.txt", articles / "b.txt")
    summary = ingest(articles, db)
    assert "removed 1" in summary
    assert visible_paths(db) == ["b.txt"]


def test_duplicate_becomes_the_article_when_the_original_is_gone(
    tmp_path: Path, articles: Path
) -> None:
    """A file refused for a webUrl that another file held is read again once that file is gone."""
    db = tmp_path / "n.db"
    write_article(articles / "a.txt")
    ingest(articles, db)
    write_article(articles / "b.txt")
    assert "duplicates 1" in ingest(articles, db)
    assert visible_paths(db) == ["a.txt"]
    (articles / "a.txt").unlink()
    summary = ingest(articles, db)
    assert "updated 1, unchanged 0" in summary and "removed 1" in summary
    assert visible_paths(db) == ["b.txt"]
