"""Article files on disk: which names are articles, and reading one by the folder's rules.

A file is read only if it is a regular file no larger than the limit, and a symlink
only if it points to one inside the folder; anything else (a named pipe, a socket, a
directory behind a link) is refused without opening it for long: a refused file is an
ArticleError with the reason.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from bot.foundation.errors import ArticleError

# editor swap and backup files, and partial downloads: never articles
IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".part", ".crdownload", ".bak")
# temp names of tools that write beside the file they change: `sed -i` (sedXXXXXX), vim's
# write test (4913), emacs autosave (#name#); rsync's .name.XXXXXX and emacs's lock .#name
# are hidden names, ignored as such
TEMP_NAME = re.compile(r"sed[A-Za-z0-9]{6}|4913|#.*#")
# a static site's folders hold more than posts: Jekyll's drafts (never published), Hugo's
# section pages (`_index.md`, a list of posts) and the images of page bundles
SITE_NAMES = frozenset({"_drafts", "_index.md", "_index.markdown"})
ASSET_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp", ".tif",
    ".tiff", ".mp4", ".webm", ".mov", ".mp3", ".ogg", ".wav", ".pdf", ".zip",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FileBytes:
    """A file's bytes and what tells a later read whether they changed."""

    data: bytes
    size: int
    mtime_ns: int
    hash: str


def printable(name: str | Path) -> str:
    """A file name as a log line or a report shows it: as it is, or quoted with Python's
    escapes when it holds a line break, a tab or another control character (or bytes that
    are not UTF-8), so that one name stays on one line and shows what it holds."""
    text = str(name)
    return text if text.isprintable() else repr(text)


def is_ignored_name(name: str) -> bool:
    """Hidden files, editor swap and backup files, tools' temp files, partial downloads,
    and a static site's drafts folder, section pages and images."""
    return (
        name.startswith(".")
        or name.endswith(IGNORED_SUFFIXES)
        or TEMP_NAME.fullmatch(name) is not None
        or name in SITE_NAMES
        or name.lower().endswith(ASSET_SUFFIXES)
    )


def read_article_file(path: Path, root: Path, max_bytes: int) -> FileBytes:
    """Read a regular file of the watched folder, refusing links out of it, oversized
    files and anything that is not a regular file (a named pipe would block `open`)."""
    try:
        target = _regular_target(path, root)
        # O_NONBLOCK: should a pipe take the file's place after the check, open returns
        # at once instead of waiting for a writer; O_NOFOLLOW: nor may a link take it
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ArticleError(f"not a regular file ({_kind(info.st_mode)})")
            if info.st_size > max_bytes:
                raise ArticleError(f"too large: {info.st_size} bytes, the limit is {max_bytes}")
            data = _read_up_to(fd, info.st_size, max_bytes + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ArticleError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ArticleError(f"too large: over {max_bytes} bytes")
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return FileBytes(data, len(data), info.st_mtime_ns, digest)


def _read_up_to(fd: int, size: int, most: int) -> bytes:
    """At most `most` bytes of a regular file whose size was `size`.

    One read of the size asked: a buffered read of `most` (the limit, 1 MiB) made a
    buffer that large for every file, three times the cost of reading a 4 KB article.
    A file that grew since is read on until its end or `most`.
    """
    parts = []
    total = 0
    want = min(size + 1, most)
    while want > 0:
        part = os.read(fd, want)
        parts.append(part)
        total += len(part)
        if len(part) < want:  # a short read of a regular file is its end
            break
        want = most - total
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _regular_target(path: Path, root: Path) -> Path:
    """The path to open: `path` itself, or where a link inside the folder points."""
    info = path.lstat()
    target = path
    if stat.S_ISLNK(info.st_mode):
        missing = False
        try:
            target = path.resolve(strict=True)
        except RuntimeError:  # Python 3.11 says "Symlink loop" this way
            raise ArticleError("symlink loop") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ArticleError("symlink loop") from None
            if exc.errno != errno.ENOENT:
                raise
            target, missing = path.resolve(), True
        if not target.is_relative_to(root.resolve()):
            raise ArticleError(f"symlink pointing outside the folder ({printable(target)})")
        if missing:
            raise ArticleError(f"symlink to a missing file ({printable(target)})")
        info = target.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise ArticleError(f"not a regular file ({_kind(info.st_mode)})")
    return target


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symlink"),
    )
    return next((name for test, name in kinds if test(mode)), "an unknown kind")


def file_signature(path: Path) -> tuple[int, int] | None:
    """Size and mtime (ns) of a file, following a link (a link that leads nowhere, or in a
    loop: its own, as `link_signature`); None when it is gone."""
    try:
        info = os.stat(path)
    except OSError:
        try:
            info = os.lstat(path)
        except OSError:
            return None
    return info.st_size, info.st_mtime_ns


def link_signature(entry: os.DirEntry[str]) -> os.stat_result | None:
    """What a folder's listing knows of an entry it cannot follow: a link that leads
    nowhere, or in a loop, is a bad file signed by the link itself (so that a scan reads it
    once, and again when its target appears); None for anything else (it vanished)."""
    try:
        return entry.stat(follow_symlinks=False) if entry.is_symlink() else None
    except OSError:
        return None
