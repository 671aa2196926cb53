"""Static sites' posts (Jekyll, Hugo) as articles: links from the site's settings, the
dialects' field names, folders kept as sites keep them; on real posts (tests/data/sites)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from bot.articles.ingest import Ingestor
from bot.articles.parsing import parse_article
from bot.articles.permalinks import Place, Site
from bot.cli.inspection import check_command, preview_command
from bot.foundation.config import Config, load_config
from bot.foundation.errors import ArticleError, ConfigError
from tests.conftest import Running, eventually, start_bot, stop_bot
from tests.standin import StandIn

SITES = Path(__file__).parent / "data" / "sites"
JEKYLL = Site("https://jekyllrb.com", "/news/:year/:month/:day/:title/")
HUGO = Site("https://demo.example.org", "/:section/:year/:month/:slug/")


def post(path: str, site: Site = JEKYLL, body: str = "", **fields: Any) -> Any:
    """A post at `path` under the watched folder, parsed with `site`'s settings."""
    text = "---\n" + yaml.safe_dump({"title": "A post", **fields}) + "---\n" + body
    return parse_article(text, place=Place(PurePosixPath(path), site))


def test_link_comes_from_the_pattern_with_the_file_names_date_and_slug() -> None:
    """Jekyll's rule: the file name's date and the rest of its name fill the pattern."""
    assert post("2024-06-23-big-news.md").url == "https://jekyllrb.com/news/2024/06/23/big-news/"


def test_date_and_slug_in_the_front_matter_win_over_the_file_name() -> None:
    """`date` (as written, in its own offset) and `slug` override the file name."""
    article = post("2024-06-23-big-news.md", date="2024-06-24 01:30:00 +0200", slug="news")
    assert article.url == "https://jekyllrb.com/news/2024/06/24/news/"
    assert article.published_at == datetime(2024, 6, 23, 23, 30, tzinfo=UTC)


def test_web_url_in_the_file_always_wins() -> None:
    assert post("2024-06-23-x.md", webUrl="https://a.example/x").url == "https://a.example/x"


def test_without_web_url_or_site_url_the_file_is_refused_naming_both_settings() -> None:
    with pytest.raises(ArticleError, match="NEWSBOT_SITE_URL and NEWSBOT_PERMALINK"):
        post("2024-06-23-x.md", Site())


def test_a_pattern_with_dates_needs_a_date_somewhere() -> None:
    with pytest.raises(ArticleError, match="no date"):
        post("undated.md")


def test_section_is_the_sub_folder_and_a_bundle_is_named_by_its_folder() -> None:
    """Hugo: `posts/2024/07/x.md` is in section posts; `posts/hello/index.md` is hello."""
    assert post("posts/2024/07/x.md", HUGO, date="2024-07-01").url == (
        "https://demo.example.org/posts/2024/07/x/"
    )
    assert post("posts/hello/index.md", HUGO, date="2024-05-01").url == (
        "https://demo.example.org/posts/2024/05/hello/"
    )


def test_categories_are_folders_in_lower_case_and_an_empty_part_leaves_no_double_slash() -> None:
    site = Site("https://x.example/blog", "/:categories/:title.html")
    assert post("2024-01-02-a.md", site, categories=["Release", "Big News"]).url == (
        "https://x.example/blog/release/big%20news/a.html"
    )
    assert post("2024-01-02-a.md", site).url == "https://x.example/blog/a.html"


def test_the_posts_own_permalink_or_url_is_its_pattern() -> None:
    """Jekyll's `permalink` and Hugo's `url` in a post's front matter name its path."""
    assert post("2024-01-02-a.md", permalink="/custom/:title/").url == (
        "https://jekyllrb.com/custom/a/"
    )
    assert post("x/index.md", HUGO, url="/2024/05/x.html").url == (
        "https://demo.example.org/2024/05/x.html"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("news", "expected a path"),
        ("/:year/:titel/", "expected a path"),
        ("/a b/", "expected a path"),
    ],
)
def test_a_permalink_setting_with_an_unknown_placeholder_stops_the_start(
    value: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=f"NEWSBOT_PERMALINK is invalid: {problem}"):
        load_config({"NEWSBOT_PERMALINK": value})


def test_site_url_setting_must_be_http() -> None:
    with pytest.raises(ConfigError, match="NEWSBOT_SITE_URL is invalid"):
        load_config({"NEWSBOT_SITE_URL": "example.org"})
    assert load_config({"NEWSBOT_SITE_URL": "https://a.example/blog/"}).site_url == (
        "https://a.example/blog"
    )


@pytest.mark.parametrize("fields", [{"draft": True}, {"published": False}])
def test_hugos_draft_and_jekylls_published_false_are_drafts(fields: dict[str, Any]) -> None:
    assert post("2024-01-02-a.md", **fields).published is False
    assert post("2024-01-02-a.md", draft=False).published is True


def test_tags_categories_and_a_category_string_become_topics() -> None:
    """Lists or strings (Jekyll splits `tags` and `categories` at spaces; `category` is one)."""
    article = post("2024-01-02-a.md", tags="ruby web", categories=["Release"], category="Big News")
    assert article.topics == ("ruby", "web", "Release", "Big News")


def test_category_of_our_own_files_stays_metadata_beside_topics() -> None:
    article = post("a.md", webUrl="https://a.example/a", topics=["AI"], category="news")
    assert article.topics == ("AI",) and article.category == "news"


def test_summary_names_in_order_excerpt_summary_description() -> None:
    assert post("2024-01-02-a.md", description="d", summary="s").excerpt == "s"
    assert post("2024-01-02-a.md", description="d").excerpt == "d"
    assert post("2024-01-02-a.md", description="d", excerpt="e").excerpt == "e"


@pytest.mark.parametrize(
    ("fields", "url"),
    [
        ({"image": "/img/a.png"}, "https://jekyllrb.com/img/a.png"),
        ({"image": {"path": "img/a.png", "width": 800}}, "https://jekyllrb.com/img/a.png"),
        ({"images": ["https://cdn.example/a.png"]}, "https://cdn.example/a.png"),
        ({"cover": {"image": "/a.png", "alt": "A"}}, "https://jekyllrb.com/a.png"),
        ({"images": [{"url": "/a.png"}], "image": "/b.png"}, "https://jekyllrb.com/a.png"),
    ],
)
def test_image_names_and_relative_paths_under_the_site(fields: dict[str, Any], url: str) -> None:
    assert post("2024-01-02-a.md", **fields).images[0].url == url


def test_a_bundles_image_is_found_beside_its_page() -> None:
    article = post("posts/x/index.md", HUGO, date="2024-05-01", images=["cover.jpg"])
    assert article.images[0].url == "https://demo.example.org/posts/2024/05/x/cover.jpg"


def test_author_is_shown_where_the_provider_would_be() -> None:
    assert post("2024-01-02-a.md", author="parkr").provider.name == "parkr"
    assert post("2024-01-02-a.md", author={"name": "Ann"}).provider.name == "Ann"
    provider = {"name": "Mail"}
    assert post("2024-01-02-a.md", author="x", provider=provider).provider.name == "Mail"


def test_toml_front_matter_is_read_as_hugo_writes_it() -> None:
    text = '+++\ntitle = "T"\ndate = 2024-06-01T09:00:00+08:00\ndraft = true\n+++\nBody.\n'
    article = parse_article(text, place=Place(PurePosixPath("posts/a.md"), HUGO))
    assert (article.title, article.published, article.excerpt) == ("T", False, "Body.")
    with pytest.raises(ArticleError, match="invalid TOML"):
        parse_article("+++\ntitle = \n+++\n")


def site_config(tmp_path: Path, site: Site, **changes: Any) -> Config:
    settings: dict[str, Any] = {"token": None, "db_path": tmp_path / "newsbot.db", **changes}
    return Config(**settings, site_url=site.url, permalink=site.permalink, recursive=True)


def test_real_jekyll_posts_pass_check_with_their_links_and_the_draft_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """jekyllrb.com's news posts: `date` (not the file name's) dates the link; `_drafts/` skipped."""
    assert check_command(site_config(tmp_path, JEKYLL), [SITES / "jekyll"]) == 0
    out = capsys.readouterr().out
    assert "/news/2014/11/05/jekylls-midlife-crisis-jekyll-turns-2-5-0/" in out
    assert "/news/2013/05/08/jekyll-1-0-1-released/" in out
    assert "_drafts" not in out and out.count(": ok https://jekyllrb.com/news/") == 3


def test_real_hugo_posts_pass_check_without_section_pages_images_or_drafts_pushed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check_command(site_config(tmp_path, HUGO), [SITES / "hugo" / "content"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [
        "ok https://demo.example.org/2024/05/hello-markdown.html",
        "draft https://demo.example.org/posts/2024/06/a-draft/",
        "ok https://demo.example.org/posts/2024/07/with-embed/",
    ]


def test_preview_of_a_real_post_shows_its_link_and_a_readable_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Template tags in links and references defined by a Liquid loop are left as text."""
    posts = SITES / "jekyll" / "_posts"
    config = site_config(tmp_path, JEKYLL)
    assert (
        preview_command(
            config, posts / "2014-11-06-jekylls-midlife-crisis-jekyll-turns-2-5-0.markdown"
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "[link: https://jekyllrb.com/news/2014/11/05/jekylls-midlife-crisis" in out
    assert '<a href="https://jekyllrb.com/docs/permalinks/">Permalinks docs page</a>' in out
    assert "• The <code>jsonify</code> filter now deep-converts arrays to liquid." in out
    assert preview_command(config, posts / "2013-05-08-jekyll-1-0-1-released.markdown") == 0
    out = capsys.readouterr().out
    assert "class name prefix to code blocks (#1037)" in out
    assert "{" not in out and "[#" not in out and "](" not in out


async def copy_site(source: Path, into: Path) -> None:
    """A site's files dropped into the watched folder, each by a rename as a sync does."""
    for file in sorted(source.rglob("*")):
        if file.is_file():
            target = into / file.relative_to(source)
            temp = target.with_name("." + target.name + ".tmp")
            shutil.copyfile(file, temp)
            temp.rename(target)


@pytest.mark.parametrize(
    ("folder", "site", "links"),
    [
        (
            SITES / "jekyll",
            JEKYLL,
            {
                "https://jekyllrb.com/news/2013/05/08/jekyll-1-0-1-released/",
                "https://jekyllrb.com/news/2014/07/05/mixed-case-category/",
                "https://jekyllrb.com/news/2014/11/05/jekylls-midlife-crisis-jekyll-turns-2-5-0/",
            },
        ),
        (
            SITES / "hugo" / "content",
            HUGO,
            {
                "https://demo.example.org/2024/05/hello-markdown.html",
                "https://demo.example.org/posts/2024/07/with-embed/",
            },
        ),
    ],
)
async def test_a_real_sites_posts_are_pushed_once_each(
    config: Config, standin: StandIn, articles: Path, folder: Path, site: Site, links: set[str]
) -> None:
    """Dropped into the watched folder: each post pushed once, valid HTML, drafts never."""
    for sub in sorted(p for p in folder.rglob("*") if p.is_dir()):
        (articles / sub.relative_to(folder)).mkdir(parents=True)
    config = site_config(config.db_path.parent, site, **_running(config))
    bot, task, stop = await start_bot(config, standin)
    running = Running(bot, standin, articles)
    try:
        assert "every topic" in await running.command(1001, "/subscribe all")
        await copy_site(folder, articles)

        def pushed() -> list[str]:
            return [
                m.html or "" for m in standin.messages_to(1001) if "<b><a href" in (m.html or "")
            ]

        await standin.until(lambda: len(pushed()) >= len(links))
        sent = "SELECT count(*) FROM deliveries WHERE state != 'sent'"
        await eventually(lambda: running.store.db.execute(sent).fetchone()[0] == 0)
        assert {html.split('"')[1] for html in pushed()} == links
        assert len(pushed()) == len(links)
    finally:
        await stop_bot(bot, task, stop)


def _running(config: Config) -> dict[str, Any]:
    names = ("token", "base_url", "articles_dir", "admin_ids", "settle_seconds")
    more = ("scan_interval", "stop_timeout", "rate_private", "rate_group_per_minute")
    return {name: getattr(config, name) for name in (*names, *more) if name != "db_path"}


def test_a_real_chirpy_post_has_its_image_path_categories_and_a_clean_summary() -> None:
    """Chirpy's `image.path` under the site, `categories` as topics, kramdown's `{: }` gone."""
    file = SITES / "chirpy" / "_posts" / "2022-11-11-golang-getting-started.md"
    site = Site("https://chirpy.example", "/posts/:title/")
    article = parse_article(file.read_text(), place=Place(PurePosixPath(file.name), site))
    assert article.url == "https://chirpy.example/posts/golang-getting-started/"
    assert article.images[0].url == "https://chirpy.example/posts/golang-tutorial.jpg"
    assert (article.images[0].width, article.images[0].height) == (1000, 400)
    assert article.topics == ("Golang", "Programing", "Tutorial")
    assert article.excerpt is not None and article.excerpt.startswith("This post is under")
    assert "{:" not in article.excerpt and "Table of Contents" not in article.excerpt


@pytest.mark.parametrize(
    ("relative", "wanted"),
    [
        ("_posts/2024-01-02-a.markdown", True),
        ("posts/x/index.md", True),
        ("_drafts/a.md", False),
        ("content/_index.md", False),
        ("posts/x/cover.JPG", False),
    ],
)
def test_the_watcher_reads_posts_but_not_drafts_section_pages_or_images(
    tmp_path: Path, relative: str, wanted: bool
) -> None:
    ingestor = Ingestor(None, tmp_path, max_bytes=1000, recursive=True)  # type: ignore[arg-type]
    assert ingestor.wants(tmp_path / relative) is wanted
