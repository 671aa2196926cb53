"""Topic counts kept as articles change agree with counting every article afresh."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlite_utils import Database

from storage import Store, open_store
from storage.rows import ArticleRow
from storage.schema import migrations
from storage.store import FileState
from tests.outbox import TWO_TOPICS

STATE = FileState(100, 1, "h1")


def recount(store: Store) -> list[tuple[str, int]]:
    """The figures as /topics used to count them: over every visible article."""
    rows = store.db.execute(
        "SELECT MIN(t.name), COUNT(*) FROM article_topics t "
        "JOIN articles a ON a.id = t.article_id WHERE a.visible = 1 "
        "GROUP BY t.topic ORDER BY COUNT(*) DESC, t.topic"
    )
    return [(name, count) for name, count in rows]


def test_counts_follow_new_edited_unpublished_and_removed_articles(store: Store) -> None:
    """Every kind of change a file makes moves the counts as a full recount would."""
    files = store.files
    files.store_article("a.txt", STATE, TWO_TOPICS)
    files.store_article("b.txt", STATE, replace(TWO_TOPICS, url="https://b.example"))
    assert store.topics.counts() == recount(store) == [("AI", 2), ("Robotics", 2)]
    # an edit that changes the topics
    files.store_article("a.txt", STATE, replace(TWO_TOPICS, topics=("AI", "Space")))
    assert store.topics.counts() == recount(store) == [("AI", 2), ("Robotics", 1), ("Space", 1)]
    # unpublished, then published again
    files.store_article(
        "b.txt", STATE, replace(TWO_TOPICS, url="https://b.example", published=False)
    )
    assert store.topics.counts() == recount(store) == [("AI", 1), ("Space", 1)]
    files.store_article("b.txt", STATE, replace(TWO_TOPICS, url="https://b.example"))
    assert store.topics.counts() == recount(store)
    # a duplicate webUrl changes nothing; a file that now names another webUrl hides the old
    files.store_article("c.txt", STATE, TWO_TOPICS)
    files.store_article(
        "b.txt", STATE, replace(TWO_TOPICS, url="https://c.example", topics=("Space",))
    )
    assert store.topics.counts() == recount(store) == [("Space", 2), ("AI", 1)]
    # removed files
    files.remove_file("a.txt")
    assert store.topics.counts() == recount(store)
    files.remove_file("b.txt")
    assert store.topics.counts() == recount(store)


def test_a_batch_counts_its_visible_articles_only(store: Store) -> None:
    """A bulk store counts the new articles that are published, in one step."""
    items = [
        (
            f"{n}.txt",
            STATE,
            ArticleRow.of(replace(TWO_TOPICS, url=f"https://a.example/{n}", published=n % 3 > 0)),
        )
        for n in range(30)
    ]
    items.append(
        (
            "again.txt",
            STATE,
            ArticleRow.of(replace(TWO_TOPICS, url="https://a.example/1", topics=("X",))),
        )
    )
    store.files.store_articles(items)
    assert store.topics.counts() == recount(store) == [("AI", 20), ("Robotics", 20)]


def test_upgrade_counts_the_articles_already_stored(tmp_path: Path) -> None:
    """A database from before the counts table gets figures that match its articles."""
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0004_topic_counts")
    for article_id, visible in ((1, 1), (2, 1), (3, 0)):
        db.execute(
            "INSERT INTO articles (id, url, path, title, published, present, visible, sort_at, "
            "first_seen_at, updated_at, data) VALUES (?, ?, 'x.txt', 'Robots', 1, 1, ?, '2020', "
            "0, 0, '{}')",
            [article_id, f"https://a.example/{article_id}", visible],
        )
        db.execute("INSERT INTO article_topics VALUES (?, 'ai', 'AI')", [article_id])
    db.execute("INSERT INTO article_topics VALUES (3, 'space', 'Space')")
    db.conn.commit()
    db.close()
    store = open_store(path)
    assert store.topics.counts() == recount(store) == [("AI", 2)]
    store.close()
