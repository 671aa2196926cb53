"""One pass of folder against database, as the watcher's scans and `newsbot ingest` run it."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

import bot.articles.ingest
from bot.articles.ingest import Ingestor
from bot.cli.ingest import ingest_command
from bot.foundation.config import Config
from storage import Store, open_store
from tests.articles import write_article


def ingest(folder: Path, db: Path) -> str:
    out = io.StringIO()
    assert ingest_command(Config(token=None, db_path=db, articles_dir=folder), folder, out) == 0
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


def test_worker_processes_load_what_one_process_loads_in_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, articles: Path
) -> None:
    """Rows, states, errors and unchanged files come back from the parser processes as
    they come from reading in this process, each with its own path."""
    monkeypatch.setattr(
        bot.articles.ingest, "BULK_BATCH", 2
    )  # five files: three batches, two workers
    for n in range(4):
        write_article(articles / f"{n}.txt", webUrl=f"https://news.example.com/{n}")
    (articles / "bad.txt").write_text("---\ntitle: !!bool maybe\n---\n")
    paths = sorted(articles.iterdir())
    store = open_store(tmp_path / "n.db")
    try:
        ingestor = Ingestor(store, articles, max_bytes=4096, recursive=False)
        state = ingestor.load(articles / "1.txt", None).state
        assert state is not None
        known = {"1.txt": state}  # read before
        alone = [loaded for batch in ingestor.load_many(paths, known, 1) for loaded in batch]
        apart = list(ingestor.load_many(paths, known, 2))
    finally:
        store.close()
    assert [len(batch) for batch in apart] == [2, 2, 1]
    assert [loaded for batch in apart for loaded in batch] == alone
    assert [(loaded.path.name, loaded.row is not None, loaded.error) for loaded in alone] == [
        ("0.txt", True, None),
        ("1.txt", False, None),  # the same bytes as known: not parsed again
        ("2.txt", True, None),
        ("3.txt", True, None),
        ("bad.txt", False, "invalid YAML value: 'maybe' cannot be read as bool"),
    ]


def test_ingest_counts_a_dangling_symlink_and_a_loop_as_bad_files(
    tmp_path: Path, articles: Path
) -> None:
    """They were skipped without a word: not imported, not counted, not in `errors`."""
    write_article(articles / "good.txt")
    (articles / "link.txt").symlink_to(articles / "nowhere.txt")
    (articles / "loop.txt").symlink_to(articles / "loop.txt")
    db = tmp_path / "n.db"
    summary = ingest(articles, db)
    assert "imported 1, " in summary and "errors 2 " in summary
    assert "1  symlink loop" in summary
    assert f"1  symlink to a missing file ({articles / 'nowhere.txt'})" in summary
    # unchanged since: not read again, still counted
    assert "unchanged 3, " in ingest(articles, db) and "errors 2 " in ingest(articles, db)
