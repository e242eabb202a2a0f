"""A parsed column read back as text or as codes, whatever the parser's chunks hold."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings as hypothesis_settings, strategies as st

from hotspots._errors import ImportFileError
from hotspots.tabular import RawTable, read_csv_bytes

# Letters, digits, ASCII and Unicode spaces, and non-ASCII letters, at the edges and inside.
CELL = st.text(alphabet=st.sampled_from(list("ab1-/ \t\r\u00a0\u2003\u3000é€中")), max_size=6)
# A chunk as the parser hands it over, sometimes a slice of a longer array (an offset into its buffers).
CHUNK = st.tuples(st.lists(CELL, max_size=12), st.integers(0, 3)).map(
    lambda cells_skip: pa.array(cells_skip[0], pa.string()).slice(min(cells_skip[1], len(cells_skip[0]))))


def _raw(chunks: list[pa.Array]) -> RawTable:
    return RawTable("x.csv", pa.table({"cell": pa.chunked_array(chunks, pa.string())}), 2, {"cell": "Cell"}, False)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(CHUNK, min_size=1, max_size=5))
def test_a_column_reads_every_value_trimmed_and_its_codes_name_the_same_values(chunks: list[pa.Array]) -> None:
    raw = _raw(chunks)
    expected = [pc.utf8_trim_whitespace(pa.scalar(value, pa.string())).as_py()
                for chunk in chunks for value in chunk.to_pylist()]
    assert raw.column("cell").tolist() == expected
    codes, uniques = raw.codes("cell")
    assert list(uniques[codes]) == expected
    assert len(set(uniques)) == len(uniques)  # values differing only in edge spaces share one code


def test_a_column_mixing_clean_chunks_and_chunks_with_edge_spaces_reads_trimmed() -> None:
    clean, spaced = pa.array(["E01", "E02"]), pa.array([" E03", "E04\u00a0"])
    column = _raw([clean, spaced]).column("cell")
    assert column.tolist() == ["E01", "E02", "E03", "E04"]


def test_parses_side_by_side_each_refuse_their_undecodable_row_and_leave_the_hook_as_it_was() -> None:
    # A malformed row that is not UTF-8 reaches the process-wide unraisable hook; two imports at once
    # must neither lose each other's refusal nor leave a parse's hook installed.
    malformed = b"a,b\n1,2\n" * 2000 + b"\xff\xfe,3,4\n"
    clean = b"a,b\n" + b"1,2\n" * 20000
    hook_before = sys.unraisablehook
    start = threading.Barrier(8)

    def parse(turn: int) -> str:
        start.wait()
        outcomes = []
        for _ in range(25):
            try:
                read_csv_bytes(malformed if turn % 2 else clean, f"file-{turn}.csv")
                outcomes.append("read")
            except ImportFileError as refused:
                outcomes.append("not UTF-8" if "is not UTF-8" in str(refused) else str(refused))
        return ",".join(sorted(set(outcomes)))

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(parse, range(8)))
    assert outcomes == ["read", "not UTF-8"] * 4
    assert sys.unraisablehook is hook_before
