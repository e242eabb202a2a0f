"""Read a delimited text file into a frame of strings, refusing what is not a usable CSV.

Every refusal is an ImportFileError naming the file, the line and the column. Leading lines that
start with ``#`` are comments; a comment containing ``SYNTHETIC`` marks the file as synthetic.
Headers are normalised (``"LSOA code"`` -> ``lsoa_code``) so readers can accept common variants.
Files are parsed by Arrow on every core (the checks before it see a memory map of the file's head);
columns stay in Arrow, in the parser's chunks, until a reader asks for them, as text
(``RawTable.column``) or as codes into distinct values (``codes``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import mmap
import os
import re
import sys
import threading
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from hotspots._errors import ImportFileError
from hotspots.inputs import open_regular_file

_SIGNATURES = (
    (b"PK\x03\x04", "is an Excel workbook or a zip archive with a .csv name, not a CSV file: in Excel use "
                    "File > Save As > 'CSV UTF-8 (Comma delimited)'"),
    (b"\xd0\xcf\x11\xe0", "is an old Excel (.xls) workbook, not a CSV file: in Excel use File > Save As > "
                          "'CSV UTF-8 (Comma delimited)'"),
    (b"%PDF", "is a PDF document, not a CSV file: export the data table itself as CSV"),
    (b"\xff\xfe", "is saved as UTF-16 text: save it as 'CSV UTF-8' instead"),
    (b"\xfe\xff", "is saved as UTF-16 text: save it as 'CSV UTF-8' instead"),
)
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
_HEAD = 1 << 20  # bytes copied into Python for the checks before parsing (header, comments, signatures)
_FORMULA_START = r"^\s*[=+\-@]"
_PLAIN_NUMBER = r"^\s*(-|[+-]?((\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?|(?i:inf|infinity|nan)))\s*$"
#: By first byte, whether a value could be a formula: ``= + - @``, ASCII whitespace, or the start of
#: a non-ASCII character (some are spaces).
_FORMULA_FIRST_BYTES = np.isin(np.arange(256), np.frombuffer(b"=+-@ \t\r\n\x0b\x0c", dtype=np.uint8)) | (np.arange(256) >= 0x80)
_SCAN = 1 << 24  # bytes compared at a time when counting line ends


@dataclass(frozen=True)
class RawTable:
    """A CSV's rows as text under normalised column names, missing cells ``""``, values trimmed.

    ``table`` holds the parsed columns; ``column`` turns one into a pandas Series and ``frame``
    all of them, each at most once; ``codes`` gives a column as positions in its distinct values."""

    name: str
    table: pa.Table
    first_line: int
    headers: dict[str, str]
    synthetic: bool
    row_lines: np.ndarray | None = field(default=None, repr=False, compare=False)
    _series: dict[str, pd.Series] = field(default_factory=dict, repr=False, compare=False)
    _codes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def rows(self) -> int:
        """Number of data rows."""
        return self.table.num_rows

    @property
    def columns(self) -> list[str]:
        """The normalised names of the columns read."""
        return self.table.column_names

    def column(self, column: str) -> pd.Series:
        """One column's values (trimmed in Arrow, then zero-copy into pandas' Arrow-backed strings)."""
        if column not in self._series:
            # Trimming copies; most parser blocks have nothing to trim, and those stay as they are.
            trimmed = pa.chunked_array([pc.utf8_trim_whitespace(chunk) if _may_need_trimming(chunk) else chunk
                                        for chunk in self.table.column(column).chunks], type=pa.string())
            self._series[column] = pd.Series(trimmed, dtype="str", name=column)
        return self._series[column]

    @cached_property
    def frame(self) -> pd.DataFrame:
        """Every column read, as a frame of strings."""
        return pd.DataFrame({column: self.column(column) for column in self.columns})

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Each row's value as a position in ``uniques``, the column's distinct trimmed values.

        For columns with far fewer distinct values than rows (months, codes, map points), so that
        each value is checked, parsed or looked up once."""
        if column not in self._codes:
            self._codes[column] = _distinct_codes(self.table.column(column))
        return self._codes[column]

    def encode(self, columns: Collection[str]) -> None:
        """Work out ``codes`` of several columns at once, on every core (Arrow's hashing releases the GIL)."""
        todo = [column for column in columns if column in self.columns and column not in self._codes]
        with ThreadPoolExecutor() as pool:
            self._codes.update(zip(todo, pool.map(lambda column: _distinct_codes(self.table.column(column)), todo)))

    def line(self, row: int) -> int:
        """Physical line of the file on which data row ``row`` (0-based position in ``frame``) starts."""
        return int(self.lines(np.array([row]))[0])

    def lines(self, rows: np.ndarray) -> np.ndarray:
        """``line`` of each of ``rows``: counted past blank lines and newlines inside quoted values."""
        rows = np.asarray(rows, dtype=np.int64)
        return self.first_line + rows if self.row_lines is None else self.row_lines[rows]

    def original(self, column: str) -> str:
        """The column's header as written in the file."""
        return self.headers.get(column, column)


def normalise_header(text: str) -> str:
    """``" LSOA code "`` -> ``"lsoa_code"``; ``"Population (10-24)"`` -> ``"population_10_24"``."""
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def read_csv_file(path: Path, name: str, keep: Collection[str] | None = None) -> RawTable:
    """``read_csv_bytes`` of a regular file (anything else is refused unopened, see ``inputs``).
    The checks see it memory-mapped (only what they touch is read); Arrow reads the rows from the
    same open file, which costs less than paging in a map."""
    with open_regular_file(path, name) as handle:
        empty = os.fstat(handle.fileno()).st_size == 0  # an empty file cannot be mapped
        data = b"" if empty else mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)

        def rows_from(offset: int) -> pa.NativeFile:
            # The open file, not its path again: the path may since lead elsewhere (even to a FIFO).
            rows = pa.OSFile(f"/dev/fd/{handle.fileno()}") if os.path.exists("/dev/fd") else pa.OSFile(str(path))
            rows.seek(offset)
            return rows

        return _read_csv(data, name, keep, rows_from)  # the map is released with its last reference


def read_csv_bytes(data: bytes | bytearray, name: str, keep: Collection[str] | None = None) -> RawTable:
    """Parse ``data`` (the file's bytes) as comma-separated UTF-8 text with a header row.

    ``keep``: normalised names of the columns the caller reads; other columns are checked for
    shape only, which keeps wide files fast. Default: every column."""
    return _read_csv(data, name, keep, lambda offset: pa.BufferReader(pa.py_buffer(data)[offset:]))


def _read_csv(data: bytes | bytearray | mmap.mmap, name: str, keep: Collection[str] | None,
              rows_from: Callable[[int], pa.NativeFile]) -> RawTable:
    """``read_csv_bytes``, with Arrow reading the rows from ``rows_from(offset of the header)``."""
    head = bytes(data[:_HEAD])  # comments, header and the first rows: checked in Python
    if not head.strip() and len(data) <= len(head):
        raise ImportFileError(name, "the file is empty: export it again with its header and rows")
    for signature, problem in _SIGNATURES:
        if head.startswith(signature):
            raise ImportFileError(name, problem, line=1)
    _refuse_nul(head, name)  # at once for what the header checks read; the rest below
    start = len(b"\xef\xbb\xbf") if head.startswith(b"\xef\xbb\xbf") else 0
    comments, synthetic, offset = _leading_comments(head, start)
    header_end, body = _line_end(head, offset)
    if header_end == len(head) and len(data) > len(head):
        raise ImportFileError(name, f"no line break in the first {_HEAD:,} bytes: this is not a CSV file", line=1)
    header_bytes = head[offset:header_end]
    header_line = comments + 1
    try:
        header_text = header_bytes.decode("utf-8")
    except UnicodeDecodeError:
        _refuse_non_utf8(data, name)
    headers = next(csv.reader([header_text]))
    _check_header(headers, header_text, name, header_line, head[body: body + 4096])
    normalised = [normalise_header(h) for h in headers]
    kept = [i for i, column in enumerate(normalised) if keep is None or column in keep]
    _refuse_nul(data, name)  # all of it now (memchr scans are fast; touching the whole file is the cost)
    # Without a quote no value holds a line break, and Arrow parses such a file on every core at once.
    quoted = data.find(b'"', body) >= 0
    # Arrow reads every column when asked for none: read the first, keep only the row count.
    table, blank_lines = _parse(data, lambda: rows_from(offset), offset, len(headers), kept or [0], name,
                                header_line, newlines_in_values=quoted)
    table = table.select(range(len(kept)))
    # Row n is line n after the header when no value is quoted, no line ends in a carriage return
    # and no line is blank (the parser reports those); otherwise the lines are worked out.
    regular = not quoted and not blank_lines and data.find(b"\r", body) < 0
    if table.num_rows == 0:
        raise ImportFileError(name, "has a header but no data rows", line=header_line + 1)
    table = table.rename_columns([normalised[i] for i in kept])
    raw = RawTable(name, table, header_line + 1, dict(zip(normalised, headers)), synthetic,
                   None if regular else _row_lines(data, body, header_line, table.num_rows))
    _refuse_formulas(raw)
    return raw


def _line_end(data: bytes, offset: int) -> tuple[int, int]:
    """Where the line starting at ``offset`` ends, and where the next starts (``\\n``, ``\\r\\n`` or
    a lone ``\\r``, as old Mac files have: Arrow's parser takes all three)."""
    newline, carriage = data.find(b"\n", offset), data.find(b"\r", offset)
    ends = [position for position in (newline, carriage) if position >= 0]
    if not ends:
        return len(data), len(data)
    end = min(ends)
    return end, end + (2 if data[end: end + 2] == b"\r\n" else 1)


def _line_of(data: bytes | bytearray | mmap.mmap, position: int) -> int:
    """The physical line (from 1) holding byte ``position``."""
    before = bytes(data[:position])
    return before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1


_NUL_PROBLEM = ("contains a NUL byte, which text never holds: this is binary data or a damaged export; export the "
                "table as CSV UTF-8 again")


def _refuse_nul(data: bytes | bytearray | mmap.mmap, name: str) -> None:
    """A NUL byte in ``data`` (one memchr): binary data, or text in UTF-16 without its mark."""
    position = data.find(b"\x00")
    if position >= 0:
        raise ImportFileError(name, _NUL_PROBLEM, line=_line_of(data, position))


def _row_lines(data: bytes | bytearray | mmap.mmap, body: int, header_line: int, rows: int) -> np.ndarray | None:
    """The physical line each data row starts on, or None when that is simply the row's position
    after the header: no blank lines, no newlines inside quoted values, one line ending per row.
    For files ``_read_csv`` did not find regular: their line feeds are counted (in chunks: no
    copy of the file)."""
    view = np.frombuffer(data, dtype=np.uint8)[body:] if len(data) > body else np.zeros(0, np.uint8)
    feeds = sum(int(np.count_nonzero(view[at: at + _SCAN] == 0x0A)) for at in range(0, len(view), _SCAN))
    returns = sum(int(np.count_nonzero(view[at: at + _SCAN] == 0x0D)) for at in range(0, len(view), _SCAN))
    last_ended = len(view) > 0 and view[-1] in (0x0A, 0x0D)
    if returns in (0, feeds) and feeds == rows - (0 if last_ended else 1):
        return None  # every line ends in \n (or every one in \r\n) and is one row
    return _irregular_row_lines(view, header_line, rows)


def _irregular_row_lines(body: np.ndarray, header_line: int, rows: int) -> np.ndarray:
    """``_row_lines`` for a file with blank lines, quoted newlines or other line endings: line ends
    outside quotes end records (quotes counted by parity, as RFC 4180 escapes them in pairs);
    empty records are the blank lines the parser skips."""
    feeds = np.flatnonzero(body == 0x0A)
    returns = np.flatnonzero(body == 0x0D)
    lone_returns = returns[(returns + 1 >= len(body)) | (body[np.minimum(returns + 1, len(body) - 1)] != 0x0A)]
    line_ends = np.sort(np.concatenate([feeds, lone_returns]))  # the last byte of each physical line
    quotes = np.flatnonzero(body == 0x22)
    outside = np.searchsorted(quotes, line_ends) % 2 == 0
    record_ends = line_ends[outside]
    # A record's text runs from after the previous record's end to its own end (less a \r before a \n).
    starts = np.concatenate([[0], record_ends[:-1] + 1]) if len(record_ends) else np.array([0])
    text_ends = record_ends - ((record_ends > 0) & (body[record_ends] == 0x0A) & (body[np.maximum(record_ends - 1, 0)]
                                                                                   == 0x0D))
    filled = text_ends > starts[:len(record_ends)]
    first_lines = np.searchsorted(line_ends, starts[:len(record_ends)][filled])
    tail = record_ends[-1] + 1 if len(record_ends) else 0
    if tail < len(body):  # a last row without a line end
        first_lines = np.append(first_lines, np.searchsorted(line_ends, tail))
    lines = header_line + 1 + first_lines
    if len(lines) != rows:  # quotes the parser reads differently (a stray quote inside a value): count as parsed
        return _row_lines_by_parsing(body, header_line, rows)
    return lines


def _row_lines_by_parsing(body: np.ndarray, header_line: int, rows: int) -> np.ndarray:
    """The slow, sure way, for the rare file the byte counts cannot settle: Python's CSV reader."""
    text = io.StringIO(body.tobytes().decode("utf-8", "replace"), newline="")
    reader = csv.reader(text)
    lines, line = [], header_line + 1
    for record in reader:
        if record:
            lines.append(line)
        line = header_line + 1 + reader.line_num
    return np.array((lines + [line] * rows)[:rows], dtype=np.int64)


def _distinct_codes(values: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    encoded = pc.dictionary_encode(values)  # one hash table across the chunks: they share the final dictionary
    dictionary = encoded.chunk(encoded.num_chunks - 1).dictionary if encoded.num_chunks else pa.array([], pa.string())
    indices = np.concatenate([chunk.indices.to_numpy() for chunk in encoded.chunks] or [np.array([], np.int32)])
    if not _may_need_trimming(dictionary):  # the usual case: the distinct values are already the trimmed ones
        return indices, dictionary.to_numpy(zero_copy_only=False)
    trimmed = pc.utf8_trim_whitespace(dictionary).to_numpy(zero_copy_only=False)
    merged, uniques = pd.factorize(trimmed)  # values that differ only in spaces share a code
    return merged.astype(np.int32)[indices], np.asarray(uniques, dtype=object)


def _may_need_trimming(values: pa.StringArray) -> bool:
    """False only if no value starts or ends with whitespace: no value's first or last byte is an
    ASCII space or control character, or part of a non-ASCII character (some of which are spaces)."""
    if len(values) == 0:
        return False
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset: values.offset + len(values) + 1]
    if values.buffers()[2] is None:
        return False
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    edges = np.concatenate([data[starts[filled]], data[ends[filled] - 1]])
    return bool(((edges <= 0x20) | (edges >= 0x80)).any())


def _may_start_a_formula(values: pa.StringArray) -> np.ndarray:
    """True for each value whose first byte is ``= + - @``, ASCII whitespace or part of a non-ASCII
    character (some are spaces): only those can be formulas."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset: values.offset + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8) if values.buffers()[2] is not None else np.zeros(0, np.uint8)
    if not len(data):  # no value has a byte
        return np.zeros(len(values), dtype=bool)
    starts = offsets[:-1]
    flags = _FORMULA_FIRST_BYTES.take(data.take(starts, mode="clip"))  # an empty value's byte is its neighbour's:
    flags &= offsets[1:] > starts  # so only values with a byte of their own count
    return flags


def only_present_categories(values: pd.Categorical) -> pd.Categorical:
    """``values`` without the categories no row has (pandas' own way hashes every row)."""
    codes = values.codes
    present = np.bincount(codes[codes >= 0], minlength=len(values.categories)) > 0
    if present.all():
        return values
    new_codes = np.append(np.cumsum(present) - 1, -1).astype(codes.dtype)  # code -1 (missing) stays -1
    return pd.Categorical.from_codes(new_codes[codes], values.categories[present])


def _refuse_non_utf8(data: bytes | bytearray | mmap.mmap, name: str) -> None:
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError as error:
        line = _line_of(data, error.start)
        byte = data[error.start: error.start + 1].hex().upper()
        raise ImportFileError(name, f"byte 0x{byte} is not UTF-8 text (the file was probably saved as "
                                    "Windows-1252 or Latin-1): save it as 'CSV UTF-8' and import it again",
                              line=line) from None


def _leading_comments(data: bytes, offset: int) -> tuple[int, bool, int]:
    """How many lines come before the header (comments, and blank lines), whether a comment says
    SYNTHETIC, and where the header starts."""
    count, synthetic = 0, False
    while offset < len(data) and (data.startswith(b"#", offset) or data[offset: offset + 1] in (b"\n", b"\r")):
        end, following = _line_end(data, offset)
        synthetic |= b"SYNTHETIC" in data[offset:end]
        count, offset = count + 1, following
    return count, synthetic, offset


def _check_header(headers: list[str], text: str, name: str, line: int, following: bytes) -> None:
    if not headers:
        raise ImportFileError(name, "the header line is empty: put the column names on the first line", line=line)
    if len(headers) == 1:
        for delimiter, words in _OTHER_DELIMITERS.items():
            if delimiter in text:
                raise ImportFileError(name, f"the columns are separated by {words}, not commas: save the file "
                                            "as comma-separated CSV", line=line)
        widths = [len(next(csv.reader([row]))) for row in following.decode("utf-8", "replace").splitlines()[:20]
                  if row.strip()]
        if widths and max(widths) > 1:
            raise ImportFileError(name, f"this line holds one cell ({text[:40]!r}) but later lines hold {max(widths)}: "
                                        "the header seems to be below line 1: delete the title lines above it",
                                  line=line)
    normalised = [normalise_header(h) for h in headers]
    if any(not h for h in normalised):
        position = normalised.index("") + 1
        raise ImportFileError(name, f"column {position} of the header has no name: give every column a name "
                                    "(or delete empty columns)", line=line)
    repeated = sorted({h for h in normalised if normalised.count(h) > 1})
    if repeated:
        raise ImportFileError(name, "the header repeats a column name: rename or delete the copies",
                              line=line, column=repeated[0])


def _parse(data: bytes | mmap.mmap, rows: Callable[[], pa.NativeFile], offset: int, columns: int, kept: list[int],
           name: str, header_line: int, *, newlines_in_values: bool) -> tuple[pa.Table, bool]:
    """The rows as text columns, and whether the file has blank lines (which hold no row).

    Parsed keeping blank lines, as rows of empty cells: a file without a row of only empty cells
    has no blank line, and needs no slow search for one (a two-byte search costs ten times a
    one-byte one). A file with such rows is parsed again, dropping blank lines."""
    table = _parse_rows(data, rows, offset, columns, kept, name, header_line, newlines_in_values=newlines_in_values,
                        ignore_empty_lines=False)
    empty = None
    for column in table.columns:
        blank = pc.equal(column, "")
        empty = blank if empty is None else pc.and_(empty, blank)
    if empty is None or not pc.any(empty).as_py():
        return table, False
    return _parse_rows(data, rows, offset, columns, kept, name, header_line, newlines_in_values=newlines_in_values,
                       ignore_empty_lines=True), True


def _parse_rows(data: bytes | mmap.mmap, rows: Callable[[], pa.NativeFile], offset: int, columns: int,
                kept: list[int], name: str, header_line: int, *, newlines_in_values: bool,
                ignore_empty_lines: bool) -> pa.Table:
    bad_rows: list[str] = []

    def note_bad_row(row) -> str:
        bad_rows.append(row.text)
        return "skip"

    try:
        with _undecodable_rows_noted(note_bad_row) as undecodable, rows() as source:
            table = pacsv.read_csv(
                source,
                read_options=pacsv.ReadOptions(column_names=[f"f{i}" for i in range(columns)], skip_rows=1),
                parse_options=pacsv.ParseOptions(invalid_row_handler=note_bad_row,
                                                 ignore_empty_lines=ignore_empty_lines,
                                                 newlines_in_values=newlines_in_values),
                convert_options=pacsv.ConvertOptions(strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                     column_types={f"f{i}": pa.string() for i in range(columns)},
                                                     include_columns=[f"f{i}" for i in kept]),
            )
    except pa.ArrowInvalid as error:
        if "UTF8" in str(error) or undecodable:
            _refuse_non_utf8(data, name)
        raise ImportFileError(name, f"cannot be read as CSV ({error}); check the quoting", line=header_line) from None
    if bad_rows:
        text = bad_rows[0].encode("utf-8")
        position = data.find(text, offset)
        line = _line_of(data, position) if position >= 0 else None
        raise ImportFileError(name, f"this row has a different number of cells from the header ({len(bad_rows)} "
                                    "such rows): check for stray commas or a missing quote", line=line)
    return table


#: The handlers of the parses under way whose undecodable rows ``_route_unraisable`` notes: by
#: handler id, the handler and its list. Guarded by ``_ROUTING``, with the hook swap itself.
_NOTING: dict[int, tuple[Callable, list[BaseException]]] = {}
_ROUTING = threading.Lock()
_hook_before_parsing: Callable = sys.unraisablehook


def _route_unraisable(unraisable) -> None:
    """The process's unraisable hook while any parse is under way: a parse's undecodable row goes
    to its list, anything else to the hook there was before."""
    noting = _NOTING.get(id(unraisable.object))
    if noting is not None and noting[0] is unraisable.object and isinstance(unraisable.exc_value, UnicodeDecodeError):
        noting[1].append(unraisable.exc_value)
    else:
        _hook_before_parsing(unraisable)


@contextlib.contextmanager
def _undecodable_rows_noted(handler: Callable) -> Iterator[list[BaseException]]:
    """Arrow decodes a malformed row's text before calling ``handler`` with it; when the text is not
    UTF-8 that fails outside our reach (Python would print it as an "ignored" exception) and the
    parse stops. Those failures are collected here instead, so that the file is refused by name;
    any other unraisable exception goes to the hook as before. The hook is process-wide and parses
    run side by side (two imports at once): the first parse puts ``_route_unraisable`` in, each
    registers its handler, and the last one out puts the earlier hook back, all under one lock, so
    no parse's hook is left behind or lost."""
    global _hook_before_parsing
    undecodable: list[BaseException] = []
    with _ROUTING:
        if not _NOTING and sys.unraisablehook is not _route_unraisable:
            _hook_before_parsing = sys.unraisablehook
            sys.unraisablehook = _route_unraisable
        _NOTING[id(handler)] = (handler, undecodable)
    try:
        yield undecodable
    finally:
        with _ROUTING:
            del _NOTING[id(handler)]
            if not _NOTING and sys.unraisablehook is _route_unraisable:  # not if another hook came in meanwhile
                sys.unraisablehook = _hook_before_parsing


def _refuse_formulas(raw: RawTable) -> None:
    """Refuse a cell a spreadsheet would run as a formula (CSV injection, OWASP): one starting, after
    any spaces, with ``=``, ``+``, ``-`` or ``@``. Plain numbers (``-1``, ``+0.5``, ``-1e3``, ``-1,234``)
    ``-inf`` and a lone ``-`` (a common "none") are values, read by the column's own checks; a minus inside
    text (``2021-01-01``, ``10-17``) starts nothing. Scanned in Arrow, a column per core."""
    def first_formula(column: str) -> int | None:
        values = raw.table.column(column)
        candidates = np.concatenate([_may_start_a_formula(chunk) for chunk in values.chunks] or [np.zeros(0, bool)])
        if not candidates.any():  # the usual case: no cell starts with a sign, a space or @ (one look per cell)
            return None
        rows = np.flatnonzero(candidates)
        suspects = values.take(pa.array(rows))  # the regular expressions read only these
        with contextlib.suppress(pa.ArrowInvalid):  # the usual suspects: negative numbers (western longitudes)
            pc.cast(pc.utf8_trim_whitespace(suspects), pa.float64())
            return None
        formula = pc.and_(pc.match_substring_regex(suspects, _FORMULA_START),
                          pc.invert(pc.match_substring_regex(suspects, _PLAIN_NUMBER)))
        return int(rows[pc.index(formula, True).as_py()]) if pc.any(formula).as_py() else None

    with ThreadPoolExecutor() as pool:
        found = list(pool.map(first_formula, raw.columns))
    for column, row in zip(raw.columns, found):
        if row is not None:
            raise ImportFileError(raw.name, f"the cell {raw.column(column).iat[row]!r} would run as a spreadsheet "
                                            "formula (it starts with =, +, - or @), so it is not taken as a value: "
                                            "paste values only (Paste Special > Values), or remove the sign, and "
                                            "save again", line=raw.line(row), column=raw.original(column))
