"""The `newsbot` command: the only place that reads the environment and sets up logging."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from bot import __version__
from bot.admin import format_stats
from bot.config import Config, load_config
from bot.errors import ArticleError, ConfigError
from bot.files import read_article_file
from bot.logs import redact, setup_logging
from bot.parsing import parse_article_bytes
from bot.reconcile import Reconciliation
from bot.rendering import render_push
from storage import NewsbotError, open_store

log = logging.getLogger("newsbot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Pushes new article files to the Telegram chats that follow their topics.",
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    run = verbs.add_parser("run", help="the long-running bot: watcher, store, delivery, commands")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="watch and store, and print each push instead of calling Telegram (no token)",
    )
    ingest = verbs.add_parser("ingest", help="one-shot import into the database, no pushes")
    ingest.add_argument("dir", nargs="?", type=Path, help="folder (default NEWSBOT_ARTICLES_DIR)")
    check = verbs.add_parser("check", help="validate article files; exit 1 if any is bad")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    preview = verbs.add_parser("preview", help="print the push an article file would become")
    preview.add_argument("file", type=Path, metavar="FILE")
    verbs.add_parser("stats", help="the figures of /stats")
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
        return 2
    setup_logging(config.log_level, config.log_format, config.token)
    try:
        if args.verb == "run":
            return run_command(config, dry_run=args.dry_run)
        if args.verb == "ingest":
            return ingest_command(config, args.dir or config.articles_dir)
        if args.verb == "check":
            return check_command(config, args.files)
        if args.verb == "preview":
            return preview_command(config, args.file)
        return stats_command(config)
    except ConfigError as error:
        print(f"newsbot: {redact(str(error), config.token)}", file=sys.stderr)
        return 2
    except NewsbotError as error:
        print(f"newsbot: {redact(str(error), config.token)}", file=sys.stderr)
        return 1


def run_command(config: Config, *, dry_run: bool) -> int:
    """Run until SIGTERM or SIGINT."""
    # imported here: Telegram's library loads only for `run` and `ingest`
    from bot.dryrun import run_dry
    from bot.wiring import build_newsbot

    if not config.articles_dir.is_dir():
        raise ConfigError(f"NEWSBOT_ARTICLES_DIR is not a folder: {config.articles_dir}")
    os.environ.setdefault("PTB_TIMEDELTA", "1")

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
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


def ingest_command(config: Config, folder: Path, out: TextIO | None = None) -> int:
    """Import a folder once, without queueing any push; print a summary."""
    from bot.wiring import build_ingestor  # here: see run_command

    out = out or sys.stdout
    if not folder.is_dir():
        raise ConfigError(f"not a folder: {folder}")
    store = open_store(config.db_path)
    try:
        ingestor = build_ingestor(config, store, folder)
        started = time.perf_counter()
        reconciliation = Reconciliation(ingestor, queue=False, parallel=True)
        found = reconciliation.compare()
        reconciliation.remove_gone()
        outcome: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        progress = Progress(len(reconciliation.to_read), sys.stderr)
        done = 0
        with reconciliation.storing():
            while (batch := reconciliation.read_next()) is not None:
                outcome.update(change.kind for change in reconciliation.store(batch))
                for loaded in batch:
                    if loaded.error is not None:
                        errors[loaded.error.split(":")[0]] += 1
                    elif loaded.row is not None and not loaded.row.published:
                        outcome["draft"] += 1
                done += len(batch)
                progress.update(done)
        progress.done()
        elapsed = time.perf_counter() - started
        unchanged = outcome["unchanged"] + found.total - len(reconciliation.to_read)
        print(
            f"imported {outcome['new']}, updated "
            f"{outcome['edited'] + outcome['published'] + outcome['unpublished']}, "
            f"unchanged {unchanged}, drafts {outcome['draft']}, removed {len(found.gone)}, "
            f"duplicates {outcome['duplicate']}, errors {outcome['error']} "
            f"in {elapsed:.1f}s (no pushes queued)",
            file=out,
        )
        for reason, count in errors.most_common():
            print(f"  {count:6d}  {reason}", file=out)
    finally:
        store.close()
    return 0


class _Bar(tqdm):  # type: ignore[type-arg]  # generic in the stubs only
    # no monitor thread: the bar is redrawn after every batch anyway, and the
    # monitor's thread would outlive the bar
    monitor_interval = 0


class Progress:
    """tqdm's bar on a terminal; a plain line per tenth otherwise (logs, pipes, CI)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.bar = (
            _Bar(total=total, file=stream, desc="ingest", unit=" files", dynamic_ncols=True)
            if total and stream.isatty()
            else None
        )
        self.last_tenth = 0

    def update(self, done: int) -> None:
        if not self.total:
            return
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        elif 10 * done // self.total > self.last_tenth:
            self.last_tenth = 10 * done // self.total
            print(f"ingest: {done}/{self.total} files", file=self.stream)

    def done(self) -> None:
        if self.bar is not None:
            self.bar.close()


def check_command(config: Config, files: list[Path]) -> int:
    """Validate files for producers: one line per problem, exit 1 if any is bad."""
    bad = 0
    for path in files:
        try:
            raw = read_article_file(path, path.parent, config.max_file_bytes)
            article = parse_article_bytes(raw.data)
        except ArticleError as error:
            bad += 1
            print(f"{path}: {error}")
            continue
        state = "draft" if not article.published else "ok"
        print(f"{path}: {state}")
    if bad:
        print(f"{bad} of {len(files)} files have problems", file=sys.stderr)
    return 1 if bad else 0


def preview_command(config: Config, file: Path) -> int:
    """Print the push an article file would become."""
    try:
        raw = read_article_file(file, file.parent, config.max_file_bytes)
        article = parse_article_bytes(raw.data)
    except ArticleError as error:
        print(f"{file}: {error}", file=sys.stderr)
        return 1
    push = render_push(article)
    print(push.html)
    if push.photo_url:
        print(f"\n[photo: {push.photo_url}]")
    if not article.published:
        print("\n[draft: not pushed until published: true]")
    return 0


def stats_command(config: Config) -> int:
    store = open_store(config.db_path)
    try:
        print(format_stats(store.figures.counts()))
    finally:
        store.close()
    return 0
