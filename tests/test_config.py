"""Settings: defaults, .env and environment, and one clear line for each bad value."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot.foundation.config import SETTINGS, Config, known_settings, load_config, unknown_settings
from bot.foundation.errors import ConfigError
from tests.standin import TOKEN


def test_defaults_match_the_product_contract() -> None:
    config = load_config({})
    assert config.token is None
    assert config.base_url == "https://api.telegram.org/bot"
    assert config.articles_dir == Path("articles") and config.db_path == Path("newsbot.db")
    assert config.admin_ids == frozenset() and config.log_level == "INFO"


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        f'TELEGRAM_BOT_TOKEN="{TOKEN}"\nexport NEWSBOT_DB=/data/from-file.db\n'
        "NEWSBOT_ADMIN_IDS=1, 2\n# a comment\nNEWSBOT_LOG_LEVEL=debug\n"
    )
    config = load_config({"NEWSBOT_DB": "/data/from-env.db"}, env)
    assert config.token == TOKEN
    assert config.db_path == Path("/data/from-env.db")
    assert config.admin_ids == frozenset({1, 2})
    assert config.log_level == "DEBUG"


def test_missing_token_is_an_error_only_when_required() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        load_config({}, require_token=True)


def test_malformed_token_is_named_but_never_echoed() -> None:
    secret = "123:short-and-wrong"
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is malformed") as caught:
        load_config({"TELEGRAM_BOT_TOKEN": secret})
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BASE_URL", "api.telegram.org"),
        ("NEWSBOT_ADMIN_IDS", "alice,bob"),
        ("NEWSBOT_LOG_LEVEL", "LOUD"),
        ("NEWSBOT_LOG_FORMAT", "xml"),
        ("NEWSBOT_WATCHER", "magic"),
        ("NEWSBOT_RECURSIVE", "perhaps"),
        ("NEWSBOT_SCAN_INTERVAL", "-5"),
        ("NEWSBOT_SETTLE_SECONDS", "soon"),
        ("NEWSBOT_MAX_FILE_BYTES", "0"),
        ("NEWSBOT_RATE_GLOBAL", "fast"),
        ("NEWSBOT_RATE_PRIVATE", "inf"),
        ("NEWSBOT_RATE_GROUP", "nan"),
        ("NEWSBOT_SEND_WINDOW", "1.5"),
        ("NEWSBOT_STOP_TIMEOUT", "0"),
        ("NEWSBOT_METRICS_PORT", "70000"),
    ],
)
def test_malformed_setting_names_the_variable_and_why(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name} is invalid: expected .*, got '{value}'$"):
        load_config({name: value})


def test_config_repr_hides_the_token() -> None:
    assert TOKEN not in repr(load_config({"TELEGRAM_BOT_TOKEN": TOKEN}))


def test_global_rate_above_the_free_limit_is_refused_with_the_reason() -> None:
    """Telegram allows about 30 messages/s without paid broadcasts: 1000 would only flood."""
    with pytest.raises(ConfigError) as caught:
        load_config({"NEWSBOT_RATE_GLOBAL": "1000"})
    assert str(caught.value) == (
        "NEWSBOT_RATE_GLOBAL is too high: Telegram allows about 30 messages/s, more only with "
        "paid broadcasts (NEWSBOT_PAID_BROADCAST=true, up to 1000), got 1000"
    )
    assert load_config({"NEWSBOT_RATE_GLOBAL": "30"}).rate_global == 30


def test_paid_broadcasts_allow_a_global_rate_up_to_1000() -> None:
    """NEWSBOT_PAID_BROADCAST=true lifts the limit to 1000 messages/s and no further."""
    config = load_config({"NEWSBOT_PAID_BROADCAST": "true", "NEWSBOT_RATE_GLOBAL": "1000"})
    assert config.paid_broadcast and config.rate_global == 1000
    assert not load_config({}).paid_broadcast
    with pytest.raises(ConfigError, match="paid broadcasts allow up to 1000 messages/s, got 1001"):
        load_config({"NEWSBOT_PAID_BROADCAST": "true", "NEWSBOT_RATE_GLOBAL": "1001"})
    with pytest.raises(ConfigError, match="NEWSBOT_PAID_BROADCAST is invalid"):
        load_config({"NEWSBOT_PAID_BROADCAST": "maybe"})


def test_unknown_setting_names_are_warned_about_with_the_closest_known_name(
    tmp_path: Path,
) -> None:
    """A misspelt setting is silently ignored otherwise: say so, and what was probably meant."""
    env = tmp_path / ".env"
    env.write_text("NEWSBOT_SCAN_INTERVALL=60\nNEWSBOT_DB=x.db\nOTHER_TOOL=1\n")
    warnings = unknown_settings({"NEWSBOT_RATE_GLOBL": "5", "NEWSBOT_ZZZ": "1", "PATH": "/"}, env)
    assert warnings == [
        "NEWSBOT_RATE_GLOBL is not a newsbot setting and is ignored "
        "(did you mean NEWSBOT_RATE_GLOBAL?)",
        "NEWSBOT_SCAN_INTERVALL is not a newsbot setting and is ignored "
        "(did you mean NEWSBOT_SCAN_INTERVAL?)",
        "NEWSBOT_ZZZ is not a newsbot setting and is ignored",
    ]
    assert unknown_settings({"NEWSBOT_DB": "a", "NEWSBOT_PAID_BROADCAST": "true"}) == []


def test_a_misspelt_telegram_name_gets_the_closest_known_name_too(tmp_path: Path) -> None:
    """TELEGRAM_TOKEN is a typo of ours; TELEGRAM_CHAT_ID is likely another program's."""
    env = tmp_path / ".env"
    env.write_text("TELEGRAM_BASE_ULR=http://127.0.0.1:8081/bot\n")
    warnings = unknown_settings({"TELEGRAM_TOKEN": "x", "TELEGRAM_CHAT_ID": "5"}, env)
    assert warnings == [
        "TELEGRAM_BASE_ULR is not a newsbot setting and is ignored "
        "(did you mean TELEGRAM_BASE_URL?)",
        "TELEGRAM_TOKEN is not a newsbot setting and is ignored (did you mean TELEGRAM_BOT_TOKEN?)",
    ]


def test_every_config_field_is_read_from_exactly_one_setting() -> None:
    """A field added to Config without a row in the table (or with two) cannot pass."""
    assert sorted(setting.field for setting in SETTINGS) == sorted(
        field.name for field in dataclasses.fields(Config)
    )
    assert len(known_settings()) == len(SETTINGS)


def test_known_settings_are_every_name_the_documents_list() -> None:
    """The warning's list of names is the one the code reads, not a copy that can drift."""
    assert known_settings() >= {"NEWSBOT_DB", "NEWSBOT_PAID_BROADCAST", "TELEGRAM_BOT_TOKEN"}
    source = (Path(__file__).parent.parent / "bot" / "foundation" / "config.py").read_text()
    assert known_settings() == set(re.findall(r'"((?:NEWSBOT|TELEGRAM)_[A-Z_]+)"', source))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"NEWSBOT_LOG_LEVEL=INFO\nNEWSBOT_DB: my database.db\n", "line 2 is not NAME=value"),
        (b'TELEGRAM_BOT_TOKEN="123:unterminated\nNEWSBOT_DB=a.db\n', "line 1 is not NAME=value"),
        (b"NEWSBOT_DB=caf\xe9.db\n", "is not UTF-8 text (byte 14)"),
    ],
)
def test_a_settings_file_that_cannot_be_read_whole_is_one_line_naming_it(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    """A broken .env line is refused with its number (and never echoed: it may hold the
    token), not skipped with a warning; a file not in UTF-8 is not a traceback."""
    env = tmp_path / ".env"
    env.write_bytes(content)
    with pytest.raises(ConfigError) as refused:
        load_config({}, env)
    assert str(refused.value) == f"{env} {reason} (fix or remove it)"


def test_a_settings_file_may_start_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Windows editors write one; the first name is still read as written."""
    env = tmp_path / ".env"
    env.write_bytes("\ufeffNEWSBOT_LOG_LEVEL=debug\r\n".encode())
    assert load_config({}, env).log_level == "DEBUG"
