"""The `newsbot` command line: verbs, exit codes, and what each prints."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chat.reports import format_errors
from bot.cli.ingest import Progress
from bot.cli.main import VERB_SETTINGS, build_parser, main
from bot.foundation.config import known_settings
from storage import open_store
from tests.articles import SAMPLE, article_text, write_article
from tests.commandline import ingested, newsbot
from tests.conftest import ADMIN_ID, Running, eventually, read_only, unprivileged, write_lock
from tests.environ import clean_environ

VERBS = [
    "run",
    "ingest",
    "check",
    "preview",
    "stats",
    "errors",
    "release",
    "db status",
    "db backup",
]


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help_saying_what_it_does_and_which_settings_it_reads(verb: str) -> None:
    """`newsbot VERB --help` describes the verb and names every setting it reads."""
    result = newsbot(*verb.split(), "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # argparse wraps lines
    says_what = re.search(rf"usage: newsbot {verb} .*?\] ?[A-Z .\[\]]*? ([A-Z][^.]+\.)", text)
    assert says_what is not None and len(says_what.group(1)) > 20, text
    named = set(re.findall(r"\b(?:NEWSBOT|TELEGRAM)_[A-Z_]+", text.split("settings read:")[1]))
    assert named, f"no settings named in the help of {verb}"
    assert named <= known_settings()
    expected = set(VERB_SETTINGS.get(verb, known_settings()))
    assert expected <= named
    if verb in ("stats", "errors", "db status", "db backup"):
        assert "NEWSBOT_DB" in named
    if verb == "ingest":
        assert {"NEWSBOT_DB", "NEWSBOT_ARTICLES_DIR", "NEWSBOT_MAX_FILE_BYTES"} <= named


def test_every_verb_of_the_parser_is_in_the_help_test() -> None:
    """A verb added later cannot skip the help test above."""
    parser = build_parser()
    found = []
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for name, sub in action.choices.items():  # type: ignore[union-attr]
            if sub._subparsers is None:
                found.append(name)
            else:
                for inner in sub._subparsers._group_actions:
                    found.extend(f"{name} {each}" for each in inner.choices)
    assert sorted(found) == sorted(VERBS)


def test_run_without_token_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    result = newsbot("run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "newsbot: TELEGRAM_BOT_TOKEN is not set: get one from @BotFather"
    ]
    assert "Traceback" not in result.stderr


def test_bad_setting_stops_run_with_one_line(tmp_path: Path) -> None:
    result = newsbot("run", "--dry-run", env={"NEWSBOT_RATE_GLOBAL": "fast"}, cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "newsbot: NEWSBOT_RATE_GLOBAL is invalid: expected messages/s > 0, got 'fast'"
    )


def test_missing_articles_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = newsbot(
        "run", "--dry-run", env={"NEWSBOT_ARTICLES_DIR": str(tmp_path / "nope")}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "NEWSBOT_ARTICLES_DIR is not a folder" in result.stderr


TOKEN = "123456:" + "A" * 35


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [
        ("http://bots.example.net:8081/bot", True),
        ("http://10.0.0.5/bot", True),
        ("http://127.0.0.1:8081/bot", False),
        ("http://[::1]:8081/bot", False),
        ("http://localhost:8081/bot", False),
        ("https://bots.example.net/bot", False),
    ],
)
def test_a_bot_api_over_plain_http_to_another_host_is_one_warning_at_start(
    tmp_path: Path, base_url: str, warned: bool
) -> None:
    """`run` with TELEGRAM_BASE_URL http:// to a host other than this machine warns once:
    the token is part of every request's path and would travel in clear."""
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": base_url,
        "NEWSBOT_ARTICLES_DIR": str(tmp_path / "nope"),  # stops right after the start's checks
    }
    result = newsbot("run", env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if "travels in clear" in line]
    assert len(lines) == (1 if warned else 0), result.stderr
    assert TOKEN not in result.stderr


def test_ingest_imports_without_queueing_and_summarises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later ingest of old files must not flood subscribers: it never queues pushes."""
    folder = tmp_path / "old"
    folder.mkdir()
    for index in range(3):
        write_article(folder / f"{index}.txt", webUrl=f"https://a.example/{index}")
    write_article(folder / "draft.txt", webUrl="https://a.example/draft", published=False)
    (folder / "bad.txt").write_text(article_text(title=None))
    (folder / "worse.txt").write_text("---\ntitle: [\n---\n")
    db = tmp_path / "n.db"
    store = open_store(db)
    store.chats.register(1, "private", None)
    store.feeds.set_all_topics(store.feeds.ensure(1).id, True)
    store.close()
    monkeypatch.setenv("NEWSBOT_DB", str(db))
    monkeypatch.setenv("NEWSBOT_ARTICLES_DIR", str(folder))
    assert main(["ingest", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "imported 4, updated 0, unchanged 0, drafts 1, removed 0, duplicates 0, errors 2" in out
    assert "1  title is missing" in out and "1  invalid YAML" in out
    store = open_store(db)
    assert store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0
    assert len(store.listing.latest(10)) == 3
    store.close()
    assert main(["ingest", str(folder)]) == 0
    rerun = capsys.readouterr().out
    # the bad files are unchanged, so not read again: they are still reported
    assert (
        "imported 0, updated 0, unchanged 6, drafts 0, removed 0, duplicates 0, errors 2" in rerun
    )
    assert "1  title is missing" in rerun and "1  invalid YAML" in rerun


def test_check_reports_each_problem_and_exits_1(tmp_path: Path) -> None:
    good = write_article(tmp_path / "good.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text(article_text(published="false"))
    result = newsbot("check", str(good), str(bad), str(SAMPLE))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{good}: ok",
        f"{bad}: published must be true or false, got the string 'false'",
        f"{SAMPLE}: draft",
    ]


def test_check_of_good_files_exits_0(tmp_path: Path) -> None:
    assert newsbot("check", str(write_article(tmp_path / "a.txt"))).returncode == 0


def test_check_notes_the_topics_past_the_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file of 60 topics is a good article keeping 50: `check` says so on its line."""
    path = write_article(tmp_path / "a.txt", topics=[f"T{index}" for index in range(60)])
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: ok (60 topics listed, the first 50 are kept)\n"


def test_preview_prints_the_push(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert '<b><a href="https://www.dailymail.co.uk/sciencetech/article-8047615/' in out
    assert "[photo: https://i.dailymail.co.uk/" in out
    assert "[draft: not pushed until published: true]" in out


def test_stats_prints_the_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store(tmp_path / "s.db").close()
    monkeypatch.setenv("NEWSBOT_DB", str(tmp_path / "s.db"))
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "Active chats: 0" in out and "Pushes: 0 sent, 0 pending, 0 failed" in out


@pytest.mark.parametrize("verb", ["stats", "errors", "db status", "db backup copy.db"])
def test_verbs_that_read_the_database_do_not_create_a_missing_one(
    verb: str, tmp_path: Path
) -> None:
    """A mistyped NEWSBOT_DB is said to be missing (exit 2), not replaced by an empty database."""
    db = tmp_path / "typo.db"
    result = newsbot(*verb.split(), env={"NEWSBOT_DB": str(db)}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"newsbot: no database at {db} (NEWSBOT_DB): `newsbot run` or `newsbot ingest` creates it"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "db", ["missing-folder/newsbot.db", "a-file/newsbot.db", "/proc/newsbot.db"]
)
@pytest.mark.parametrize("verb", [("ingest", "articles"), ("run", "--dry-run")])
def test_a_database_folder_that_cannot_be_written_names_newsbot_db_and_exits_2(
    db: str, verb: tuple[str, str], tmp_path: Path
) -> None:
    """SQLite needs its folder for the WAL: a folder missing or not writable is one line."""
    (tmp_path / "a-file").write_text("")
    (tmp_path / "articles").mkdir()
    result = newsbot(*verb, env={"NEWSBOT_DB": db}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsbot: NEWSBOT_DB: "), lines
    assert "Traceback" not in result.stderr


def test_a_global_rate_above_telegrams_free_limit_stops_every_verb_with_the_reason(
    tmp_path: Path,
) -> None:
    """NEWSBOT_RATE_GLOBAL=1000 without paid broadcasts would only earn 429s: refused at start."""
    result = newsbot("stats", env={"NEWSBOT_RATE_GLOBAL": "1000"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("newsbot: NEWSBOT_RATE_GLOBAL is too high: Telegram allows")
    assert "NEWSBOT_PAID_BROADCAST=true" in result.stderr


def test_unknown_settings_in_the_environment_and_env_file_are_warned_about(
    tmp_path: Path,
) -> None:
    """A misspelt name is otherwise ignored in silence; the verb still runs."""
    (tmp_path / ".env").write_text("NEWSBOT_SCAN_INTERVALL=60\n")
    good = write_article(tmp_path / "a.txt")
    result = newsbot("check", str(good), env={"NEWSBOT_ADMIN_ID": "1"}, cwd=tmp_path)
    assert result.returncode == 0
    assert (
        "NEWSBOT_ADMIN_ID is not a newsbot setting and is ignored (did you mean NEWSBOT_ADMIN_IDS?)"
        in result.stderr
    )
    assert (
        "NEWSBOT_SCAN_INTERVALL is not a newsbot setting and is ignored (did you mean NEWSBOT_SCAN_INTERVAL?)"
        in result.stderr
    )


def test_check_accepts_folders_and_skips_what_is_not_an_article(tmp_path: Path) -> None:
    """`check FOLDER` checks its article files (temp and hidden files left out), sorted."""
    folder = tmp_path / "articles"
    folder.mkdir()
    good = write_article(folder / "a.txt")
    bad = folder / "b.txt"
    bad.write_text("---\ntitle: [\n---\n")
    (folder / "sedX1y2Z3").write_text("half written")
    (folder / ".hidden").write_text("nope")
    (folder / "sub").mkdir()
    write_article(folder / "sub" / "c.txt")
    single = write_article(tmp_path / "single.txt")
    result = newsbot("check", str(folder), str(single))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{good}: ok"
    assert lines[1].startswith(f"{bad}: invalid YAML")
    assert lines[2:] == [f"{single}: ok"]
    assert "1 of 3 files have problems" in result.stderr
    recursive = newsbot("check", str(folder), env={"NEWSBOT_RECURSIVE": "true"})
    assert f"{folder / 'sub' / 'c.txt'}: ok" in recursive.stdout.splitlines()


def test_check_does_not_follow_a_link_to_a_folder(tmp_path: Path) -> None:
    """A link to a parent folder would make a recursive check go on for ever: as in `run`'s
    scan, a link to a folder is no subfolder, and `check` says what `run` would of it."""
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    write_article(folder / "sub" / "c.txt")
    (folder / "sub" / "up").symlink_to("..")
    (folder / "again").symlink_to(folder / "sub")
    result = newsbot("check", str(folder), env={"NEWSBOT_RECURSIVE": "true"})
    assert result.stdout.splitlines() == [
        f"{folder / 'again'}: not a regular file (a directory)",
        f"{folder / 'sub' / 'c.txt'}: ok",
        f"{folder / 'sub' / 'up'}: not a regular file (a directory)",
    ]
    assert result.returncode == 1


async def test_errors_verb_prints_what_the_errors_command_shows(
    running: Running, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`newsbot errors` and /errors show the same lines, read while the bot runs."""
    running.write("bad.txt", title=None)
    running.write("worse.txt", webUrl="not a url")
    await eventually(lambda: len(running.store.figures.ingest_errors()) == 2)
    reply = await running.command(ADMIN_ID, "/errors")
    monkeypatch.setenv("NEWSBOT_DB", str(running.bot.config.db_path))
    assert main(["errors"]) == 0
    printed = capsys.readouterr().out.rstrip("\n")
    assert printed == reply
    assert "bad.txt: title is missing" in printed and printed.startswith("Bad article files")
    assert format_errors([], html=False) == "No bad article files."


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ingest_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere() -> None:
    plain = io.StringIO()
    progress = Progress(20, plain)
    for done in range(1, 21):
        progress.update(done)
    progress.done()
    assert plain.getvalue().splitlines()[:2] == ["ingest: 2/20 files", "ingest: 4/20 files"]
    assert len(plain.getvalue().splitlines()) == 10

    terminal = Terminal()
    progress = Progress(20, terminal)
    for done in (5, 20):
        progress.update(done)
    progress.done()
    assert "\r" in terminal.getvalue() and "20/20" in terminal.getvalue()
    assert "ingest: 20/20 files" not in terminal.getvalue()


def test_a_database_locked_by_another_process_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`newsbot ingest` while an operator's `sqlite3` shell holds the write lock says so."""
    folder = tmp_path / "articles"
    folder.mkdir()
    write_article(folder / "a.txt")
    db = tmp_path / "newsbot.db"
    open_store(db).close()
    monkeypatch.setenv("NEWSBOT_DB", str(db))
    monkeypatch.setenv("NEWSBOT_ARTICLES_DIR", str(folder))
    monkeypatch.setattr("storage.database.BUSY_TIMEOUT_MS", 50)  # give up in 50 ms, not 5 s
    with write_lock(db):
        assert main(["ingest", str(folder)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"newsbot: the database {db} is locked by another process (NEWSBOT_DB); "
        "try again once it lets go"
    ]


@pytest.mark.parametrize("verb", [["preview", str(SAMPLE)], ["check", str(SAMPLE)]])
def test_output_piped_into_a_reader_that_stops_early_is_no_traceback(verb: list[str]) -> None:
    """`newsbot preview FILE | head -1`: the reader is gone, which is no error to report."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `head` does once it has its line
    base = clean_environ()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", *verb],
            env=base, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 1


def test_a_metrics_port_already_taken_stops_run_with_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A port conflict does not pass by itself: exit 2, so systemd does not restart-loop."""
    (tmp_path / "articles").mkdir()
    monkeypatch.chdir(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("NEWSBOT_METRICS_PORT", str(port))
        assert main(["run", "--dry-run"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"newsbot: NEWSBOT_METRICS_PORT: cannot listen on 127.0.0.1:{port}: address already in use"
    ]


@pytest.mark.parametrize("verb", [("ingest", "articles"), ("run", "--dry-run")])
def test_a_database_file_that_cannot_be_written_names_newsbot_db_and_exits_2(
    verb: tuple[str, str], tmp_path: Path
) -> None:
    """A backup restored with `sudo cp` is root's and read-only to the bot's user: one line
    and exit 2 at start, not tracebacks at the first write and exit 1 (a restart loop)."""
    db = tmp_path / "newsbot.db"
    open_store(db).close()
    (tmp_path / "articles").mkdir()
    write_article(tmp_path / "articles" / "a.txt")
    with read_only(db):
        result = newsbot(*verb, env={"NEWSBOT_DB": str(db)}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"newsbot: NEWSBOT_DB: cannot write the database {db} or the files beside it: "
        "attempt to write a readonly database"
    ]


def unlistable(
    folder: Path, args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`newsbot ARGS` run as a user who cannot list `folder` (its mode 0 meanwhile)."""
    folder.chmod(0)
    try:
        return newsbot(*args, env=env, cwd=cwd, wrap=unprivileged)
    finally:
        folder.chmod(0o755)


def test_a_subfolder_that_cannot_be_listed_is_named_on_one_line(tmp_path: Path) -> None:
    """With NEWSBOT_RECURSIVE, a subfolder's name came into its "cannot list" line as it
    was: a newline in it split the line (a forged second one, in the log of `run` too). It
    is quoted with Python's escapes, as file names are."""
    folder, db = tmp_path / "articles", tmp_path / "newsbot.db"
    ingested(folder, db, 1)
    sub = folder / "sub\nnewsbot: forged"
    sub.mkdir()
    env = {"NEWSBOT_DB": str(db), "NEWSBOT_ARTICLES_DIR": str(folder), "NEWSBOT_RECURSIVE": "true"}
    result = unlistable(sub, ["ingest"], env=env)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [f"newsbot: cannot list {str(sub)!r}: Permission denied"]


def test_an_articles_folder_that_cannot_be_listed_forgets_no_article(tmp_path: Path) -> None:
    """A folder the bot's user cannot list (permissions changed, a network mount's hiccup)
    listed as empty: `ingest` removed every article, as the watcher's scans did (and then
    retracted every sent push). It is one line, exit 1, and nothing is removed."""
    folder, db = tmp_path / "articles", tmp_path / "newsbot.db"
    ingested(folder, db, 2)
    env = {"NEWSBOT_DB": str(db), "NEWSBOT_ARTICLES_DIR": str(folder)}
    result = unlistable(folder, ["ingest", str(folder)], env=env)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [f"newsbot: cannot list {folder}: Permission denied"]
    store = open_store(db)
    try:
        assert len(store.listing.latest(10)) == 2
    finally:
        store.close()


def test_an_articles_folder_that_cannot_be_listed_at_start_is_a_setting_error(
    tmp_path: Path,
) -> None:
    """As a missing folder is: one line naming NEWSBOT_ARTICLES_DIR, exit 2, rather than a
    first start that takes an empty listing for its baseline."""
    folder = tmp_path / "articles"
    folder.mkdir()
    result = unlistable(folder, ["run", "--dry-run"], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "newsbot: NEWSBOT_ARTICLES_DIR cannot be listed: articles: Permission denied"
    ]


def test_check_of_a_folder_that_cannot_be_listed_is_a_problem_line(tmp_path: Path) -> None:
    """`newsbot check FOLDER` names the folder and the reason (exit 1), no traceback."""
    folder = tmp_path / "articles"
    folder.mkdir()
    good = write_article(tmp_path / "good.txt")
    result = unlistable(folder, ["check", "articles", "good.txt"], cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "articles: cannot list: Permission denied",
        "good.txt: ok",
    ]
    assert result.stderr.splitlines() == ["1 of 2 files have problems"]
    assert good.exists()


def test_ingest_of_another_folder_is_refused_and_forgets_nothing(tmp_path: Path) -> None:
    """The database keeps the articles folder's files by their names in it: `ingest` of
    another folder took every file of NEWSBOT_ARTICLES_DIR for gone (withdrawing its
    articles, retracting their sent pushes), and the next scan of `run` forgot the files it
    had imported. It is one line naming the setting, exit 2, and nothing changes."""
    articles, db = tmp_path / "articles", tmp_path / "newsbot.db"
    ingested(articles, db, 2)
    other = tmp_path / "other"
    other.mkdir()
    write_article(other / "elsewhere.txt", webUrl="https://a.example/elsewhere")
    env = {"NEWSBOT_DB": str(db), "NEWSBOT_ARTICLES_DIR": str(articles)}
    result = newsbot("ingest", str(other), env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"newsbot: `ingest` imports the articles folder, NEWSBOT_ARTICLES_DIR ({articles}), "
        f"not {other}: the next scan of `run` would forget the files of another folder; "
        f"to make it the articles folder, set NEWSBOT_ARTICLES_DIR={other}"
    ]
    store = open_store(db)
    try:
        assert sorted(stored.path for stored in store.listing.latest(10)) == ["0.txt", "1.txt"]
    finally:
        store.close()
    # the same folder by another name (relative, through a link) is the articles folder
    (tmp_path / "link").symlink_to(articles)
    assert newsbot("ingest", "link", env=env, cwd=tmp_path).returncode == 0
    assert newsbot("ingest", env=env, cwd=tmp_path).returncode == 0


def test_check_and_errors_show_a_name_with_a_newline_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line per file, as in the logs: such a name is quoted, with Python's escapes."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "bad\nname.txt").write_text("no front matter")
    reason = "no front matter: the file must start with a '---' line"
    assert main(["check", str(folder)]) == 1
    assert capsys.readouterr().out.splitlines() == [f"'{folder}/bad\\nname.txt': {reason}"]
    monkeypatch.setenv("NEWSBOT_DB", str(tmp_path / "newsbot.db"))
    monkeypatch.setenv("NEWSBOT_ARTICLES_DIR", str(folder))
    assert main(["ingest"]) == 0
    capsys.readouterr()
    assert main(["errors"]) == 0
    [_, line] = capsys.readouterr().out.splitlines()
    assert line.endswith(f" 'bad\\nname.txt': {reason}")
