"""The full-text index kept out of a bulk import: rebuilt after it, repaired after a kill."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import bot.articles.reconcile
from bot.articles.ingest import Ingestor
from bot.articles.reconcile import Reconciliation
from storage import Article, Store, open_store
from storage.store import FileState
from tests.articles import write_article
from tests.publishing import PUBLISHING

ARTICLE = Article(url="https://news.example.com/a", title="Robots fold laundry", excerpt="Shirts.")
STATE = FileState(100, 1, "h1")


def titles(store: Store, words: str) -> list[str]:
    return sorted(stored.article.title for stored in store.listing.search(words, 10))


def test_articles_stored_while_suspended_are_found_after(store: Store) -> None:
    """What a suspended import stored, new or edited, is searchable once it ends."""
    PUBLISHING.store_article(
        store, "old.txt", STATE, replace(ARTICLE, url="https://o.example"), queue=False
    )
    with store.search.suspended():
        PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=False)
        PUBLISHING.store_article(
            store,
            "old.txt",
            STATE,
            replace(ARTICLE, url="https://o.example", title="Quantum"),
            queue=False,
        )
    assert titles(store, "laundry") == ["Robots fold laundry"]
    assert titles(store, "quantum") == ["Quantum"]


def test_index_follows_edits_again_after_a_suspended_import(store: Store) -> None:
    """The triggers are back after the import: a later edit moves the index."""
    with store.search.suspended():
        PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=False)
    PUBLISHING.store_article(store, "a.txt", STATE, replace(ARTICLE, title="Quantum"), queue=False)
    assert titles(store, "laundry") == []
    assert titles(store, "quantum") == ["Quantum"]


def test_index_of_a_killed_import_is_repaired_when_the_database_is_opened(tmp_path: Path) -> None:
    """An import that never resumed leaves its triggers' SQL behind; the next open rebuilds."""
    killed = open_store(tmp_path / "n.db")
    killed.search.suspend()
    PUBLISHING.store_article(killed, "a.txt", STATE, ARTICLE, queue=False)
    killed.close()  # as if killed: resume() never ran
    store = open_store(tmp_path / "n.db")
    try:
        assert titles(store, "laundry") == ["Robots fold laundry"]
        PUBLISHING.store_article(
            store, "a.txt", STATE, replace(ARTICLE, title="Quantum"), queue=False
        )
        assert titles(store, "quantum") == ["Quantum"]
    finally:
        store.close()


def index_triggers(store: Store) -> int:
    return len(store.db.execute("SELECT name FROM sqlite_master WHERE sql LIKE '%articles_fts%' "
                                "AND type = 'trigger'").fetchall())  # fmt: skip


def test_only_a_bulk_first_import_suspends_the_index(
    store: Store, articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingest reading more files than the database knows suspends; a watcher's scan never."""
    monkeypatch.setattr(bot.articles.reconcile, "PARALLEL_FROM", 3)  # five files are a bulk import
    for index in range(5):
        write_article(articles / f"{index}.txt", webUrl=f"https://n.example/{index}",
                      title=f"Robots {index}")  # fmt: skip
    ingestor = Ingestor(store, articles.resolve(), max_bytes=1 << 20, recursive=False)
    scan = Reconciliation(ingestor, queue=False, parallel=False)
    scan.compare()
    with scan.storing():
        assert index_triggers(store) == 3
    bulk = Reconciliation(ingestor, queue=False, parallel=True)
    bulk.compare()
    with bulk.storing():
        assert index_triggers(store) == 0
        while (batch := bulk.read_next()) is not None:
            bulk.store(batch)
    assert index_triggers(store) == 3
    assert titles(store, "robots") == [f"Robots {index}" for index in range(5)]
    again = Reconciliation(ingestor, queue=False, parallel=True)
    write_article(articles / "new.txt", webUrl="https://n.example/new", title="Robots new")
    again.compare()
    with again.storing():  # one file read against five known: not a bulk import
        assert index_triggers(store) == 3


def test_only_a_change_of_title_or_excerpt_writes_to_the_search_index(store: Store) -> None:
    """Retention's mark, visibility and dates rewrote every article's index entry (each
    retention pass fragmented the index that searches read); only the words do now."""
    for number in range(20):
        PUBLISHING.store_article(
            store, f"{number}.txt", STATE, replace(ARTICLE, url=f"https://n.example/{number}"),
            queue=False,
        )  # fmt: skip

    def index_writes() -> int:
        return int(store.db.execute("SELECT COUNT(*) FROM articles_fts_data").fetchone()[0])

    before = index_writes()
    store.db.execute("UPDATE articles SET pushes_pruned = 1, visible = 0, sort_at = 'x'")
    assert index_writes() == before
    store.db.execute("UPDATE articles SET title = 'Quantum chips' WHERE path = '3.txt'")
    assert index_writes() > before
    store.db.execute("UPDATE articles SET visible = 1")

    def found(words: str) -> list[str]:
        return [stored.path for stored in store.listing.search(words, 30)]

    assert found("quantum") == ["3.txt"] and len(found("laundry")) == 19
