"""Printable PDF documents (briefing packs, decision records), built offline with fpdf2.

A :class:`PdfDocument` is a portrait A4 document whose every page carries its protective
marking at the top and the bottom, the document's title and a page number. Callers add
headings, paragraphs, tables and images (PNG bytes, e.g. a matplotlib figure) and take the
bytes. Text is set in DejaVu Sans, the font matplotlib ships, so ward names and users' text in
any script print as they are, without a system font and without a network. Every string is
printed as text: nothing a user typed is read as markup.
"""

from __future__ import annotations

import copy
import functools
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import TextEmphasis
from fpdf.font_type_3 import get_color_font_object
from fpdf.fonts import FontFace, SubsetMap, TTFFont

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_FONT = "DejaVu"
_BODY_SIZE = 10
_TABLE_SIZE = 8
_SMALLEST_TABLE_SIZE = 6  # a table whose longest words do not fit at 8 pt is set smaller, down to this
_WIDTH_SLACK_MM = 0.3  # fpdf2 sums widths in floating point: a word exactly as wide as its column may not fit
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
               "BI": "DejaVuSans-BoldOblique.ttf"}


class PdfDocument:
    """One printable document: ``marking`` (e.g. "OFFICIAL-SENSITIVE") on every page's head and foot."""

    def __init__(self, title: str, *, marking: str, subtitle: str = "") -> None:
        self.title = title
        self.marking = marking
        self._pdf = _MarkedPdf(title=title, marking=marking)
        self._pdf.add_page()
        self._pdf.set_font(_FONT, "B", 16)
        self._pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        if subtitle:
            self._pdf.set_font(_FONT, "", _BODY_SIZE)
            self._pdf.multi_cell(0, 5, subtitle, new_x="LMARGIN", new_y="NEXT")
        self._pdf.ln(3)

    def heading(self, text: str) -> None:
        self._pdf.ln(2)
        self._pdf.set_font(_FONT, "B", 12)
        self._pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        self._pdf.ln(1)

    def paragraph(self, text: str) -> None:
        self._pdf.set_font(_FONT, "", _BODY_SIZE)
        self._pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        self._pdf.ln(1)

    def key_values(self, pairs: Iterable[tuple[str, str]]) -> None:
        """A two-column list of labels and values ("Data window", "Apr 2023 to Mar 2024")."""
        self.table(["", ""], [[label, value] for label, value in pairs], header=False, col_widths=(1, 3))

    def table(self, columns: Sequence[str], rows: Iterable[Sequence[object]], *, header: bool = True,
              col_widths: Sequence[float] | None = None) -> None:
        """A table; cells are printed with ``str`` (a None prints as blank). Long tables continue
        on the next page with their heading row repeated. ``col_widths`` are proportions (equal if
        None) that give way so that no word is broken inside (``_unbroken_widths``)."""
        heading = [str(column) for column in columns] if header else []
        cells = [["" if value is None else str(value) for value in values] for values in rows]
        size, widths = self._unbroken_widths(heading, cells, col_widths or [1.0] * len(columns))
        self._pdf.set_font(_FONT, "", size)
        heading_style = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
        with self._pdf.table(col_widths=widths, first_row_as_headings=header, headings_style=heading_style,
                             line_height=size * 0.5625, text_align="LEFT", repeat_headings=1) as table:
            for values in [heading] if header else []:
                row = table.row()
                for value in values:
                    row.cell(value)
            for values in cells:
                row = table.row()
                for value in values:
                    row.cell(value)
        self._pdf.ln(2)

    def _unbroken_widths(self, heading: list[str], cells: list[list[str]],
                         proportions: Sequence[float]) -> tuple[float, tuple[float, ...]]:
        """The font size and column widths (mm, across the page) at which no column is narrower
        than its longest word: fpdf2 breaks a word that does not fit inside ("Ra / nk"). Columns
        take ``proportions`` of the width; one that would be too narrow gets its longest word's
        width and the rest share what is left, in proportion. Where the longest words do not fit
        side by side at the table size, a smaller size (down to ``_SMALLEST_TABLE_SIZE``) is tried;
        past that, the columns share the page in proportion to their longest words (and a word
        longer than a whole column breaks, as it must)."""
        for size in range(_TABLE_SIZE, _SMALLEST_TABLE_SIZE - 1, -1):
            need = self._longest_words(heading, cells, len(proportions), size)
            if sum(need) <= self._pdf.epw:
                return size, _widths_at_least(need, proportions, self._pdf.epw)
        return _SMALLEST_TABLE_SIZE, tuple(width * self._pdf.epw / sum(need) for width in need)

    def _longest_words(self, heading: list[str], cells: list[list[str]], count: int, size: float) -> list[float]:
        """Per column, the width (mm) of its widest word at ``size`` (bold in the heading row), with
        the cell's margins and border."""
        widest = [0.0] * count
        for style, rows in (("B", [heading]), ("", cells)):
            self._pdf.set_font(_FONT, style, size)
            for values in rows:
                for index, value in enumerate(values):
                    words = value.split()
                    widest[index] = max([widest[index], *(self._pdf.get_string_width(word) for word in words)])
        slack = 2 * self._pdf.c_margin + self._pdf.line_width + _WIDTH_SLACK_MM
        return [width + slack for width in widest]

    def image(self, png: bytes, *, width_mm: float | None = None, caption: str = "") -> None:
        """A PNG image across the page width (or ``width_mm``), with an optional caption below."""
        self._pdf.image(io.BytesIO(png), w=width_mm or self._pdf.epw)
        if caption:
            self._pdf.set_font(_FONT, "I", _TABLE_SIZE)
            self._pdf.multi_cell(0, 4, caption, new_x="LMARGIN", new_y="NEXT")
        self._pdf.ln(2)

    def page_break(self) -> None:
        self._pdf.add_page()

    def to_bytes(self) -> bytes:
        return bytes(self._pdf.output())


def _widths_at_least(need: list[float], proportions: Sequence[float], total: float) -> tuple[float, ...]:
    """Widths summing to ``total`` in ``proportions``, none below its ``need`` (which fit in
    ``total``): a column given less than it needs is held at its need, the others re-shared."""
    held = [False] * len(need)
    while True:
        free = total - sum(n for n, h in zip(need, held) if h)
        weight = sum(p for p, h in zip(proportions, held) if not h)
        widths = [n if h else free * p / weight for n, p, h in zip(need, proportions, held)]
        short = [not h and w < n for w, n, h in zip(widths, need, held)]
        if not any(short):
            return tuple(widths)
        held = [h or s for h, s in zip(held, short)]


class _MarkedPdf(FPDF):
    def __init__(self, *, title: str, marking: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._title = title
        self._marking = marking
        self.set_title(title)
        self.set_creator("ward-hotspots")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 18, 15)

    def set_font(self, family: str | None = None, style: str | TextEmphasis = "", size: float = 0) -> None:
        """``FPDF.set_font``, adding a DejaVu face when the document first sets it: ``output()``
        subsets and embeds every face added, used or not, and that takes most of its time."""
        letters = style.style if isinstance(style, TextEmphasis) else style
        face = "".join(sorted(set(letters.upper()) & set("BI")))
        if (family or self.font_family).lower() == _FONT.lower() and f"{_FONT.lower()}{face}" not in self.fonts:
            self._add_parsed_font(face)
        super().set_font(family, style, size)

    def _add_parsed_font(self, style: str) -> None:
        """``add_font(_FONT, style, ...)`` from the font parsed once per process (``_parsed_font``).

        fpdf2 2.8.9's ``TTFFont`` is not shareable between documents: it counts the glyphs its
        document used (``subset``, ``missing_glyphs``, ``biggest_size_pt``), and ``output()``
        subsets its fontTools ``ttfont`` in place. So each document gets a copy with those fresh
        and the file reopened lazily (a quarter of a millisecond), sharing only what the parse
        computed and no document changes: the glyph widths, ids and character map, the descriptor."""
        parsed = _parsed_font(style)
        font = copy.copy(parsed)
        font.i = len(self.fonts) + 1
        font.ttfont = ttLib.TTFont(parsed.ttffile, recalcTimestamp=False, lazy=True)
        font.cw, font.glyph_ids = copy.copy(parsed.cw), dict(parsed.glyph_ids)  # cw, a defaultdict, grows on reads
        font.subset, font.missing_glyphs, font.biggest_size_pt = SubsetMap(font), [], 0
        font._hbfont = None  # HarfBuzz's face of the file, made when text shaping first needs it
        font.color_font = get_color_font_object(self, font, font.palette_index) if self.render_color_fonts else None
        self.fonts[font.fontkey] = font

    def header(self) -> None:
        self.set_y(7)
        self.set_font(_FONT, "B", 9)
        self.cell(0, 5, self._marking, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_y(18)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(_FONT, "", 7)
        self.cell(0, 4, f"{self._title} · page {self.page_no()}/{{nb}}", align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(_FONT, "B", 9)
        self.cell(0, 5, self._marking, align="C")


@functools.cache
def _parsed_font(style: str) -> TTFFont:
    """The DejaVu Sans face of ``style`` as fpdf2 parses it (under 0.1 s a face), parsed once per
    process in a document that is never output, so its tables stay whole."""
    scratch = FPDF()
    scratch.add_font(_FONT, style, str(_FONT_DIR / _FONT_FILES[style]))
    return scratch.fonts[f"{_FONT.lower()}{style}"]
