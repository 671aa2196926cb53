"""The `newsbot` command: the only place that reads the environment and sets up logging.

Each verb imports what it needs when it runs: `newsbot check`, `stats` or `--help` start
without loading Telegram's library, the watcher or the HTTP server."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from pathlib import Path

from bot import __version__
from bot.foundation.config import (
    Config,
    cleartext_host,
    known_settings,
    load_config,
    unknown_settings,
)
from bot.foundation.errors import ConfigError
from bot.foundation.logs import redact, setup_logging
from storage import NewsbotError
from storage.errors import (
    DatabaseFolderUnusable,
    DatabaseRefused,
    NoDatabase,
    StoreLocked,
    database_busy,
)

log = logging.getLogger("newsbot")


# exit codes besides 0 and 1 (unexpected: a restart may help): 2, a permanent problem (a
# setting, the token refused); 3, another newsbot already runs on the database. The
# systemd unit restarts neither (RestartPreventExitStatus)
EXIT_PERMANENT = 2
EXIT_ANOTHER_INSTANCE = 3

LOGGING = ("NEWSBOT_LOG_LEVEL", "NEWSBOT_LOG_FORMAT")
DATABASE = ("NEWSBOT_DB", *LOGGING)

# the settings each verb reads (every verb checks them all and stops on a bad one)
SITE = ("NEWSBOT_SITE_URL", "NEWSBOT_PERMALINK")  # a static site's links
VERB_SETTINGS: dict[str, tuple[str, ...]] = {
    "ingest": (
        "NEWSBOT_ARTICLES_DIR",
        "NEWSBOT_DB",
        "NEWSBOT_MAX_FILE_BYTES",
        "NEWSBOT_RECURSIVE",
        *SITE,
        *LOGGING,
    ),
    "check": ("NEWSBOT_MAX_FILE_BYTES", "NEWSBOT_RECURSIVE", *SITE, *LOGGING),
    "preview": ("NEWSBOT_ARTICLES_DIR", "NEWSBOT_MAX_FILE_BYTES", *SITE, *LOGGING),
    "stats": DATABASE,
    "errors": DATABASE,
    "release": DATABASE,
    "db status": DATABASE,
    "db backup": DATABASE,
}


def settings_epilog(verb: str) -> str:
    """The help's last paragraph: the settings a verb reads."""
    names = VERB_SETTINGS.get(verb) or tuple(sorted(known_settings()))
    return (
        f"settings read: {', '.join(names)} (from the environment or ./.env; "
        "docs/operators/configuration.md says what each means)"
    )


Verbs = argparse._SubParsersAction  # argparse's name for the object add_subparsers returns


def add(
    verbs: Verbs,  # type: ignore[type-arg]
    name: str,
    summary: str,
    verb: str = "",
) -> argparse.ArgumentParser:
    """A verb's parser whose help says what it does and which settings it reads."""
    parser: argparse.ArgumentParser = verbs.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=settings_epilog(verb or name),
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Pushes new article files to the Telegram chats that follow their topics.",
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    run = add(verbs, "run", "the long-running bot: watcher, store, delivery, commands")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="watch and store, and print each push instead of calling Telegram (no token)",
    )
    ingest = add(verbs, "ingest", "one-shot import of a folder into the database, no pushes queued")
    ingest.add_argument(
        "dir",
        nargs="?",
        type=Path,
        help="NEWSBOT_ARTICLES_DIR (the default), by any name; another folder is refused",
    )
    check = add(
        verbs, "check", "validate article files, or the files of folders; exit 1 if any is bad"
    )
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a file or a folder")
    check.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 for a draft (published: false) too; without it a draft is valid",
    )
    preview = add(verbs, "preview", "print the push an article file would become")
    preview.add_argument("file", type=Path, metavar="FILE")
    add(verbs, "stats", "print the figures of /stats from the database")
    add(verbs, "errors", "print the latest bad article files and why, as /errors shows them")
    add(verbs, "release", "withdraw the article files gone and held, as /release does")
    db = add(verbs, "db", "look after the database file: status, backup", "db status")
    db_verbs = db.add_subparsers(dest="db_verb", required=True, metavar="DB_VERB")
    add(db_verbs, "status", "print the schema version, file sizes and row counts", "db status")
    backup = add(
        db_verbs,
        "backup",
        "write a consistent copy of the database to FILE, safe while `run` is running",
        "db backup",
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="the copy (replaced if present)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `newsbot` console script."""
    args = build_parser().parse_args(argv)
    try:
        config = load_config(
            os.environ, Path(".env"), require_token=args.verb == "run" and not args.dry_run
        )
    except ConfigError as error:
        print(f"newsbot: {error}", file=sys.stderr)
        return EXIT_PERMANENT
    setup_logging(config.log_level, config.log_format, config.token)
    for warning in unknown_settings(os.environ, Path(".env")):
        log.warning("%s", warning)
    if args.verb == "run" and not args.dry_run and (host := cleartext_host(config.base_url)):
        log.warning(
            "TELEGRAM_BASE_URL is http:// to %s, not a loopback address: the bot token "
            "travels in clear on every request; use https:// (or a server on this machine)",
            host,
        )
    try:
        code = dispatch(args, config)
        sys.stdout.flush()  # a reader that is gone shows here, below, not at exit
        return code
    except ConfigError as error:
        print(f"newsbot: {redact(str(error), config.token)}", file=sys.stderr)
        return EXIT_PERMANENT
    except DatabaseRefused as error:
        print(f"newsbot: {database_refusal(error)}", file=sys.stderr)
        return EXIT_PERMANENT
    except StoreLocked as error:
        print(f"newsbot: {error}", file=sys.stderr)
        return EXIT_ANOTHER_INSTANCE
    except NewsbotError as error:
        print(f"newsbot: {redact(str(error), config.token)}", file=sys.stderr)
        return 1
    except sqlite3.OperationalError as error:
        if not database_busy(error):
            raise
        print(
            f"newsbot: the database {config.db_path} is locked by another process "
            "(NEWSBOT_DB); try again once it lets go",
            file=sys.stderr,
        )
        return 1
    except BrokenPipeError:
        # the reader of our output has gone (`newsbot errors | head`): nothing to report,
        # and nothing more to write; what is still buffered goes nowhere, not to a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def dispatch(args: argparse.Namespace, config: Config) -> int:
    """Run the verb the arguments name, importing only what it needs."""
    if args.verb == "run":
        return run_command(config, dry_run=args.dry_run)
    if args.verb == "ingest":
        from bot.cli.ingest import ingest_command

        return ingest_command(config, args.dir or config.articles_dir)
    if args.verb == "release":
        from bot.cli.withdrawals import release_command

        return release_command(config)
    if args.verb == "db":
        from bot.cli.database import db_backup_command, db_status_command

        if args.db_verb == "status":
            return db_status_command(config)
        return db_backup_command(config, args.file)
    from bot.cli import inspection as verbs

    if args.verb == "check":
        return verbs.check_command(config, args.paths, strict=args.strict)
    if args.verb == "preview":
        return verbs.preview_command(config, args.file)
    if args.verb == "stats":
        return verbs.stats_command(config)
    return verbs.errors_command(config)


def database_refusal(error: DatabaseRefused) -> str:
    """The one line for a database that cannot be used, naming the setting to look at."""
    if isinstance(error, NoDatabase):
        return f"{error} (NEWSBOT_DB): `newsbot run` or `newsbot ingest` creates it"
    if isinstance(error, DatabaseFolderUnusable):
        return f"NEWSBOT_DB: {error}"
    return str(error)


def run_command(config: Config, *, dry_run: bool) -> int:
    """Run until SIGTERM, SIGINT or SIGHUP."""
    # imported here: Telegram's library loads only for `run` and `ingest`
    import asyncio
    import signal

    from bot.cli.dryrun import run_dry
    from bot.foundation.memory import single_arena
    from bot.wiring import build_newsbot
    from storage import open_store

    # before any thread starts: the once-a-minute trim then reaches every freed page
    if single_arena():
        log.debug("malloc: every thread allocates from the main arena")

    if not config.articles_dir.is_dir():
        raise ConfigError(f"NEWSBOT_ARTICLES_DIR is not a folder: {config.articles_dir}")
    try:  # a folder this user cannot list is no better than none
        os.scandir(config.articles_dir).close()
    except OSError as error:
        raise ConfigError(
            f"NEWSBOT_ARTICLES_DIR cannot be listed: {config.articles_dir}: {error.strerror}"
        ) from None
    os.environ.setdefault("PTB_TIMEDELTA", "1")

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def stop_on(signum: signal.Signals) -> None:
            log.info("got %s; stopping", signum.name)
            stop.set()

        # SIGHUP (a closed terminal, `systemctl kill -s HUP`) is a clean stop too: its
        # default ends the process at once, and the rows left sending go again at the next
        # start; unless it is ignored already, as `nohup` asks
        hangup = () if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN else (signal.SIGHUP,)
        for signum in (signal.SIGTERM, signal.SIGINT, *hangup):
            loop.add_signal_handler(signum, stop_on, signum)
        store = open_store(config.db_path, exclusive=True)
        try:
            if dry_run:
                await run_dry(config, store, stop)
            else:
                await build_newsbot(config, store).run(stop)
        finally:
            store.close()

    asyncio.run(serve())
    log.info("stopped")
    return 0
