"""A post's summary from its Markdown body: the right part of it, as Telegram HTML that
shows no template tag, raw HTML or Markdown, and stays valid however it is cut."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.articles.parsing import parse_article
from bot.articles.summaries import summarize
from bot.delivery.rendering import CAPTION_LIMIT, render_push
from storage.models import Image, Span, article_from_json, article_to_json
from tests.articles import article_text
from tests.telegram_html import utf16_len, visible_text

POST = "https://blog.example/2024/06/23/post/"


def html_of(body: str, **fields: object) -> str:
    """The push of a post whose front matter has no summary, with this body."""
    text = article_text(excerpt=None, webUrl=POST, **fields) + body
    return render_push(parse_article(text), with_image=False).html


def test_summary_is_the_body_up_to_the_more_divider() -> None:
    html = html_of("First *part*.\n\nSecond part.\n<!--more-->\nNot in the summary.\n")
    assert "First <i>part</i>.\n\nSecond part." in html
    assert "Not in the summary" not in html


def test_without_a_divider_whole_blocks_until_seventy_words() -> None:
    first, second = " ".join(["word"] * 60), " ".join(["more"] * 20)
    html = html_of(f"{first}\n\n{second}\n\nThe third paragraph.\n")
    assert first in html and second in html and "third" not in html


def test_lists_links_emphasis_and_code_are_kept_as_telegram_shows_them() -> None:
    body = "Highlights:\n\n* **Faster** [builds](/docs/) with `--incremental`\n* ~~old~~ new\n"
    html = html_of(body)
    assert (
        '• <b>Faster</b> <a href="https://blog.example/docs/">builds</a> with '
        "<code>--incremental</code>\n• <s>old</s> new"
    ) in html


def test_template_tags_never_appear_and_their_links_drop_to_text() -> None:
    body = (
        "See [the issues]({{ site.repository }}/issues) and [post]({% post_url 2010-07-21-x %})."
        " {% include note.html %}Done {{< youtube abc >}}.\n"
    )
    html = html_of(body)
    assert "See the issues and post. Done." in html
    assert "{" not in html and "}" not in html


def test_liquid_highlight_blocks_become_code_and_comments_vanish() -> None:
    body = "Run:\n\n{% highlight ruby %}\nputs 1 < 2\n{% endhighlight %}\n\n{% comment %}x{% endcomment %}"
    assert "<pre>puts 1 &lt; 2</pre>" in html_of(body)


def test_reference_links_resolve_from_anywhere_in_the_body_or_drop_to_their_text() -> None:
    long_tail = "\n\n".join(["Filler paragraph."] * 2000)
    body = f"Read the [History][] and [#1037][].\n\n{long_tail}\n\n[History]: /docs/history/\n"
    html = html_of(body)
    assert 'the <a href="https://blog.example/docs/history/">History</a> and #1037.' in html


def test_raw_html_images_and_unsafe_links_are_never_shown() -> None:
    body = (
        '<div class="note">\n<p>Block</p>\n</div>\n\n'
        "Some <span>inline</span> text ![alt text](a.png) [x](javascript:alert(1)).\n"
        '\n<iframe src="https://v.example"></iframe>\n'
    )
    html = html_of(body)
    assert "Some inline text x." in html
    assert "Block" not in html and "alt text" not in html and "iframe" not in html


def test_kramdown_attribute_lists_are_left_out() -> None:
    assert "{:" not in html_of("> Under construction!\n{: .prompt-info }\n")


def test_a_summary_from_the_front_matter_wins_over_the_body() -> None:
    article = parse_article(article_text(excerpt="Plain *text*") + "Body **text**.\n")
    assert article.excerpt == "Plain *text*" and article.summary == ()


def test_the_summary_is_stored_and_read_back_with_its_markup() -> None:
    article = parse_article(article_text(excerpt=None) + "A [link](https://a.example/) *here*.\n")
    assert article.excerpt == "A link here."
    assert article_from_json(article_to_json(article)).summary == article.summary
    assert article.summary[1] == Span("link", (), "https://a.example/")


def test_an_empty_or_template_only_body_gives_no_summary() -> None:
    assert summarize("{% include x.html %}\n\n<div>y</div>\n", POST) == ()


markdown = st.text(alphabet="ab *_`[]()<>&#!~\n{}%-1.:/", max_size=400)


@settings(max_examples=200, deadline=None)
@given(body=markdown, room=st.integers(min_value=0, max_value=700))
def test_any_body_cut_anywhere_is_valid_telegram_html_within_the_limit(
    body: str, room: int
) -> None:
    """However the Markdown reads and wherever the caption cuts it, Telegram accepts it."""
    article = parse_article(article_text(excerpt=None, title="t" * (room + 1)) + body)
    article = replace(article, images=(Image("https://img.example/a.jpg"),))
    push = render_push(article)
    assert utf16_len(visible_text(push.html)) <= CAPTION_LIMIT  # raises where Telegram would
