"""The tables of the first schema version (migration 0001_initial), as SQL.

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
