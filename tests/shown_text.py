"""What a reader sees of Markdown that ``ui.common.text`` escaped: AppTest gives the Markdown source."""

import re

from ui.common import WORD_JOINER


def shown(markdown: str) -> str:
    """``markdown`` without backslash escapes and word joiners, as the page displays it."""
    return re.sub(r"\\(.)", r"\1", markdown.replace(WORD_JOINER, ""))
