"""The page helpers that stand between a user's text and the browser: Markdown escaping, download names."""

import re

import pytest

from shown_text import shown
from ui.common import WORD_JOINER, download_name, text

HOSTILE = [
    "![x](http://198.51.100.7/x.png)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[link](http://x)",
    "`code` and ```fence```",
    "$$\\int x$$ and $y$",
    ":red[alarm] :material/warning: :smile:",
    "**bold** __bold__ *it* _it_ ~~gone~~",
    "bare http://198.51.100.7/a www.example.org me@example.org",
    "# heading\n> quote\n- item\n1. item\n---",
    "a | table | row\n|---|---|",
    "&lt;img&gt; &amp; \\ backslash",
]
PUNCTUATION = r"[!-/:-@\[-`{-~]"


@pytest.mark.parametrize("value", HOSTILE)
def test_text_escapes_every_markdown_and_html_construct(value):
    escaped = text(value)
    bare = escaped.replace(WORD_JOINER, "")
    # Every ASCII punctuation character is escaped, so no Markdown, HTML, maths or directive remains...
    assert re.fullmatch(rf"(?:\\{PUNCTUATION}|[^\\!-/:-@\[-`{{-~])*", bare), escaped
    # ...no web or e-mail address is left in the parsed text (joiners kept) for GitHub-flavoured autolinks...
    parsed = re.sub(r"\\(.)", r"\1", escaped)
    assert not re.search(r"(?i)https?://|www\.|\w@\w|mailto:", parsed), parsed
    # ...and the reader sees exactly the value, on one line.
    assert shown(escaped) == " ".join(value.splitlines())


def test_text_takes_any_object_and_leaves_plain_words_alone():
    assert text("Grays Riverside") == "Grays Riverside"
    assert text(ValueError("x.csv, line 3")) == "x\\.csv\\, line 3"


def test_download_names_hold_only_safe_characters():
    name = download_name("![x](http://198.51.100.7/x.png) <img>", "2023/24", "../../etc")
    assert name == "x-http-198-51-100-7-x-png-img_2023-24_etc.csv"
    assert download_name("***", "2023/24") == "2023-24.csv"
