"""Decision records of locality wards: what was decided, by whom, when, and on what evidence.

A :class:`DecisionRecord` holds the weights and measures, their periods, the data sources with
their store dataset ids, the ranking and its stability as the decider saw them (after disclosure
control), who decided and when, and their rationale. It is exported as a marked PDF
(``hotspots.pdf_document``) and as one CSV in long form (``section, row, column, type, value``),
which :func:`record_from_csv` reads back to the same values.

Saved records live in ``<store>/decisions/<id>/`` (``record.csv`` and ``record.pdf``): written in
a private folder, put in place by one rename under a lock, then audited (``decision-recorded``);
if the audit entry cannot be written the folder is removed again, so a record is saved and
audited, or neither. A record made with restricted layers seen as true values (police, admin) is
listed only for roles that may see those (``restricted_values``).
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import shutil
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from hotspots import audit, csv_export, settings
from hotspots._errors import LocalityError
from hotspots._private_files import locked, make_private_folder
from hotspots.locality import NORMALISATIONS, SHARE_DECIMALS, SHARES_NOTE, percent_shares
from hotspots.pdf_document import PdfDocument

DECISIONS = "decisions"
LOCK_FILE = "decisions.lock"
CSV_NAME, PDF_NAME = "record.csv", "record.pdf"
CSV_COLUMNS = ["section", "row", "column", "type", "value"]
TABLES = ("measures", "sources", "ranking", "stability")


@dataclass(frozen=True)
class DecisionRecord:
    """One decision. ``measures``: ``measure, label, kind, period, weight, share``; ``sources``:
    ``dataset_id, kind, original_name, imported_at, synthetic``; ``ranking``: ``rank, ward_code,
    ward_name, score`` then each measure's shown value and contribution; ``stability``: ``ward_code,
    ward_name, top_k_share, best_rank, worst_rank``. ``decided_at`` is ISO 8601 UTC."""

    decided_by: str
    role: str
    decided_at: str
    rationale: str
    districts: str
    period: str
    normalisation: str
    top_k: int
    samples: int
    spread: float
    seed: int
    restricted_values: bool
    measures: pd.DataFrame = field(repr=False)
    sources: pd.DataFrame = field(repr=False)
    ranking: pd.DataFrame = field(repr=False)
    stability: pd.DataFrame = field(repr=False)
    decision_id: int = 0  # 0 until saved

    @property
    def synthetic(self) -> bool:
        """Whether any source is synthetic (the PDF then says so under its title)."""
        return bool(len(self.sources)) and bool(self.sources["synthetic"].any())


def record_to_csv(record: DecisionRecord) -> bytes:
    """The record as one CSV: a row per value (``section, row, column, type, value``). Text that a
    spreadsheet would run as a formula is written with a leading ``'``, which reading removes."""
    rows = [("decision", 0, name, _type_of(value), _text(value)) for name, value in _scalars(record).items()]
    for section in TABLES:
        table: pd.DataFrame = getattr(record, section)
        kinds = {column: _type_of_column(table[column]) for column in table.columns}
        rows += [(section, -1, column, kinds[column], "") for column in table.columns]  # the columns, in order
        rows += [(section, number, column, kinds[column], _text(value))
                 for number, values in enumerate(table.itertuples(index=False)) for column, value in
                 zip(table.columns, values)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=csv_export.LINE_END)
    writer.writerow(CSV_COLUMNS)
    writer.writerows((section, row, column, kind,
                      csv_export.formula_safe(value, reversible=True) if kind == "str" else value)
                     for section, row, column, kind, value in rows)
    return out.getvalue().encode("utf-8")


def record_from_csv(data: bytes) -> DecisionRecord:
    """A record from :func:`record_to_csv`'s bytes; a :class:`LocalityError` naming what is wrong."""
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as error:
        raise LocalityError(f"This is not a decision record CSV ({error}).") from error
    if not rows or list(rows[0]) != CSV_COLUMNS:
        raise LocalityError(f"A decision record CSV has the columns {', '.join(CSV_COLUMNS)}.")
    scalars = {row["column"]: _value(row["type"], row["value"]) for row in rows if row["section"] == "decision"}
    tables = {section: _table([row for row in rows if row["section"] == section]) for section in TABLES}
    try:
        return DecisionRecord(**scalars, **tables)
    except TypeError as error:
        raise LocalityError(f"The decision record CSV lacks or adds a field ({error}).") from error


def record_to_pdf(record: DecisionRecord) -> bytes:
    """The record as a marked A4 PDF (``settings.LOCALITY_RECORD_MARKING`` on every page)."""
    subtitle = f"{record.districts}, {record.period}."
    if record.synthetic:
        subtitle += " Made from SYNTHETIC demo data: not real records; do not use for decisions."
    number = f" {record.decision_id}" if record.decision_id else ""
    document = PdfDocument(f"Locality wards: decision record{number}", marking=settings.LOCALITY_RECORD_MARKING,
                           subtitle=subtitle)
    document.key_values([("Decided by", f"{record.decided_by} ({record.role})"), ("Decided at (UTC)", record.decided_at),
                         ("Districts", record.districts), ("Period", record.period),
                         ("Normalisation", NORMALISATIONS.get(record.normalisation, record.normalisation)),
                         ("Stability", f"{record.samples:,} weightings within +-{record.spread:.0%} of the chosen "
                                       f"weights, seed {record.seed}; top {record.top_k}")])
    document.heading("Rationale")
    document.paragraph(record.rationale or "(none given)")
    document.heading("Measures and weights")
    shares = percent_shares(record.measures["share"].tolist())
    document.table(["Measure", "Kind", "Period", "Weight", "Share"],
                   [[m.label, m.kind, m.period, f"{m.weight:g}", f"{share:.{SHARE_DECIMALS}f}%"]
                    for m, share in zip(record.measures.itertuples(), shares)], col_widths=(5, 2, 2, 1, 1))
    document.paragraph(SHARES_NOTE)
    document.heading("Ranking")
    document.table(["Rank", "Ward", "Score", *record.measures["label"]], _ranking_rows(record),
                   col_widths=(1, 4, 1.5, *[3] * len(record.measures)))
    document.heading(f"How firm the ranking is: share of weightings in the top {record.top_k}, and range of ranks")
    document.table(["Ward", f"In top {record.top_k}", "Best rank", "Worst rank"],
                   [[s.ward_name, f"{s.top_k_share:.0%}", s.best_rank, s.worst_rank]
                    for s in record.stability.itertuples()], col_widths=(4, 1, 1, 1))
    document.heading("Data sources (store dataset ids)")
    document.table(["Dataset", "Kind", "File", "Imported (UTC)", "Synthetic"],
                   [[s.dataset_id, s.kind, s.original_name, s.imported_at, "yes" if s.synthetic else "no"]
                    for s in record.sources.itertuples()], col_widths=(1, 1, 4, 2, 1))
    return document.to_bytes()


def save_decision(store: Path, record: DecisionRecord) -> DecisionRecord:
    """Save ``record`` in the store under the next id and audit it; returns it with its id. Saved
    and audited, or neither (see the module's docstring)."""
    folder = Path(store) / DECISIONS
    make_private_folder(folder)
    with locked(folder / LOCK_FILE):
        _refuse_a_repeat(store, record)
        decision_id = max((int(path.name) for path in folder.iterdir() if path.name.isdigit()), default=0) + 1
        saved = replace(record, decision_id=decision_id)
        partial = folder / f".partial-{os.getpid()}-{secrets.token_hex(6)}"
        make_private_folder(partial)
        try:
            (partial / CSV_NAME).write_bytes(record_to_csv(saved))
            (partial / PDF_NAME).write_bytes(record_to_pdf(saved))
            partial.rename(folder / str(decision_id))
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        try:
            audit.record(store, user=record.decided_by, role=record.role, action="decision-recorded",
                         what={"decision": decision_id, "districts": record.districts, "period": record.period,
                               "top": record.ranking["ward_name"].head(record.top_k).tolist(),
                               "measures": record.measures["measure"].tolist(),
                               "datasets": [int(i) for i in record.sources["dataset_id"]]})
        except BaseException:
            shutil.rmtree(folder / str(decision_id), ignore_errors=True)
            raise
    return saved


def _refuse_a_repeat(store: Path, record: DecisionRecord) -> None:
    """A :class:`LocalityError` if a record the same as ``record`` but for its time (decider,
    rationale, weights, data, ranking) was saved at most ``settings.LOCALITY_DUPLICATE_SECONDS``
    before it: a form sent twice (a key press, then the button) is one decision."""
    made = datetime.fromisoformat(record.decided_at)
    content = _content(record)
    for decision_id in _saved_ids(store):  # newest first; ids follow the order of saving
        saved = read_decision(store, decision_id)
        ago = (made - datetime.fromisoformat(saved.decided_at)).total_seconds()
        if ago > settings.LOCALITY_DUPLICATE_SECONDS:
            return
        if _content(saved) == content:
            raise LocalityError(f"Decision {decision_id} already records this decision (the same rationale, weights, "
                                f"data and ranking, {ago:.0f} s ago): it is not recorded twice. To record another, "
                                "change the rationale or the weights.")


def _content(record: DecisionRecord) -> bytes:
    return record_to_csv(replace(record, decided_at="", decision_id=0))


def _saved_ids(store: Path) -> list[int]:
    """The saved records' ids, newest first."""
    folder = Path(store) / DECISIONS
    return sorted((int(path.name) for path in folder.iterdir() if path.name.isdigit()), reverse=True) \
        if folder.exists() else []


def read_decision(store: Path, decision_id: int) -> DecisionRecord:
    """A saved record; a :class:`LocalityError` if there is none with that id."""
    path = Path(store) / DECISIONS / str(int(decision_id)) / CSV_NAME
    if not path.exists():
        raise LocalityError(f"No decision record {decision_id} in the store at {store}.")
    return record_from_csv(path.read_bytes())


def saved_pdf(store: Path, decision_id: int) -> bytes:
    """A saved record's PDF, as it was printed when saved."""
    return (Path(store) / DECISIONS / str(int(decision_id)) / PDF_NAME).read_bytes()


def saved_csv(store: Path, decision_id: int) -> bytes:
    """A saved record's CSV, as it was written when saved."""
    return (Path(store) / DECISIONS / str(int(decision_id)) / CSV_NAME).read_bytes()


def list_decisions(store: Path, *, restricted_values: bool) -> pd.DataFrame:
    """``decision_id, decided_at, decided_by, role, districts, period, chosen, rationale`` of the saved
    records, newest first; with ``restricted_values`` False, those holding restricted true values
    are left out."""
    records = [read_decision(store, decision_id) for decision_id in _saved_ids(store)]
    rows = [{"decision_id": r.decision_id, "decided_at": r.decided_at, "decided_by": r.decided_by, "role": r.role,
             "districts": r.districts, "period": r.period,
             "chosen": ", ".join(r.ranking["ward_name"].head(r.top_k)), "rationale": r.rationale}
            for r in records if restricted_values or not r.restricted_values]
    return pd.DataFrame(rows, columns=["decision_id", "decided_at", "decided_by", "role", "districts", "period",
                                       "chosen", "rationale"])


def _ranking_rows(record: DecisionRecord) -> list[list[object]]:
    rows = []
    for values in record.ranking.to_dict("records"):
        cells = [values["rank"], values["ward_name"], f"{values['score']:.3f}"]
        for measure in record.measures["measure"]:
            contribution = values[f"{measure} contribution"]
            shown = "hidden" if np.isnan(contribution) else f"{contribution:+.3f}"
            cells.append(f"{values[f'{measure} value']} ({shown})")
        rows.append(cells)
    return rows


def _scalars(record: DecisionRecord) -> dict[str, object]:
    return {f.name: getattr(record, f.name) for f in fields(record) if f.name not in TABLES}


def _type_of(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    return "str"


def _type_of_column(column: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(column):
        return "bool"
    if pd.api.types.is_integer_dtype(column):
        return "int"
    if pd.api.types.is_float_dtype(column):
        return "float"
    return "str"


def _text(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else repr(float(value))
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _value(kind: str, text: str) -> object:
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text) if text else np.nan
    if kind == "bool":
        return text == "true"
    return _unquoted(text)


def _table(rows: list[dict[str, str]]) -> pd.DataFrame:
    columns = {row["column"]: row["type"] for row in rows if row["row"] == "-1"}
    cells: dict[str, list[object]] = {column: [] for column in columns}
    for row in rows:
        if row["row"] != "-1":
            cells[row["column"]].append(_value(row["type"], row["value"]))
    dtypes = {"int": "int64", "float": "float64", "bool": "bool", "str": "str"}
    return pd.DataFrame({column: pd.Series(values, dtype=dtypes[columns[column]])
                         for column, values in cells.items()}, columns=list(columns))


def _unquoted(value: str) -> str:
    return value[1:] if value[:1] == "'" else value
