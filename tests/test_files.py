"""Which files of the folder are articles, and reading one by the folder's rules."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from bot.articles.ingest import Ingestor
from bot.articles.reading import FileBytes, _read_up_to, is_ignored_name, read_article_file
from bot.foundation.errors import ArticleError
from storage import open_store
from tests.articles import article_text, write_article


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(article_text(excerpt="x" * 5000))
    with pytest.raises(ArticleError, match="too large"):
        read_article_file(path, tmp_path, max_bytes=1000)


@pytest.mark.parametrize(("stale_size", "most", "read"), [(100, 20_000, 10_000), (100, 5_000, 5_000),
                                                       (10_000, 20_000, 10_000), (0, 3, 3)])  # fmt: skip
def test_a_file_that_grew_since_its_size_was_taken_is_read_to_its_end_or_the_limit(
    tmp_path: Path, stale_size: int, most: int, read: int
) -> None:
    """Reading asks for the size fstat gave, and reads on if the file grew meanwhile."""
    path = tmp_path / "growing.txt"
    path.write_bytes(bytes(range(256)) * 39 + b"0123456789012345")  # 10,000 bytes
    fd = os.open(path, os.O_RDONLY)
    try:
        assert _read_up_to(fd, stale_size, most) == path.read_bytes()[:read]
    finally:
        os.close(fd)


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text(article_text())
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "link.txt").symlink_to(outside)
    with pytest.raises(ArticleError, match="symlink pointing outside the folder"):
        read_article_file(folder / "link.txt", folder, max_bytes=10_000)


def test_symlink_inside_the_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text(article_text())
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert read_article_file(tmp_path / "link.txt", tmp_path, max_bytes=10_000).size > 0


@pytest.mark.parametrize(
    "name",
    [
        ".hidden",
        "a.tmp",
        "sedAb3x9Z",  # sed -i
        ".a.txt.Xy12Qz",  # rsync
        ".a.txt.swp",  # vim
        "a.txt.swp",
        ".a.txt.swx",
        "4913",
        "a.txt~",
        "#a.txt#",  # emacs
        ".#a.txt",
        "a.txt.part",  # downloads
        "a.txt.crdownload",
    ],
)
def test_temp_files_of_common_tools_are_ignored(name: str) -> None:
    """The names sed, rsync, vim, emacs and browsers write beside a file are never articles."""
    assert is_ignored_name(name)


@pytest.mark.parametrize(
    "name", ["000_3f6c152225941a7d.txt", "article.md", "sedan.txt", "sedimentary", "49130", "#1"]
)
def test_ordinary_names_are_not_ignored(name: str) -> None:
    """Names that only look like a tool's temp file are still read as articles."""
    assert not is_ignored_name(name)


def test_sed_in_place_edit_leaves_nothing_that_is_read_or_warned_about(tmp_path: Path) -> None:
    """The real `sed -i` temp name, present mid-edit, is skipped by a scan without an error."""
    folder = tmp_path / "articles"
    folder.mkdir()
    write_article(folder / "a.txt")
    # what the folder holds while sed -i rewrites a.txt: its half-written temp file
    (folder / "sedQ2v9Lk").write_text("---\ntitle: [\n")
    for name in ("4913", "#a.txt#", ".a.txt.Xy12Qz", "a.txt.part", "b.txt.crdownload"):
        (folder / name).write_text("not yaml: [")
    store = open_store(tmp_path / "n.db")
    try:
        ingestor = Ingestor(store, folder, max_bytes=10_000, recursive=False)
        found = ingestor.scan({})
        assert [path.name for path in found.changed] == ["a.txt"]
    finally:
        store.close()


def test_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    with pytest.raises(ArticleError, match="symlink loop"):
        read_article_file(tmp_path / "a.txt", tmp_path, max_bytes=1000)


def _read_in_a_thread(path: Path, root: Path) -> FileBytes | ArticleError:
    """Read `path` in a thread; a read that blocks fails the test instead of hanging it."""
    outcome: list[FileBytes | ArticleError] = []

    def read() -> None:
        try:
            outcome.append(read_article_file(path, root, max_bytes=10_000))
        except ArticleError as error:
            outcome.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(5)
    if reader.is_alive():  # unblock the open() that waits for a writer, then fail
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(5)
        pytest.fail("reading a named pipe blocked")
    return outcome[0]


def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO is a bad file with a reason, and reading it never waits for a writer."""
    os.mkfifo(tmp_path / "pipe.txt")
    outcome = _read_in_a_thread(tmp_path / "pipe.txt", tmp_path)
    assert isinstance(outcome, ArticleError)
    assert str(outcome) == "not a regular file (a named pipe)"


def test_link_to_a_named_pipe_inside_the_folder_is_refused(tmp_path: Path) -> None:
    """Links inside the folder are followed, but only to a regular file."""
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link.txt").symlink_to(tmp_path / "pipe")
    outcome = _read_in_a_thread(tmp_path / "link.txt", tmp_path)
    assert isinstance(outcome, ArticleError)
    assert str(outcome) == "not a regular file (a named pipe)"


def test_directory_named_like_an_article_is_refused(tmp_path: Path) -> None:
    """A directory (itself or behind a link) is not read as a file."""
    (tmp_path / "x.txt").mkdir()
    (tmp_path / "y.txt").symlink_to(tmp_path / "x.txt")
    for name in ("x.txt", "y.txt"):
        with pytest.raises(ArticleError, match=r"^not a regular file \(a directory\)$"):
            read_article_file(tmp_path / name, tmp_path, max_bytes=1000)


def test_socket_is_refused(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.txt"))
        with pytest.raises(ArticleError, match=r"^not a regular file \(a socket\)$"):
            read_article_file(tmp_path / "s.txt", tmp_path, max_bytes=1000)


def test_dangling_symlink_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    """Its reason names the missing target; one out of the folder is refused as such."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "link.txt").symlink_to(folder / "nowhere.txt")
    (folder / "out.txt").symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(ArticleError) as inside:
        read_article_file(folder / "link.txt", folder, max_bytes=1000)
    assert str(inside.value) == f"symlink to a missing file ({folder / 'nowhere.txt'})"
    with pytest.raises(ArticleError) as outside:
        read_article_file(folder / "out.txt", folder, max_bytes=1000)
    assert str(outside.value) == f"symlink pointing outside the folder ({tmp_path / 'nowhere.txt'})"
