"""Decision records: the PDF as printed (pdftoppm, pdftotext), the CSV read back to the same values,
saving all-or-nothing with an audit entry, and listing by who may see them."""

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspots import audit, decision_record, settings
from hotspots._errors import AuditError, LocalityError
from hotspots.decision_record import DecisionRecord


def _record(**changes) -> DecisionRecord:
    measures = pd.DataFrame({"measure": ["people", "ambulance-all"],
                             "label": ["People known to services, by home ward", "Ambulance call-outs, aged 10-24"],
                             "kind": ["offender-based", "victim-based"], "period": ["2017/18-2018/19"] * 2,
                             "weight": [3.0, 1.0], "share": [0.75, 0.25]})
    ranking = pd.DataFrame({"rank": [1, 2, 3], "ward_code": ["E05002248", "E05002247", "E05002235"],
                            "ward_name": ["West Thurrock and South Stifford", "Tilbury St Chads", "Grays Riverside"],
                            "score": [0.9123456789, 0.5, 0.1],
                            "people value": ["142", "fewer than 5 (scored as 2.5)", "=1+1"],
                            "people contribution": [0.75, np.nan, 0.0],
                            "ambulance-all value": ["6", "88", "-3"],
                            "ambulance-all contribution": [0.1623, 0.25, -0.05]})
    stability = pd.DataFrame({"ward_code": ranking["ward_code"], "ward_name": ranking["ward_name"],
                              "top_k_share": [1.0, 0.6885, 0.3115], "best_rank": [1, 1, 2],
                              "worst_rank": [1, 3, 3]})
    sources = pd.DataFrame({"dataset_id": [2, 6], "kind": ["events", "people"],
                            "original_name": ["synthetic_ambulance_callouts.csv", "synthetic_people_by_home.csv"],
                            "imported_at": ["2024-05-01 09:30", "2024-05-02 10:00"], "synthetic": [True, True]})
    fields = dict(decided_by="csp.manager", role="partner", decided_at="2024-06-03T10:15:00+00:00",
                  rationale="Where offenders and victims live; agreed by the CSP board on 3 June.",
                  districts="Thurrock", period="2017/18-2018/19", normalisation="rank", top_k=2, samples=10_000,
                  spread=0.25, seed=20201, restricted_values=False, measures=measures, sources=sources,
                  ranking=ranking, stability=stability)
    return DecisionRecord(**{**fields, **changes})


def _assert_same(read: DecisionRecord, written: DecisionRecord) -> None:
    for name in decision_record.TABLES:
        pd.testing.assert_frame_equal(getattr(read, name), getattr(written, name))
    scalars = decision_record._scalars
    assert scalars(read) == scalars(written)


def test_the_csv_reads_back_to_the_same_values():
    record = _record(rationale='=HYPERLINK("http://x") said, "quoted", and\na second line')
    data = decision_record.record_to_csv(record)
    assert b"'=HYPERLINK" in data and b"'=1+1" in data  # formulas made text for spreadsheets
    _assert_same(decision_record.record_from_csv(data), record)


def test_a_file_that_is_no_record_is_refused():
    with pytest.raises(LocalityError, match="columns section, row, column, type, value"):
        decision_record.record_from_csv(b"a,b\n1,2\n")


def test_the_pdf_shows_the_weights_the_ranking_and_the_rationale_on_a_marked_page(tmp_path: Path):
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(decision_record.record_to_pdf(_record()))
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png")).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5_000  # a page was drawn
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert flat.count("OFFICIAL") >= 2  # head and foot
    assert "Where offenders and victims live; agreed by the CSP board on 3 June." in flat
    assert "SYNTHETIC" in flat
    assert "People known to services, by home ward offender-based 2017/18-2018/19 3 75.0%" in flat
    assert "Ambulance call-outs, aged 10-24 victim-based 2017/18-2018/19 1 25.0%" in flat
    ranking = flat[flat.index("Ranking"):]
    assert ranking.index("West Thurrock") < ranking.index("Tilbury St Chads") \
        < ranking.index("Grays Riverside")
    assert "fewer than 5" in ranking and "(hidden)" in ranking and "142 (+0.750)" in ranking and "0.912" in ranking
    assert "Rank: the wards are put in order" in flat
    assert "rounded so that they add up to 100% exactly (largest remainder)" in flat
    assert "69%" in flat and "synthetic_people_by_home.csv" in flat


def test_saving_audits_the_decision_and_lists_it(tmp_path: Path):
    saved = decision_record.save_decision(tmp_path, _record())
    again = decision_record.save_decision(tmp_path, _record(rationale="Second look."))
    assert (saved.decision_id, again.decision_id) == (1, 2)
    _assert_same(decision_record.read_decision(tmp_path, 1), saved)
    assert decision_record.saved_pdf(tmp_path, 2).startswith(b"%PDF")
    entries = [e for e in audit.entries(tmp_path) if e.action == "decision-recorded"]
    assert [e.what["decision"] for e in entries] == [1, 2]
    assert entries[0].user == "csp.manager" and entries[0].what["top"] == ["West Thurrock and South Stifford",
                                                                             "Tilbury St Chads"]
    assert entries[0].what["datasets"] == [2, 6]
    listed = decision_record.list_decisions(tmp_path, restricted_values=False)
    assert listed["decision_id"].tolist() == [2, 1] and listed["rationale"].iloc[0] == "Second look."


def test_a_record_of_restricted_true_values_is_listed_only_for_roles_that_may_see_them(tmp_path: Path):
    decision_record.save_decision(tmp_path, _record())
    decision_record.save_decision(tmp_path, _record(role="police", restricted_values=True))
    assert decision_record.list_decisions(tmp_path, restricted_values=False)["decision_id"].tolist() == [1]
    assert decision_record.list_decisions(tmp_path, restricted_values=True)["decision_id"].tolist() == [2, 1]


def test_a_decision_that_cannot_be_audited_is_not_saved(tmp_path: Path, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AuditError("the trail's last line is damaged")

    monkeypatch.setattr(audit, "record", refuse)
    with pytest.raises(AuditError):
        decision_record.save_decision(tmp_path, _record())
    assert decision_record.list_decisions(tmp_path, restricted_values=True).empty
    assert [p.name for p in (tmp_path / decision_record.DECISIONS).iterdir()] == [decision_record.LOCK_FILE]


def test_a_saved_records_csv_is_served_as_it_was_written(tmp_path: Path):
    """The download is the stored file, not one rebuilt from it: a record written with quotes the
    writer would not use reads the same but is served byte for byte."""
    decision_record.save_decision(tmp_path, _record())
    stored = tmp_path / decision_record.DECISIONS / "1" / decision_record.CSV_NAME
    written = stored.read_bytes().replace(b"csp.manager", b'"csp.manager"', 1)
    stored.write_bytes(written)
    assert decision_record.read_decision(tmp_path, 1).decided_by == "csp.manager"
    assert decision_record.saved_csv(tmp_path, 1) == written


def test_the_same_record_moments_later_is_refused_and_after_the_window_is_saved(tmp_path: Path):
    decision_record.save_decision(tmp_path, _record())
    with pytest.raises(LocalityError, match="Decision 1 already records this decision"):
        decision_record.save_decision(tmp_path, _record(decided_at="2024-06-03T10:15:01+00:00"))
    assert decision_record.list_decisions(tmp_path, restricted_values=True)["decision_id"].tolist() == [1]
    assert [e.what["decision"] for e in audit.entries(tmp_path) if e.action == "decision-recorded"] == [1]
    other = decision_record.save_decision(tmp_path, _record(decided_at="2024-06-03T10:15:02+00:00",
                                                            rationale="Another reason."))
    later = (pd.Timestamp("2024-06-03T10:15:00+00:00")
             + pd.Timedelta(seconds=settings.LOCALITY_DUPLICATE_SECONDS + 1)).isoformat()
    again = decision_record.save_decision(tmp_path, _record(decided_at=later))  # a decision taken again, not a resend
    assert (other.decision_id, again.decision_id) == (2, 3)


LONG_LABELS = ["Violence with injury, victim aged 10-24, non-domestic (police)",
               "Ambulance call-outs for violent injury, patients aged 10-24",
               "Gang nominals by home ward (police, restricted)",
               "People known to services, every group, by home ward (restricted)",
               "Possession of weapons offences (police)",
               "Forecast risk: chance of at least one in 2019/20 (Ambulance call-outs for stab, knife or gunshot "
               "wounds, patients aged 10-24)"]


def test_no_word_of_the_pdfs_tables_is_split(tmp_path: Path):
    """Six measures as the page offers them: narrow columns once broke "Rank" and "non-domestic"."""
    keys = [f"measure-{i}" for i in range(len(LONG_LABELS))]
    measures = pd.DataFrame({"measure": keys, "label": LONG_LABELS, "kind": "victim-based", "period": "2017/18-2018/19",
                             "weight": [3.0, 1, 1, 1, 1, 1], "share": [3 / 8] + [1 / 8] * 5})
    ranking = _record().ranking[["rank", "ward_code", "ward_name", "score"]].copy()
    for key in keys:
        ranking[f"{key} value"] = ["fewer than 5 (scored as 2.5)", "1,234", "88%"]
        ranking[f"{key} contribution"] = [np.nan, 0.125, -0.05]
    record = _record(measures=measures, ranking=ranking)
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(decision_record.record_to_pdf(record))
    printed = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                             text=True).stdout
    tables = {"Measures and weights": [*LONG_LABELS, "Measure", "Kind", "Period", "Weight", "Share", "victim-based",
                                       "2017/18-2018/19", "37.5%"],
              "Ranking": ["Rank", "Ward", "Score", *LONG_LABELS, *ranking["ward_name"],
                          *decision_record._ranking_rows(record)[0]],
              "How firm": ["Ward", "In top 2", "Best rank", "Worst rank"],
              "Data sources": ["Dataset", "Kind", "File", "Imported (UTC)", "Synthetic",
                               "synthetic_ambulance_callouts.csv"]}
    sections = list(tables)
    for section, cells in tables.items():  # each table's words in its own section of the text
        following = sections[sections.index(section) + 1] if section != sections[-1] else None
        shown = set(printed[printed.index(section):printed.index(following) if following else None].split())
        words = {word for cell in cells for word in str(cell).split()}
        assert not words - shown, f"{section}: {sorted(words - shown)} split"
