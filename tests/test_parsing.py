"""Article files into Article values, and every way a file can be wrong."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.articles.parsing import MAX_TOPICS, parse_article, parse_article_bytes
from bot.delivery.rendering import render_push
from bot.foundation.errors import ArticleError
from storage import open_store
from storage.store import FileState
from tests.articles import SAMPLE, article_text
from tests.conftest import fresh_database
from tests.publishing import PUBLISHING


def test_sample_parses_into_the_right_values() -> None:
    """The shared sample becomes a draft with its title, topics, image, provider, related."""
    article = parse_article_bytes(SAMPLE.read_bytes())
    assert article.title.startswith("Facial recognition software company reveals")
    assert article.url.startswith("https://www.dailymail.co.uk/sciencetech/article-8047615/")
    assert article.published is False
    assert article.published_at == datetime(2020, 2, 26, 17, 54, tzinfo=UTC)
    assert article.topics == ("AI", "Computer Vision")
    assert article.images[0].width == 636 and article.images[0].height == 382
    assert article.provider is not None and article.provider.name == "Mail Online"
    assert [r.provider for r in article.related] == ["NBC News", "Government Technology"]
    assert article.quality == 45 and article.heat == -1
    assert article.category == "news" and article.kind == "article"
    assert '"secured"' in article.raw_json  # carried along, never shown


def test_absent_published_means_published() -> None:
    """A file without `published` is published."""
    assert parse_article(article_text()).published is True


def test_body_after_front_matter_is_ignored() -> None:
    """Markdown after the second `---` does not disturb the fields."""
    article = parse_article(article_text() + "\n# Body\n\n---\nmore: text\n")
    assert article.title == "Robots learn to fold laundry"


def test_topics_are_deduplicated_case_insensitively() -> None:
    """`AI` and `ai` are one topic; the first spelling is kept."""
    assert parse_article(article_text(topics=["AI", "ai", " Robotics "])).topics == (
        "AI",
        "Robotics",
    )


def test_naive_date_is_taken_as_utc() -> None:
    article = parse_article(article_text(publishedDateTime="2026-01-02T03:04:05"))
    assert article.published_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (article_text(title=None), "title is missing"),
        (article_text(title="   "), "title is empty"),
        (article_text(title=42), "title must be a string, got int 42"),
        (article_text(webUrl=None), "webUrl is missing"),
        (article_text(webUrl="news.example.com/x"), "webUrl must be an http(s) URL"),
        (article_text(webUrl="ftp://example.com/x"), "webUrl must be an http(s) URL"),
        (article_text(webUrl=["https://a.example"]), "webUrl must be an http(s) URL"),
        (
            article_text(published="false"),
            "published must be true or false, got the string 'false'",
        ),
        (article_text(published=1), "published must be true or false, got int 1"),
        (article_text(topics="AI"), "topics must be a list, got the string 'AI'"),
        (article_text(topics=["AI", 3]), "topics must be a list of names"),
        (article_text(images="https://img.example.com/a.jpg"), "images must be a list"),
        (article_text(images=[{"width": 3}]), "images.url is missing"),
        (article_text(excerpt=["a"]), "excerpt must be a string"),
        (article_text(quality=101), "quality must be between 0 and 100"),
        (article_text(quality="high"), "quality must be a whole number"),
        (article_text(publishedDateTime="yesterday"), "publishedDateTime must be an ISO 8601"),
        (article_text(provider="Example"), "provider must be a mapping"),
        (article_text(related=[{"title": "x"}]), "related.webUrl is missing"),
        ("title: no front matter\n", "no front matter"),
        ("---\ntitle: x\n", "front matter is not closed"),
        ("---\n- a\n- b\n---\n", "the front matter is not a mapping"),
        ("---\ntitle: [unclosed\n---\n", "invalid YAML"),
    ],
)
def test_malformed_articles_are_refused_with_a_reason(text: str, reason: str) -> None:
    """Each rule of the field table of docs/articles.md gives a human reason."""
    with pytest.raises(ArticleError, match=_literal(reason)):
        parse_article(text)


def _literal(text: str) -> str:
    import re

    return re.escape(text)


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    """A `!!python/object` tag is refused before anything is constructed."""
    marker = tmp_path / "ran"
    text = (
        "---\ntitle: !!python/object/apply:os.system ['touch "
        f"{marker}']\nwebUrl: https://a.example/x\n---\n"
    )
    with pytest.raises(ArticleError, match=r"YAML tag .*python/object/apply:os\.system"):
        parse_article(text)
    assert not marker.exists()


def test_custom_and_binary_tags_are_refused() -> None:
    with pytest.raises(ArticleError, match="YAML tag"):
        parse_article("---\ntitle: !!binary aGVsbG8=\nwebUrl: https://a.example/x\n---\n")
    with pytest.raises(ArticleError, match="YAML tag !custom"):
        parse_article("---\ntitle: !custom x\nwebUrl: https://a.example/x\n---\n")


def test_billion_laughs_is_refused_quickly() -> None:
    """Anchors and aliases are refused, so an alias bomb costs nothing."""
    lines = ["---", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        prev = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines += ["title: boom", "webUrl: https://a.example/x", "---"]
    with pytest.raises(ArticleError, match="anchors and aliases are not allowed"):
        parse_article("\n".join(lines) + "\n")


def test_single_alias_is_refused() -> None:
    text = "---\ntitle: &t Hello\nexcerpt: *t\nwebUrl: https://a.example/x\n---\n"
    with pytest.raises(ArticleError, match="aliases"):
        parse_article(text)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("---\ntitle: caf\xe9\n---\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_bytes_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ArticleError, match=reason):
        parse_article_bytes(data)


def test_byte_order_mark_is_accepted() -> None:
    assert parse_article_bytes(b"\xef\xbb\xbf" + article_text().encode()).title


def test_impossible_timestamp_is_an_article_error() -> None:
    """YAML reads 2020-13-45T00:00:00Z as a timestamp and fails: a reason, not a crash."""
    with pytest.raises(ArticleError, match=r"invalid YAML value: month must be in 1\.\.12"):
        parse_article(
            "---\ntitle: x\nwebUrl: https://a.example/x\npublishedDateTime: 2020-13-45T00:00:00Z\n---\n"
        )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("!!bool maybe", "'maybe' cannot be read as bool"),
        ('!!bool ""', "'' cannot be read as bool"),
        ("!!timestamp soon", "'soon' cannot be read as timestamp"),
        ('!!int ""', "'' cannot be read as int"),
    ],
)
def test_a_plain_tag_on_a_value_it_cannot_read_is_an_article_error(value: str, reason: str) -> None:
    """`!!bool maybe` is a reason, not a KeyError that stops the import or the watcher."""
    with pytest.raises(ArticleError, match=_literal(f"invalid YAML value: {reason}")):
        parse_article(f"---\ntitle: {value}\nwebUrl: https://a.example/x\n---\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=st.text(max_size=400))
def test_any_front_matter_is_an_article_or_a_reason(front: str) -> None:
    """Whatever the producer wrote, parsing ends in an Article or an ArticleError."""
    with contextlib.suppress(ArticleError):
        parse_article("---\n" + front + "\n---\n")


URL = st.sampled_from(["https://a.example/x", "http://b.example/y?q=1#z"])
TEXT = st.text(max_size=20)
NAME = st.text(min_size=1, max_size=12).filter(str.strip)
# a value of the right shape for each field of docs/articles.md's table ...
RIGHT_VALUES: dict[str, st.SearchStrategy[object]] = {
    "title": NAME,
    "webUrl": URL,
    "excerpt": TEXT,
    "published": st.booleans(),
    "publishedDateTime": st.sampled_from(["2020-02-26T17:54:00Z", "2026-11-20T10:00:00+02:00"]),
    "topics": st.lists(NAME, max_size=3),
    "images": st.lists(
        st.fixed_dictionaries(
            {"url": URL}, optional={"width": st.integers(0, 4000), "title": TEXT}
        ),
        max_size=2,
    ),
    "provider": st.fixed_dictionaries({}, optional={"name": TEXT, "domain": TEXT}),
    "related": st.lists(st.fixed_dictionaries({"title": NAME, "webUrl": URL}), max_size=2),
    "quality": st.integers(0, 100),
    "heat": st.integers(0, 10**6),
    "category": TEXT,
}


def _nested(inner: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    keys = st.sampled_from(["url", "title", "webUrl", "name", "width"])
    return st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3)


# ... and any value at all
ANY_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.sampled_from(["https://a.example/x", "2020-02-26T17:54:00Z"]),
    _nested,
    max_leaves=8,
)  # fmt: skip


@st.composite
def front_matter_fields(draw: st.DrawFn) -> dict[str, object]:
    """Fields of the right shape, with about one in six of any value at all: about half
    the examples parse, the others fail in every field."""
    fields: dict[str, object] = {"title": "A title", "webUrl": "https://a.example/x"}
    for name in draw(st.lists(st.sampled_from(sorted(RIGHT_VALUES)), unique=True)):
        wild = draw(st.integers(0, 5)) == 0
        fields[name] = draw(ANY_VALUE if wild else RIGHT_VALUES[name])
    return fields


def test_any_field_values_are_an_article_or_a_reason(migrated_database: Path) -> None:
    """Wrong types anywhere give an ArticleError; what parses, the database stores."""
    outcomes = {"article": 0, "reason": 0}

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fields=front_matter_fields())
    def parse_and_store(fields: dict[str, object]) -> None:
        try:
            article = parse_article("---\n" + yaml.safe_dump(fields) + "---\n")
        except ArticleError:
            outcomes["reason"] += 1
            return
        outcomes["article"] += 1
        with tempfile.TemporaryDirectory() as folder:
            store = open_store(fresh_database(migrated_database, Path(folder) / "db"))
            change = PUBLISHING.store_article(
                store, "a.txt", FileState(1, 1, "h"), article, queue=True
            )
            assert change.article_id is not None
            stored = store.listing.article(change.article_id)  # drafts included
            store.close()
        assert stored is not None and stored.article == article
        render_push(stored.article)

    parse_and_store()
    # both halves ran: a strategy that (almost) never parses tests only the refusals
    assert outcomes["article"] >= 40 and outcomes["reason"] >= 40, outcomes


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ("heat: 99999999999999999999999", "heat is out of range"),
        ("publishedDateTime: 0001-01-01T00:00:00+05:00", "publishedDateTime is out of range"),
        ("2020-01-01: a date as a field name", "every field name must be text"),
    ],
)
def test_values_the_database_cannot_hold_are_refused(extra: str, reason: str) -> None:
    with pytest.raises(ArticleError, match=reason):
        parse_article(f"---\ntitle: x\nwebUrl: https://a.example/x\n{extra}\n---\n")


def test_an_article_keeps_its_first_50_topics_and_notes_the_rest() -> None:
    """A file listing thousands of topics cost every push of it: the first `MAX_TOPICS`
    (duplicates counted once) are kept, and the rest is one note for the caller to log."""
    listed = [f"Topic {index}" for index in range(5000)] + ["topic 0"]
    notes: list[str] = []
    article = parse_article(article_text(topics=listed), notes)
    assert article.topics == tuple(f"Topic {index}" for index in range(MAX_TOPICS))
    assert notes == [f"5000 topics listed, the first {MAX_TOPICS} are kept"]
    few: list[str] = []
    assert parse_article(article_text(topics=listed[:MAX_TOPICS]), few).topics == tuple(
        listed[:MAX_TOPICS]
    )
    assert few == []


def test_an_invalid_yaml_message_points_at_the_line_where_the_problem_starts() -> None:
    """A quote left open on line 2 is found only at the end: the message says line 2 first."""
    text = '---\ntitle: "Robots\nwebUrl: https://news.example.com/a\ntopics: [AI]\n---\n'
    with pytest.raises(ArticleError) as raised:
        parse_article(text)
    assert str(raised.value).startswith(
        "invalid YAML: while scanning a quoted scalar at line 2, column 8: "
    ), raised.value
