"""Upgrading a database made by an earlier newsbot keeps what its users set up."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from storage import Article, Delivery, Feed, open_store
from storage.schema import migrations
from storage.search import Search
from tests.feeds import follows

ALL_MIGRATIONS = [
    "0001_initial",
    "0002_search",
    "0003_feeds",
    "0004_feed_settings",
    "0004_retention",
    "0004_follow",
    "0004_topic_counts",
    "0004_sender_indexes",
    "0005_pending_edits",
    "0005_queueing",
    "0005_pruned_kinds",
    "0005_withdrawn_pushes",
    "0006_pruned_pushes",
    "0006_held_by_feed",
    "0007_open_pushes",
    "0008_backlog",
    "0009_plain_retry",
    "0010_duplicate_of",
    "0011_recent_articles",
    "0012_incremental_vacuum",
    "0013_search_follows_text",
]

# the outbox as 0001 made it: (id, kind, article, chat, text, state, attempts, not_before,
# last_error, message_id, created_at, updated_at)
OLD_DELIVERIES = [
    (1, "push", 1, 1, None, "sent", 1, 0.0, None, 42, 10.0, 11.0),
    (2, "push", 2, 1, None, "pending", 0, 0.0, None, None, 12.0, 12.0),
    (3, "push", 1, -100, None, "failed", 8, 5.0, "gave up: timed out", None, 10.0, 13.0),
    (4, "broadcast", None, 5, "Hello all", "cancelled", 0, 0.0, None, None, 14.0, 15.0),
    (5, "push", 2, -100, None, "sending", 1, 0.0, None, None, 12.0, 16.0),
    # a row of a chat merged away into a supergroup: no chat row is left for it
    (6, "push", 2, -300, None, "pending", 2, 20.0, "network: reset", None, 12.0, 17.0),
]


def test_migrations_create_every_table_on_an_empty_file(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new.db")
    tables = set(store.db.table_names())
    assert {
        "articles",
        "article_topics",
        "chats",
        "feeds",
        "subscriptions",
        "mutes",
        "deliveries",
        "files",
        "ingest_errors",
        "processed_updates",
        "meta",
        "articles_fts",
    } <= tables
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_migrations_upgrade_an_existing_file_and_keep_its_rows(tmp_path: Path) -> None:
    """A database at the first version gains the search index and keeps its articles."""
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0002_search")
    db.execute(
        "INSERT INTO articles (url, path, title, published, present, visible, sort_at, "
        "first_seen_at, updated_at, data) VALUES ('https://a.example/x', 'x.txt', "
        "'Old quantum article', 1, 1, 1, '2020', 0, 0, '{}')"
    )
    db.close()
    store = open_store(path)
    assert [m.name for m in migrations.applied(store.db)] == ALL_MIGRATIONS
    hits = store.db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'quantum'")
    assert len(list(hits)) == 1
    store.close()
    # and opening again applies nothing twice
    assert [m.name for m in migrations.applied(open_store(path).db)] == ALL_MIGRATIONS


def build_version_2(path: Path) -> None:
    """A database at 0002 with chats, subscriptions, filters and every outbox state."""
    db = Database(path)
    migrations.apply(db, stop_before="0003_feeds")
    for article_id, url in ((1, "https://a.example/1"), (2, "https://a.example/2")):
        db.execute(
            "INSERT INTO articles (id, url, path, title, published, present, visible, sort_at, "
            "first_seen_at, updated_at, data) VALUES (?, ?, 'x.txt', 'Robots', 1, 1, 1, '2020', "
            "0, 0, '{}')",
            [article_id, url],
        )
        db.execute("INSERT INTO article_topics VALUES (?, 'ai', 'AI')", [article_id])
    db.conn.executemany(
        "INSERT INTO chats (id, type, title, active, all_topics, min_quality, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (1, "private", None, 1, 0, 70, 1.0),
            (-100, "group", "Robots club", 1, 1, None, 2.0),
            (5, "private", None, 0, 0, None, 3.0),
        ],
    )
    db.conn.executemany(
        "INSERT INTO subscriptions (topic, chat_id) VALUES (?, ?)",
        [("ai", 1), ("robots", 1), ("ai", 5)],
    )
    db.conn.executemany(
        "INSERT INTO mutes (chat_id, word) VALUES (?, ?)", [(1, "crypto"), (-100, "sports")]
    )
    db.conn.executemany(
        "INSERT INTO deliveries (id, kind, article_id, chat_id, text, state, attempts, "
        "not_before, last_error, message_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        OLD_DELIVERIES,
    )
    db.conn.commit()
    db.close()


def test_feeds_migration_keeps_every_subscription_filter_and_delivery(tmp_path: Path) -> None:
    """Each chat becomes its own feed with its settings; no outbox row or message id is lost."""
    build_version_2(tmp_path / "old.db")
    store = open_store(tmp_path / "old.db")
    assert follows(store, 1) == (False, ["ai", "robots"])
    assert follows(store, -100) == (True, [])
    assert follows(store, 5) == (False, ["ai"])
    one, group = store.feeds.find(1), store.feeds.find(-100)
    assert one is not None and group is not None
    assert one == Feed(one.id, 1, 0, "private", True, False, 70, ("crypto",))
    assert group == Feed(group.id, -100, 0, "group", True, True, None, ("sports",))
    rows = store.db.execute(
        "SELECT d.id, d.kind, d.article_id, f.chat_id, d.text, d.state, d.attempts, "
        "d.not_before, d.last_error, d.message_id, d.created_at, d.updated_at "
        "FROM deliveries d JOIN feeds f ON f.id = d.feed_id WHERE f.thread_id = 0 ORDER BY d.id"
    )
    assert [tuple(row) for row in rows] == OLD_DELIVERIES
    gone = store.chats.get(-300)
    assert gone is not None and not gone.active  # kept for its row, never queued to again
    store.close()


def test_migrated_outbox_still_sends_and_never_doubles_a_push(tmp_path: Path) -> None:
    """Pending rows come out as deliveries of their feed; a push already there is not queued again."""
    build_version_2(tmp_path / "old.db")
    store = open_store(tmp_path / "old.db")
    ready = store.outbox.ready(10, now=100.0)
    one, gone = store.feeds.find(1), store.feeds.find(-300)
    assert one is not None and gone is not None
    assert ready == [
        Delivery(2, one.id, 1, 0, 2, None, 0),
        Delivery(6, gone.id, -300, 0, 2, None, 2, "network: reset"),
    ]
    article = Article(url="https://a.example/1", title="Robots", topics=("AI",))
    assert store.queueing.queue_push(1, article, 100.0) == 0  # chat 1 and -100 had it; 5 is gone
    store.close()


def test_retention_totals_kept_before_kinds_stay_pushes(tmp_path: Path) -> None:
    """Totals that retention kept by state alone are counted as pushes, as they were shown."""
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0005_pruned_kinds")
    db.execute("INSERT INTO pruned_deliveries (state, count) VALUES ('sent', 7), ('failed', 2)")
    db.close()
    store = open_store(path)
    figures = store.figures.counts()
    assert (figures["pushes_sent"], figures["pushes_failed"], figures["edits_sent"]) == (7, 2, 0)
    store.close()


def test_a_row_refused_for_its_markup_before_the_plain_column_goes_as_plain_text(
    tmp_path: Path,
) -> None:
    """A retry that the old 'refused markup' prefix of last_error marked is `plain` after
    the upgrade; other rows are not."""
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0009_plain_retry")
    db.execute("INSERT INTO chats (id, type, active, created_at) VALUES (1, 'private', 1, 0)")
    db.execute("INSERT INTO feeds (chat_id, created_at) VALUES (1, 0)")
    db.conn.executemany(
        "INSERT INTO deliveries (kind, feed_id, text, state, attempts, last_error, "
        "created_at, updated_at) VALUES ('broadcast', 1, ?, 'pending', 1, ?, 0, 0)",
        [("one", "refused markup: can't parse entities"), ("two", "network: reset")],
    )
    db.conn.commit()
    db.close()
    store = open_store(path)
    rows = store.db.execute("SELECT text, plain FROM deliveries ORDER BY id").fetchall()
    assert rows == [("one", 1), ("two", 0)]
    assert [row.plain for row in store.outbox.ready(10, now=100.0)] == [True]
    store.close()


def test_a_duplicate_recorded_before_the_duplicate_of_column_names_its_original(
    tmp_path: Path,
) -> None:
    """The file a 'duplicate webUrl' reason named is `duplicate_of` after the upgrade;
    other bad files have none."""
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0010_duplicate_of")
    db.conn.executemany(
        "INSERT INTO ingest_errors (path, reason, at) VALUES (?, ?, ?)",
        [("b.txt", "duplicate webUrl: the article is a.txt", 1.0), ("c.txt", "bad YAML", 2.0)],
    )
    db.conn.commit()
    db.close()
    store = open_store(path)
    assert [(e.path, e.duplicate_of) for e in store.figures.ingest_errors()] == [
        ("c.txt", None),
        ("b.txt", "a.txt"),
    ]


def test_an_older_database_gets_incremental_auto_vacuum_and_keeps_its_rows(tmp_path: Path) -> None:
    """A database made before 0012 never gave pages back: opening it turns incremental
    auto-vacuum on (its one full VACUUM), with every row kept."""
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0012_incremental_vacuum")
    db.execute("INSERT INTO chats (id, type, active, created_at) VALUES (5, 'private', 1, 0)")
    assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 0  # NONE
    db.close()
    store = open_store(path)
    assert store.db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # INCREMENTAL
    assert store.db.execute("SELECT id FROM chats").fetchall() == [(5,)]
    store.close()


def test_an_import_killed_before_0013_opens_with_the_narrow_search_trigger(tmp_path: Path) -> None:
    """A bulk import killed by an older version left the search triggers' SQL in `meta`:
    0013 narrows the one kept there, and the open puts it back (it used to fail: the
    trigger existed twice), so every later start opens."""
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0013_search_follows_text")
    Search(db).suspend()  # what the killed import left
    db.close()
    for _ in range(2):
        store = open_store(path)
        [sql] = store.db.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'articles_au'"
        ).fetchone()
        assert 'AFTER UPDATE OF "title", "excerpt"' in sql
        store.close()
