"""Operating newsbot as docs/operators/ says: start-up failures, /healthz, logs, dry run.

Each test runs the real `python -m bot run` against the Bot API stand-in.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from tests.articles import write_article
from tests.conftest import unprivileged
from tests.processes import BASELINE_TAKEN, BotProcess, free_port, start_dry_run, until
from tests.standin import StandIn


def healthz(port: int) -> tuple[int, str] | None:
    """Status and body of /healthz, or None while nothing listens yet."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return None


def until_health(port: int, status: int, text: str = "") -> str:
    """Wait (bounded) until /healthz answers `status` with `text` in its body."""
    found: list[tuple[int, str] | None] = []

    def matches() -> bool:
        found[:] = [healthz(port)]
        return found[0] is not None and found[0][0] == status and text in found[0][1]

    until(matches, timeout=30)
    return found[0][1] if found[0] else ""


def exit_of(bot: BotProcess) -> int:
    assert bot.process is not None
    return bot.process.wait(30)


def test_a_refused_token_is_one_line_and_exit_2(tmp_path: Path, standin: StandIn) -> None:
    """401 to getMe: no traceback, one line naming the token, exit 2 (not restarted)."""
    bot = BotProcess(tmp_path, standin, TELEGRAM_BOT_TOKEN="999:" + "x" * 35)
    assert exit_of(bot.start(wait=False)) == 2
    output = bot.output()
    assert "Traceback" not in output
    assert output.strip().splitlines()[-1] == (
        "newsbot: TELEGRAM_BOT_TOKEN was refused by Telegram (401 Unauthorized)"
    )


def test_a_base_url_answering_404_is_named_as_the_problem(tmp_path: Path, standin: StandIn) -> None:
    """A TELEGRAM_BASE_URL that is no Bot API: the line says the URL, not the token."""
    wrong = f"http://127.0.0.1:{standin.port}/wrong/bot"
    bot = BotProcess(tmp_path, standin, TELEGRAM_BASE_URL=wrong)
    assert exit_of(bot.start(wait=False)) == 2
    last = bot.output().strip().splitlines()[-1]
    assert last.startswith(f"newsbot: TELEGRAM_BASE_URL looks wrong: {wrong} answered 404")
    assert "Traceback" not in bot.output()


def test_no_network_at_start_is_retried_and_shown_in_health(
    tmp_path: Path, standin: StandIn
) -> None:
    """Nothing answers at the base URL: a warning per try, 503 with the reason, and SIGTERM
    still stops cleanly."""
    port = free_port()
    closed = f"http://127.0.0.1:{free_port()}/bot"
    bot = BotProcess(
        tmp_path, standin, TELEGRAM_BASE_URL=closed, NEWSBOT_METRICS_PORT=str(port)
    ).start(wait=False)
    body = until_health(port, 503, "cannot reach Telegram")
    assert "trying again in" in body
    until(lambda: bot.output().count("cannot reach Telegram") >= 2)
    assert bot.stop() == 0
    assert "Traceback" not in bot.output()


def test_a_5xx_at_start_is_retried_until_telegram_answers(tmp_path: Path, standin: StandIn) -> None:
    """A 502 to getMe is retried after a second, and the bot then starts polling."""
    standin.fail_next(lambda method, params: method == "getMe", 502, "Bad Gateway")
    bot = BotProcess(tmp_path, standin).start()
    assert bot.stop() == 0
    output = bot.output()
    assert output.count("cannot reach Telegram (Bad Gateway); trying again in 1 s") == 1
    assert "newsbot is running" in output


def test_health_turns_503_on_conflict_and_200_when_it_clears(
    tmp_path: Path, standin: StandIn
) -> None:
    """Another instance polling (409): /healthz says so, and is 200 again once it stops."""
    port = free_port()
    bot = BotProcess(tmp_path, standin, NEWSBOT_METRICS_PORT=str(port)).start()
    until_health(port, 200, "ok")
    standin.poll_error = (409, "Conflict: terminated by other getUpdates request")
    until_health(port, 503, "another process is polling Telegram with this bot token")
    standin.poll_error = None
    standin.say(5, "hello")  # so that the next long poll answers at once, not in 10 s
    until_health(port, 200, "ok")
    assert bot.stop() == 0


def test_a_vanished_folder_is_reported_once_and_watched_again_when_back(
    tmp_path: Path, standin: StandIn
) -> None:
    """The articles folder gone: 503 naming it, one log line, no files forgotten; back
    again: 200, and a new file in it is stored long before the next periodic scan."""
    port = free_port()
    bot = BotProcess(tmp_path, standin, NEWSBOT_METRICS_PORT=str(port))
    write_article(bot.articles / "old.txt")
    bot.start()
    until_health(port, 200, "ok")
    away = tmp_path / "unmounted"
    bot.articles.rename(away)  # as an unmounted share: gone, though its files are not
    until_health(port, 503, f"the articles folder {bot.articles} is missing")
    away.rename(bot.articles)
    until_health(port, 200, "ok")
    until(lambda: "is back; watching it again" in bot.output())
    write_article(bot.articles / "new.txt", webUrl="https://news.example.com/new")
    until(lambda: "(new.txt)" in bot.output())
    assert bot.stop() == 0
    output = bot.output()
    assert output.count("is missing; waiting for it") == 1
    assert "cannot list" not in output
    assert "removed article" not in output  # the folder's files were not forgotten


def test_logs_tell_the_story_at_info(tmp_path: Path, standin: StandIn) -> None:
    """A subscription, an article pushed, a bad file, a removal, a chat gone: a line each."""
    bot = BotProcess(tmp_path, standin, NEWSBOT_WITHDRAW_GRACE="0.2").start()
    standin.say(5, "/subscribe AI")
    standin.wait_for(lambda: len(standin.messages_to(5)) == 1)
    write_article(bot.articles / "a.txt")
    standin.wait_for(lambda: len(standin.messages_to(5)) == 2, timeout=20)
    until(lambda: "fan-out of article" in bot.output())
    (bot.articles / "bad.txt").write_text("---\ntitle: [unclosed\n---\n")
    os.remove(bot.articles / "a.txt")
    standin.membership(5, "kicked", chat_type="private")
    until(lambda: "chat 5 any more" in bot.output() and "file bad.txt" in bot.output())
    until(lambda: "removed article" in bot.output())
    assert bot.stop() == 0
    output = bot.output()
    for line in (
        "chat 5 subscribed to AI",
        "new article 1 (a.txt); pushes queued for 1 feeds",
        "fan-out of article 1 done: 1 sent, 0 failed, 0 cancelled in ",
        "skipped article file bad.txt",
        "removed article 1 (a.txt): the file is gone",
        "may not post in chat 5 any more (kicked)",
    ):
        assert line in output, line


def test_watchdog_events_show_at_trace_not_at_debug(tmp_path: Path, standin: StandIn) -> None:
    """NEWSBOT_LOG_LEVEL=DEBUG keeps watchdog's per-event lines out; TRACE lets them in."""
    outputs = {}
    for level in ("DEBUG", "TRACE"):
        folder = tmp_path / level
        folder.mkdir()
        outputs[level] = _log_of_one_article(BotProcess(folder, standin, NEWSBOT_LOG_LEVEL=level))
    assert " watchdog." not in outputs["DEBUG"]
    assert " watchdog." in outputs["TRACE"]


def _log_of_one_article(bot: BotProcess) -> str:
    bot.start()
    write_article(bot.articles / "a.txt")
    until(lambda: "(a.txt)" in bot.output())
    assert bot.stop() == 0
    return bot.output()


def test_dry_run_prints_only_what_would_be_sent(tmp_path: Path) -> None:
    """First start with files in the folder: they are the baseline and not printed; a file
    added afterwards is; /healthz answers during a dry run."""
    articles = tmp_path / "articles"
    articles.mkdir()
    for n in range(3):
        write_article(articles / f"old{n}.txt", webUrl=f"https://news.example.com/old{n}")
    port = free_port()
    process, out = start_dry_run(tmp_path, articles, NEWSBOT_METRICS_PORT=str(port))
    try:
        until(lambda: BASELINE_TAKEN in out.read_text())
        until_health(port, 200, "ok")
        write_article(articles / "fresh.txt", webUrl="https://news.example.com/fresh")
        until(lambda: "--- push of fresh.txt" in out.read_text())
    finally:
        process.terminate()
        assert process.wait(15) == 0
    assert out.read_text().count("--- push of") == 1


def test_a_folder_that_cannot_be_listed_while_running_retracts_nothing(
    tmp_path: Path, standin: StandIn
) -> None:
    """The articles folder unlistable for a while (its permissions changed, a mount's
    hiccup) listed as empty: every article was removed and every sent push retracted.
    Now /healthz says so, nothing is forgotten, and once listed again all is well."""
    port = free_port()
    bot = BotProcess(
        tmp_path, standin, NEWSBOT_METRICS_PORT=str(port), NEWSBOT_SCAN_INTERVAL="0.2"
    ).start(wrap=unprivileged)
    standin.say(5, "/subscribe AI")
    standin.wait_for(lambda: len(standin.messages_to(5)) == 1)
    write_article(bot.articles / "a.txt")
    standin.wait_for(lambda: len(standin.messages_to(5)) == 2, timeout=20)
    bot.articles.chmod(0)
    try:
        until_health(port, 503, f"cannot list {bot.articles}: Permission denied")
    finally:
        bot.articles.chmod(0o755)
    until_health(port, 200, "ok")
    assert bot.stop() == 0
    assert [method for method, _ in standin.calls if method == "deleteMessage"] == []
    assert "removed article" not in bot.output()
    assert bot.output().count(f"ERROR   bot.articles.watcher: cannot list {bot.articles}") == 1
