"""What a reader sees of Markdown that ``ui.common.text`` or ``label_text`` escaped, and whether any is
left to act: AppTest gives the Markdown source."""

import re

from ui.common import WORD_JOINER


def shown(markdown: str) -> str:
    """``markdown`` without backslash escapes and word joiners, as the page displays it."""
    return re.sub(r"\\(.)", r"\1", markdown.replace(WORD_JOINER, ""))


def markup_left(source: str) -> bool:
    """Whether ``source`` still holds Markdown that acts: an unescaped ``[ < ` * _ ~ $`` (links,
    images, HTML, code, emphasis, maths, directives), or a ``:`` or ``@`` followed by text, or
    ``www.``, with no word joiner to stop a shortcode or a bare address (``label_text``'s rules)."""
    return re.search(rf"(?<!\\)[\[<`*_~$]|[:@](?=[^\s{WORD_JOINER}])|(?i:www)\.", source) is not None
