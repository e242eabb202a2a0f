"""The Locality wards page in AppTest: for partners, police and admins (ranking, stability, side by side,
a weight changed, a decision recorded and audited); councillors and the public cannot reach it."""

import pytest

from hotspots import audit, decision_record, loading, locality_view, roles, store
from hostile_store import payload
from shown_text import markup_left, shown
from signed_in import dashboard
from ui.common import label_text, text

PAGE = "pages/locality.py"


def _open(role: str):
    at = dashboard(role, 300)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("role", ["partner", "police", "admin"])
def test_the_page_ranks_the_wards_for_roles_that_choose_localities(role, dataset):
    at = _open(role)
    assert [h.value for h in at.header] == ["Locality wards: where offenders and victims live"]
    assert not at.error, [e.value for e in at.error]
    ranking = at.dataframe[0].value
    assert len(ranking) == 20 and ranking["rank"].iloc[0] == 1  # Thurrock's wards
    stability = at.dataframe[1].value
    assert set(stability.columns) >= {"ward_name", "top_k_share", "best_rank", "worst_rank"}
    comparison = next(frame.value for frame in at.dataframe if "Measure" in frame.value.columns)
    assert list(comparison.columns[1:]) == ranking["ward_name"].head(2).tolist()  # the top two, side by side
    labels = at.multiselect(key="measures").options
    assert any("Gang nominals" in option for option in labels) is (role == "partner")  # police: behind the switch
    if role == "partner":
        assert any("fewer than 5" in str(value) for value in ranking.to_numpy().ravel())
    else:  # the police switch adds the register and the lists, at true values
        at.sidebar.toggle(key="restricted").set_value(True).run()
        assert "People known to services, every group, by home ward (restricted)" in at.multiselect(key="measures").options
        at.multiselect(key="measures").select("people").run()
        people = at.dataframe[0].value["People known to services, every group, by home ward (restricted)"]
        assert people.str.fullmatch(r"\d+").all()  # true counts, small ones too


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_councillors_and_the_public_cannot_reach_it(role, dataset):
    at = _open(role)
    assert any("not available for your role" in w.value for w in at.warning)
    assert [h.value for h in at.header] == ["Locality wards"] and not at.dataframe
    assert not at.get("number_input") and not at.get("text_area")


def test_a_changed_weight_reranks_and_a_recorded_decision_is_saved_and_audited(dataset):
    at = _open("partner")
    before = at.dataframe[0].value
    for key in [k for k in at.multiselect(key="measures").value if k != "people"]:
        at.number_input(key=f"weight_{key}").set_value(0.0)
    at.run()
    after = at.dataframe[0].value
    assert not before["ward_name"].equals(after["ward_name"]) or not before["score"].equals(after["score"])
    assert set(after["ward_name"].head(2)) == {"West Thurrock and South Stifford", "Tilbury St Chads"}
    at.text_area(key="rationale").input("Where offenders and victims live (people known to services).")
    submit = next(b for b in at.button if b.label == "Record this decision")
    submit.click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("recorded and audited" in s.value for s in at.success)
    entries = [e for e in audit.entries(store.default_store()) if e.action == "decision-recorded"]
    assert entries and entries[-1].role == "partner" and entries[-1].user == "test-partner"
    listed = decision_record.list_decisions(store.default_store(), restricted_values=False)
    assert listed["rationale"].iloc[0] == "Where offenders and victims live (people known to services)."
    assert {"Decision record (PDF)", "Decision record (CSV)"} <= {b.proto.label for b in at.get("download_button")}


def test_a_decision_without_a_rationale_gets_a_message_and_is_not_saved(dataset):
    at = _open("partner")
    before = len(decision_record.list_decisions(store.default_store(), restricted_values=True))
    at.text_area(key="rationale").input("   ")
    next(b for b in at.button if b.label == "Record this decision").click().run()
    assert not at.exception and not any("recorded" in s.value for s in at.success)
    assert any("Write the rationale first" in e.value for e in at.error), [e.value for e in at.error]
    assert len(decision_record.list_decisions(store.default_store(), restricted_values=True)) == before


def test_all_weights_zero_gets_a_message_not_a_traceback(dataset):
    at = _open("police")
    for key in at.multiselect(key="measures").value:
        at.number_input(key=f"weight_{key}").set_value(0.0)
    at.run()
    assert not at.exception
    assert any("Every weight is zero" in e.value for e in at.error)


def test_labels_and_ward_names_are_shown_as_text(dataset):
    at = _open("partner")
    partner = roles.role("partner")
    offered = locality_view.measures_offered(loading.load_dataset(loading.demo_store(), partner.data_access), partner)
    chosen = at.multiselect(key="measures").value
    labels = {key: at.number_input(key=f"weight_{key}").label for key in chosen}
    assert labels == {key: offered[key] for key in chosen}  # our own labels: the aria-label reads them as they are
    assert labels["violence-with-injury"] == "Violence with injury, victim aged 10-24, non-domestic (police)"
    for key in [k for k in chosen if k != "people"]:  # where people live: both locality wards always top
        at.number_input(key=f"weight_{key}").set_value(0.0)
    at.run()
    always = next(s.value for s in at.success if s.value.startswith("In the top"))
    assert always.endswith(": " + text("Tilbury St Chads, West Thurrock and South Stifford") + ".")


def _listed(at) -> list[int]:
    tables = [frame.value for frame in at.dataframe if "decided_by" in frame.value.columns]
    return [int(i) for i in tables[0]["decision_id"]] if tables else []


def test_with_the_switch_off_the_police_neither_list_nor_download_a_record_of_restricted_values(dataset):
    at = _open("police")
    at.sidebar.toggle(key="restricted").set_value(True).run()
    at.multiselect(key="measures").select("nominals").run()
    at.text_area(key="rationale").input("The register's home wards.")
    next(b for b in at.button if b.label == "Record this decision").click().run()
    assert not at.exception and any("recorded and audited" in s.value for s in at.success)
    restricted = int(at.session_state["record_choice"])
    assert restricted in _listed(at)
    at.sidebar.toggle(key="restricted").set_value(False).run()
    assert not at.exception, at.exception
    assert restricted not in _listed(at)
    assert not _listed(at) or restricted not in at.selectbox(key="record_choice").options


def _record(at, rationale: str):
    at.text_area(key="rationale").input(rationale)
    next(b for b in at.button if b.label == "Record this decision").click().run()
    assert not at.exception, at.exception


def test_a_decision_sent_twice_is_recorded_once_and_the_download_offers_the_newest(dataset):
    at = _open("partner")
    _record(at, "First decision.")
    first = _listed(at)[0]
    _record(at, "The second decision.")
    newest = _listed(at)[0]
    assert newest == first + 1 and at.selectbox(key="record_choice").value == newest  # not the oldest
    next(b for b in at.button if b.label == "Record this decision").click().run()  # the same form again
    assert not at.exception and _listed(at)[0] == newest  # nothing recorded twice
    assert any(f"Decision {newest} already records this decision" in e.value for e in at.error), \
        [e.value for e in at.error]
    entries = [e for e in audit.entries(store.default_store()) if e.action == "decision-recorded"]
    assert [e.what["decision"] for e in entries].count(newest) == 1
    assert [form.proto.form.enter_to_submit for form in at.get("form")] == [False]  # Ctrl+Enter sends nothing


@pytest.mark.parametrize("hostile", [payload("label"), "&amp; a_b_ *x* ~y~ :smile: www.example.com a@b.co \\*"])
def test_a_users_string_in_a_label_is_shown_as_typed_with_no_markdown_left(hostile):
    label = label_text(hostile)
    assert shown(label) == hostile and not markup_left(label)
    assert markup_left(hostile)  # so the check can fail
    assert label_text("---") == "\\---"  # a rule alone would draw a line and no label
