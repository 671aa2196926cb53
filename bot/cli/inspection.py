"""The one-shot verbs over article files and the database: check, preview, stats, errors
(`newsbot ingest` is `bot.cli.ingest`). Each prints its result and returns the exit code.

Light on purpose: none loads Telegram's library, and `check` and `preview` load no SQLite
(`storage.open_store` loads it on first use)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import storage
from bot.articles.parsing import parse_article_bytes
from bot.articles.permalinks import Site, place_of
from bot.articles.reading import is_ignored_name, printable, read_article_file
from bot.chat.reports import ERRORS_SHOWN, format_errors, format_stats
from bot.delivery.rendering import render_push
from bot.foundation.config import Config
from bot.foundation.errors import ArticleError
from storage.models import Article


def check_command(config: Config, paths: list[Path], *, strict: bool = False) -> int:
    """Validate files, and the article files of folders: one line each, exit 1 if any is bad
    (or, with `strict`, a draft: valid, but not pushed until published)."""
    bad = checked = drafts = 0
    for given in paths:
        if given.is_dir():
            try:
                listed = article_files(given, recursive=config.recursive)
            except OSError as error:
                bad, checked = bad + 1, checked + 1
                print(f"{printable(error.filename or given)}: cannot list: {error.strerror}")
                continue
            files = [(path, given) for path in listed]
            if not files:
                print(f"{printable(given)}: no article files", file=sys.stderr)
        else:
            files = [(given, _folder_of(given, config))]
        for path, root in files:
            checked += 1
            notes: list[str] = []
            try:
                raw = read_article_file(path, root, config.max_file_bytes)
                article = parse_article_bytes(
                    raw.data, notes, place=place_of(path, root, Site.of(config))
                )
            except ArticleError as error:
                bad += 1
                print(f"{printable(path)}: {error}")
                continue
            drafts += not article.published
            made = f" {article.url}" if _link_was_made(article) else ""
            noted = "".join(f" ({note})" for note in notes)
            print(f"{printable(path)}: {'ok' if article.published else 'draft'}{made}{noted}")
    if bad:
        print(f"{bad} of {checked} files have problems", file=sys.stderr)
    if strict and drafts:
        print(f"{drafts} of {checked} files are drafts (--strict)", file=sys.stderr)
    return 1 if bad or (strict and drafts) else 0


def article_files(folder: Path, *, recursive: bool) -> list[Path]:
    """The files of a folder that may be articles (by name), sorted; subfolders if recursive.
    As in `run`'s scan, a link to a folder is no subfolder (one to a parent would never end):
    it is checked as the file it names."""
    found = []
    for path in sorted(folder.iterdir()):
        if is_ignored_name(path.name):
            continue
        if path.is_dir() and not path.is_symlink():
            if recursive:
                found.extend(article_files(path, recursive=True))
        else:
            found.append(path)
    return found


def preview_command(config: Config, file: Path) -> int:
    """Print the push an article file would become."""
    try:
        root = _folder_of(file, config)
        raw = read_article_file(file, root, config.max_file_bytes)
        article = parse_article_bytes(raw.data, place=place_of(file, root, Site.of(config)))
    except ArticleError as error:
        print(f"{printable(file)}: {error}", file=sys.stderr)
        return 1
    push = render_push(article)
    print(push.html)
    if _link_was_made(article):
        print(f"\n[link: {article.url}]")
    if push.photo_url:
        print(f"\n[photo: {push.photo_url}]")
    if not article.published:
        print("\n[draft: not pushed until published: true]")
    return 0


def _link_was_made(article: Article) -> bool:
    """Whether the link came from NEWSBOT_SITE_URL and a pattern (no `webUrl`): then
    `check` and `preview` show it, the one thing about the post to verify by eye."""
    return "webUrl" not in json.loads(article.raw_json)


def _folder_of(file: Path, config: Config) -> Path:
    """The folder a file is read from: the articles folder when it is in it (its sub-folder
    is a static site's `:section`), else its own."""
    folder = config.articles_dir.absolute()
    return folder if file.absolute().is_relative_to(folder) else file.parent


def stats_command(config: Config) -> int:
    """The figures of /stats, from an existing database."""
    store = storage.open_store(config.db_path, create=False)
    try:
        print(format_stats(store.figures.counts()))
    finally:
        store.close()
    return 0


def errors_command(config: Config) -> int:
    """What /errors shows: the latest bad article files and why."""
    store = storage.open_store(config.db_path, create=False)
    try:
        print(format_errors(store.figures.ingest_errors(ERRORS_SHOWN), html=False))
    finally:
        store.close()
    return 0
