"""The tables of the first schema version (migration 0001_initial) and of 0003_feeds, as SQL.

Kept apart from `storage.schema` for its length; like every applied migration, it is never
edited: later versions change the tables in migrations of their own. (Indented as it was
when it was written in the migration, so that new databases store the same SQL text.)
"""

INITIAL_TABLES = """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        -- what the watcher last saw of each file: size and mtime decide whether to re-read
        CREATE TABLE files (
            path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            hash TEXT NOT NULL,
            url TEXT
        );
        CREATE INDEX files_url ON files(url);

        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            title TEXT NOT NULL,
            excerpt TEXT,
            provider TEXT,
            published INTEGER NOT NULL,
            present INTEGER NOT NULL,
            visible INTEGER NOT NULL,
            published_at TEXT,
            sort_at TEXT NOT NULL,
            first_seen_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            quality INTEGER,
            category TEXT,
            kind TEXT,
            heat INTEGER,
            data TEXT NOT NULL
        );
        CREATE INDEX articles_listing ON articles(visible, sort_at);

        CREATE TABLE article_topics (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            topic TEXT NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (article_id, topic)
        ) WITHOUT ROWID;
        CREATE INDEX article_topics_topic ON article_topics(topic, article_id);

        CREATE TABLE chats (
            id INTEGER PRIMARY KEY,
            type TEXT NOT NULL,
            title TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            all_topics INTEGER NOT NULL DEFAULT 0,
            min_quality INTEGER,
            created_at REAL NOT NULL
        );

        CREATE TABLE subscriptions (
            topic TEXT NOT NULL,
            chat_id INTEGER NOT NULL REFERENCES chats(id) ON UPDATE CASCADE ON DELETE CASCADE,
            PRIMARY KEY (topic, chat_id)
        ) WITHOUT ROWID;
        CREATE INDEX subscriptions_chat ON subscriptions(chat_id);

        CREATE TABLE mutes (
            chat_id INTEGER NOT NULL REFERENCES chats(id) ON UPDATE CASCADE ON DELETE CASCADE,
            word TEXT NOT NULL,
            PRIMARY KEY (chat_id, word)
        ) WITHOUT ROWID;

        -- the outbox: one row per push (article x chat) or broadcast, moved along
        -- pending -> sending -> sent | failed | cancelled
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            article_id INTEGER REFERENCES articles(id),
            chat_id INTEGER NOT NULL,
            text TEXT,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before REAL NOT NULL DEFAULT 0,
            last_error TEXT,
            message_id INTEGER,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX deliveries_push ON deliveries(article_id, chat_id)
            WHERE kind = 'push';
        CREATE INDEX deliveries_open ON deliveries(state, id)
            WHERE state IN ('pending', 'sending');
        CREATE INDEX deliveries_chat ON deliveries(chat_id);

        CREATE TABLE ingest_errors (
            path TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            at REAL NOT NULL
        );

        -- update ids whose effects are done, so that a re-delivered batch repeats nothing
        CREATE TABLE processed_updates (update_id INTEGER PRIMARY KEY, at REAL NOT NULL);
        """


# migration 0003_feeds: feeds, and the tables keyed by chat rebuilt keyed by feed
FEEDS_STATEMENTS = [
    """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL REFERENCES chats(id) ON UPDATE CASCADE ON DELETE CASCADE,
            thread_id INTEGER NOT NULL DEFAULT 0, -- 0: the chat itself (General in a forum)
            all_topics INTEGER NOT NULL DEFAULT 0,
            min_quality INTEGER,
            created_at REAL NOT NULL,
            UNIQUE (chat_id, thread_id)
        )
        """,
    """
        INSERT INTO chats (id, type, active, created_at)
        SELECT chat_id, CASE WHEN chat_id > 0 THEN 'private' ELSE 'group' END, 0,
               MIN(created_at)
        FROM deliveries WHERE chat_id NOT IN (SELECT id FROM chats) GROUP BY chat_id
        """,
    """
        INSERT INTO feeds (chat_id, thread_id, all_topics, min_quality, created_at)
        SELECT id, 0, all_topics, min_quality, created_at FROM chats ORDER BY id
        """,
    """
        CREATE TABLE feed_subscriptions (
            topic TEXT NOT NULL,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            PRIMARY KEY (topic, feed_id)
        ) WITHOUT ROWID
        """,
    """
        INSERT INTO feed_subscriptions (topic, feed_id)
        SELECT s.topic, f.id FROM subscriptions s
        JOIN feeds f ON f.chat_id = s.chat_id AND f.thread_id = 0
        """,
    "DROP TABLE subscriptions",
    "ALTER TABLE feed_subscriptions RENAME TO subscriptions",
    "CREATE INDEX subscriptions_feed ON subscriptions(feed_id)",
    """
        CREATE TABLE feed_mutes (
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            word TEXT NOT NULL,
            PRIMARY KEY (feed_id, word)
        ) WITHOUT ROWID
        """,
    """
        INSERT INTO feed_mutes (feed_id, word)
        SELECT f.id, m.word FROM mutes m JOIN feeds f ON f.chat_id = m.chat_id AND f.thread_id = 0
        """,
    "DROP TABLE mutes",
    "ALTER TABLE feed_mutes RENAME TO mutes",
    # the outbox: one row per push (article x feed) or broadcast, moved along
    # pending -> sending -> sent | failed | cancelled
    """
        CREATE TABLE feed_deliveries (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            article_id INTEGER REFERENCES articles(id),
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            text TEXT,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before REAL NOT NULL DEFAULT 0,
            last_error TEXT,
            message_id INTEGER,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )
        """,
    """
        INSERT INTO feed_deliveries (id, kind, article_id, feed_id, text, state, attempts,
            not_before, last_error, message_id, created_at, updated_at)
        SELECT d.id, d.kind, d.article_id, f.id, d.text, d.state, d.attempts, d.not_before,
               d.last_error, d.message_id, d.created_at, d.updated_at
        FROM deliveries d JOIN feeds f ON f.chat_id = d.chat_id AND f.thread_id = 0
        """,
    "DROP TABLE deliveries",
    "ALTER TABLE feed_deliveries RENAME TO deliveries",
    "CREATE UNIQUE INDEX deliveries_push ON deliveries(article_id, feed_id) WHERE kind = 'push'",
    "CREATE INDEX deliveries_open ON deliveries(state, id) WHERE state IN ('pending', 'sending')",
    "CREATE INDEX deliveries_feed ON deliveries(feed_id)",
    # settings live on feeds now: one place to read them
    "ALTER TABLE chats DROP COLUMN all_topics",
    "ALTER TABLE chats DROP COLUMN min_quality",
]
