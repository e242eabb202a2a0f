"""The printable document: marking on every page, text and tables as given, images embedded."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from hotspots.pdf_document import PdfDocument


def _png() -> bytes:
    figure, axes = plt.subplots(figsize=(3, 2))
    axes.fill([0, 1, 1, 0], [0, 0, 1, 1], color="#d62728")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return buffer.getvalue()


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_every_page_carries_the_marking_and_the_table_continues(tmp_path: Path) -> None:
    document = PdfDocument("Tasking briefing", marking="OFFICIAL-SENSITIVE", subtitle="Window: 2023-04 to 2024-03")
    document.heading("Areas")
    document.table(["Rank", "Area", "Harm"], [[rank, f"Łódź Road <b>{rank}</b>", rank * 1.5] for rank in range(1, 121)])
    document.paragraph("A note with *no* markdown and <i>no</i> HTML.")
    pdf = document.to_bytes()
    text = _text(pdf, tmp_path)
    pages = text.split("\f")[:-1]
    assert len(pages) >= 2
    assert all(page.count("OFFICIAL-SENSITIVE") == 2 for page in pages)
    assert "Łódź Road <b>120</b>" in text and "<i>no</i> HTML" in text
    assert text.count("Rank") == len(pages)  # the heading row repeats on each page of the table


def test_an_image_is_drawn_on_the_page(tmp_path: Path) -> None:
    document = PdfDocument("Map", marking="OFFICIAL")
    document.image(_png(), width_mm=100, caption="Areas numbered by rank")
    (tmp_path / "doc.pdf").write_bytes(document.to_bytes())
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-singlefile", str(tmp_path / "doc.pdf"), str(tmp_path / "page")],
                   check=True)
    from PIL import Image

    pixels = np.asarray(Image.open(tmp_path / "page.png").convert("RGB")).astype(int)
    red = (pixels[..., 0] > 180) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)
    assert red.sum() > 200


def _page_png(pdf: bytes, tmp_path: Path, name: str) -> bytes:
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-singlefile", str(tmp_path / f"{name}.pdf"),
                    str(tmp_path / name)], check=True)
    return (tmp_path / f"{name}.png").read_bytes()


def _document(text: str) -> bytes:
    document = PdfDocument("Fonts", marking="OFFICIAL")
    document.paragraph(text)
    document.table(["Ward", "Note"], [["Łódź Road", text]])
    return document.to_bytes()


def test_documents_made_one_after_another_print_the_same(tmp_path: Path) -> None:
    # the parsed fonts are shared between documents; each document's output subsets its own copy
    first = _page_png(_document("Grays Riverside ŵ 0123456789"), tmp_path, "first")
    _document("xyz only")  # another document, other glyphs, output in between
    again = _page_png(_document("Grays Riverside ŵ 0123456789"), tmp_path, "again")
    assert first == again
    assert "Grays Riverside ŵ 0123456789" in _text(_document("Grays Riverside ŵ 0123456789"), tmp_path)


def test_a_narrow_column_widens_to_its_longest_word_and_a_crowded_table_is_set_smaller(tmp_path: Path) -> None:
    document = PdfDocument("Widths", marking="OFFICIAL")
    document.table(["Rank", "Note"], [[1, "Counter-terrorism non-domestic"]], col_widths=(0.2, 20))  # "Ra / nk" once
    many = [f"Incomprehensibilities{i}" for i in range(5)]  # five of these fit side by side at 7 pt, not at 8
    document.table(many, [many])
    words = set(_text(document.to_bytes(), tmp_path).split())
    assert {"Rank", "Counter-terrorism", "non-domestic", *many} <= words
