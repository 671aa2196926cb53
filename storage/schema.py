"""Versioned schema of the newsbot database, applied by sqlite-utils `Migrations`."""

import json

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from storage.schema_initial import FEEDS_STATEMENTS, INITIAL_TABLES

migrations = Migrations("newsbot")


@migrations(name="0001_initial")
def create_initial_tables(db: Database) -> None:
    """Files, articles, topics, chats, subscriptions, filters, the outbox and errors."""
    db.executescript(INITIAL_TABLES)


@migrations(name="0002_search")
def create_search_index(db: Database) -> None:
    """Full-text search over titles and excerpts, kept in step by triggers."""
    db.table("articles").enable_fts(
        ["title", "excerpt"], fts_version="FTS5", create_triggers=True, tokenize="unicode61"
    )


@migrations(name="0003_feeds")
def create_feeds(db: Database) -> None:
    """Pushes go to feeds (a chat, or one forum thread of it), not to chats.

    Each chat becomes its own feed (thread 0) with its settings; subscriptions, mutes and
    the outbox are rebuilt keyed by feed, keeping every row. Outbox rows of a chat that
    is no longer known (merged away by a supergroup move) get an inactive chat, so that
    nothing queued or sent is lost.
    """
    for statement in FEEDS_STATEMENTS:
        db.execute(statement)


@migrations(name="0004_feed_settings")
def add_feed_settings(db: Database) -> None:
    """Per-feed settings (format, silent, time zone, quiet hours, digest, language),
    required words, and digests: pushes held for later and the digest rows they went into.

    A held push is a `deliveries` row in state `held` until `not_before`; it then moves,
    with the others of its feed, into a `digest` row (its articles in `digest_items`) and
    becomes `digested`, in one transaction.
    """
    statements = [
        "ALTER TABLE feeds ADD COLUMN format TEXT NOT NULL DEFAULT 'photo'",
        "ALTER TABLE feeds ADD COLUMN silent INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE feeds ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC'",
        "ALTER TABLE feeds ADD COLUMN quiet_start INTEGER",  # minutes of the day, local
        "ALTER TABLE feeds ADD COLUMN quiet_end INTEGER",
        "ALTER TABLE feeds ADD COLUMN digest TEXT NOT NULL DEFAULT 'off'",
        "ALTER TABLE feeds ADD COLUMN digest_at INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE feeds ADD COLUMN language TEXT",  # NULL: from the user's Telegram
        """
        CREATE TABLE requires (
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            word TEXT NOT NULL,
            PRIMARY KEY (feed_id, word)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE digest_items (
            delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            message_id INTEGER, -- set when the message listing it was sent
            PRIMARY KEY (delivery_id, article_id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX deliveries_held ON deliveries(not_before) WHERE state = 'held'",
    ]
    for statement in statements:
        db.execute(statement)


@migrations(name="0004_retention")
def add_outbox_retention(db: Database) -> None:
    """Open rows per feed in id order (the head of each chat's queue), and the totals of
    rows that retention removed, so that `/stats` keeps counting them."""
    db.execute(
        "CREATE INDEX deliveries_feed_open ON deliveries(feed_id, id) "
        "WHERE state IN ('pending', 'sending')"
    )
    db.execute(
        "CREATE INDEX deliveries_settled ON deliveries(updated_at) "
        "WHERE state IN ('sent', 'failed', 'cancelled', 'digested')"
    )
    db.execute("CREATE INDEX processed_updates_at ON processed_updates(at)")
    db.execute("CREATE TABLE pruned_deliveries (state TEXT PRIMARY KEY, count INTEGER NOT NULL)")


@migrations(name="0004_follow")
def add_follow_columns(db: Database) -> None:
    """Edits and retractions of sent pushes are outbox rows that name the push they follow.

    `target_id` is the push row an 'edit' or 'retract' row acts on; `shown` is what a sent
    push shows now (JSON: sent as photo or text, the photo, the HTML), so that an edit
    matches the format the push went out in and is skipped when nothing visible changed.
    """
    db.execute("ALTER TABLE deliveries ADD COLUMN target_id INTEGER")
    db.execute("ALTER TABLE deliveries ADD COLUMN shown TEXT")
    db.execute(
        "CREATE INDEX deliveries_target ON deliveries(target_id, state) WHERE target_id IS NOT NULL"
    )


@migrations(name="0004_topic_counts")
def add_topic_counts(db: Database) -> None:
    """Visible articles per topic, kept as articles change (`storage.topics`), so that
    `/topics` reads one row per topic instead of counting every article."""
    db.execute(
        """
        CREATE TABLE topic_counts (
            topic TEXT PRIMARY KEY, -- casefolded, as article_topics.topic
            name TEXT NOT NULL, -- the display name: the first spelling in sort order
            count INTEGER NOT NULL -- visible articles with the topic
        ) WITHOUT ROWID
        """
    )
    db.execute(
        "INSERT INTO topic_counts (topic, name, count) "
        "SELECT t.topic, MIN(t.name), SUM(a.visible) FROM article_topics t "
        "JOIN articles a ON a.id = t.article_id GROUP BY t.topic"
    )


@migrations(name="0004_sender_indexes")
def add_sender_indexes(db: Database) -> None:
    """Pending rows in id order and by the time they may go: the sender asks for both on
    every wake-up, and without them each ask read every row of the outbox (the sent ones
    too, until retention removes them)."""
    db.execute("CREATE INDEX deliveries_pending ON deliveries(id) WHERE state = 'pending'")
    db.execute("CREATE INDEX deliveries_due ON deliveries(not_before) WHERE state = 'pending'")


@migrations(name="0005_pending_edits")
def add_pending_edits_index(db: Database) -> None:
    """Pending edits and retractions in id order, apart from pending pushes: the sender's
    second pass (`Outbox.ready`) reads only them, not every pending push of a fan-out."""
    db.execute(
        "CREATE INDEX deliveries_following ON deliveries(id) "
        "WHERE state = 'pending' AND target_id IS NOT NULL"
    )


@migrations(name="0005_queueing")
def add_queueing_marks(db: Database) -> None:
    """An article queued for many feeds is queued in chunks of feeds, one transaction
    each (`Queueing.queue_push`), so that no transaction holds the write lock for long. Its
    mark, written in the article's own transaction, says up to which feed it is queued and
    what the rest is filtered by; the last chunk deletes it, and a crash between chunks
    resumes from it."""
    db.execute(
        """
        CREATE TABLE queueing (
            id INTEGER PRIMARY KEY, -- the order marks are finished in
            article_id INTEGER NOT NULL UNIQUE REFERENCES articles(id) ON DELETE CASCADE,
            after_feed INTEGER NOT NULL, -- feeds up to this id are queued
            quality INTEGER,
            muted TEXT NOT NULL, -- JSON: feeds that muted a word of the article
            lacking TEXT NOT NULL, -- JSON: feeds whose required words it lacks
            created_at REAL NOT NULL
        )
        """
    )


@migrations(name="0005_pruned_kinds")
def count_pruned_by_kind(db: Database) -> None:
    """Retention's totals by kind and state, so that `/stats` counts a removed edit as an
    edit, not as a push; the totals kept so far had no kind and stay pushes, as shown."""
    db.execute(
        "CREATE TABLE pruned_by_kind (kind TEXT NOT NULL, state TEXT NOT NULL, "
        "count INTEGER NOT NULL, PRIMARY KEY (kind, state)) WITHOUT ROWID"
    )
    db.execute("INSERT INTO pruned_by_kind SELECT 'push', state, count FROM pruned_deliveries")
    db.execute("DROP TABLE pruned_deliveries")
    db.execute("ALTER TABLE pruned_by_kind RENAME TO pruned_deliveries")


@migrations(name="0005_withdrawn_pushes")
def add_withdrawn_column(db: Database) -> None:
    """What a sent retraction left of a push's message (`storage.followups`): 'deleted'
    (its message_id is then NULL) or 'notice', so that publishing again restores it."""
    db.execute("ALTER TABLE deliveries ADD COLUMN withdrawn TEXT")


@migrations(name="0006_pruned_pushes")
def add_pruned_pushes_flag(db: Database) -> None:
    """Whether retention removed a push of the article that reached its feed (sent, or
    listed in a digest): published again, it then goes only to the feeds whose rows are
    still known, since the outbox no longer says which others had it."""
    db.execute("ALTER TABLE articles ADD COLUMN pushes_pruned INTEGER NOT NULL DEFAULT 0")


@migrations(name="0006_held_by_feed")
def add_held_by_feed_index(db: Database) -> None:
    """A feed's held pushes by the time they are due: gathering a digest reads them, not
    every row of the feed (a month of sent pushes, until retention removes them)."""
    db.execute(
        "CREATE INDEX deliveries_held_feed ON deliveries(feed_id, not_before) WHERE state = 'held'"
    )


@migrations(name="0007_open_pushes")
def add_open_pushes_index(db: Database) -> None:
    """Each article's pushes still to go: the fan-out log asks every 2 s whether one is
    left, and counting all of an article's pushes for that read 100,000 rows per ask
    while a big fan-out lasted."""
    db.execute(
        "CREATE INDEX deliveries_open_pushes ON deliveries(article_id) "
        "WHERE kind = 'push' AND state IN ('pending', 'sending')"
    )


@migrations(name="0008_backlog")
def add_backlog_setting(db: Database) -> None:
    """A feed's `backlog` setting: how many pushes it may owe at once before they go as
    one digest (NULL: the operator's NEWSBOT_BACKLOG_MAX; 0: never)."""
    db.execute("ALTER TABLE feeds ADD COLUMN backlog INTEGER")


@migrations(name="0009_plain_retry")
def add_plain_column(db: Database) -> None:
    """Whether a row goes as plain text because Telegram refused our HTML: a column, no
    longer a 'refused markup' prefix of `last_error` that the sender had to parse."""
    db.execute("ALTER TABLE deliveries ADD COLUMN plain INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE deliveries SET plain = 1 WHERE last_error LIKE 'refused markup%'")


@migrations(name="0010_duplicate_of")
def add_duplicate_of_column(db: Database) -> None:
    """The file that holds the article of a duplicate file: a column, no longer a
    'duplicate webUrl' prefix of the reason that the ingest verb had to parse."""
    prefix = "duplicate webUrl: the article is "
    db.execute("ALTER TABLE ingest_errors ADD COLUMN duplicate_of TEXT")
    db.execute(
        "UPDATE ingest_errors SET duplicate_of = substr(reason, ?) WHERE reason LIKE ? || '%'",
        [len(prefix) + 1, prefix],
    )


@migrations(name="0011_recent_articles")
def add_recent_articles_index(db: Database) -> None:
    """The listing index with `heat` in it: `/top` ranks a day's articles by heat from the
    index alone, without reading each article's row (some kilobytes of JSON apiece); it
    orders `/latest`, `/topic` and `/search` as `articles_listing` did, which it replaces."""
    db.execute("CREATE INDEX articles_recent ON articles(visible, sort_at, heat)")
    db.execute("DROP INDEX articles_listing")


@migrations(name="0012_incremental_vacuum", transactional=False)
def turn_on_incremental_vacuum(db: Database) -> None:
    """Free pages can be given back to the file system (`Retention.reclaim`), so the file
    follows the rows retention keeps. Switching an existing database over takes one full
    VACUUM, which rewrites the whole file (docs/operators/upgrade.md says how long)."""
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    db.execute("VACUUM")


@migrations(name="0013_search_follows_text")
def reindex_only_changed_text(db: Database) -> None:
    """The full-text index follows an article's title and excerpt only. sqlite-utils'
    trigger rewrote an article's index entry on any change of its row (whether it is
    visible, its heat, retention's mark), so each retention pass and each date change
    wrote thousands of entries that `/search` and inline queries then read through
    (bench.commands: 4-5 ms a search instead of 2). Merged into one segment once here.
    During a killed bulk import the triggers wait in `meta` (`storage.search`): the one
    kept there is narrowed, and `resume` puts it back and rebuilds the index."""
    saved = db.execute("SELECT value FROM meta WHERE key = 'suspended_search_triggers'")
    row = saved.fetchone()
    if row is not None:
        kept = [NARROW_UPDATE if "articles_au" in sql else sql for sql in json.loads(row[0])]
        db.execute(
            "UPDATE meta SET value = ? WHERE key = 'suspended_search_triggers'", [json.dumps(kept)]
        )
        return
    db.execute('DROP TRIGGER IF EXISTS "articles_au"')
    db.execute(NARROW_UPDATE)
    db.execute("""INSERT INTO "articles_fts" ("articles_fts") VALUES ('optimize')""")


# sqlite-utils' own update trigger, its event narrowed to the indexed columns
NARROW_UPDATE = """CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "excerpt" ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "excerpt") VALUES('delete', old.rowid, old."title", old."excerpt");
  INSERT INTO "articles_fts" (rowid, "title", "excerpt") VALUES (new.rowid, new."title", new."excerpt");
END"""
