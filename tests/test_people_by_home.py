"""People known to services by home ward: the reader, its refusals, restricted loading, the layers."""

from pathlib import Path

import pytest

from hotspots import aggregation, disclosure, importing, loading, roles
from hotspots._errors import DisclosureError, ImportFileError

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "synthetic_people_by_home.csv"
GRAYS_RIVERSIDE = "E05002235"  # RM17 6SL


@pytest.fixture(scope="module")
def people_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("people") / "store"
    importing.import_file(folder, SAMPLE, "people")
    return folder


def test_the_sample_is_read_and_placed_by_postcode_and_sector():
    prepared = importing.validate_file(SAMPLE, "people")
    assert prepared.synthetic and prepared.rows_accepted == 5 and prepared.unplaced.empty
    assert set(prepared.table["placed_by"]) == {"postcode", "postcode_sector"}
    assert prepared.table.loc[0, "ward_code"] == GRAYS_RIVERSIDE


def test_a_list_with_no_placeable_postcode_is_refused_naming_the_first(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("person_id,group,home_postcode,date\nA1,victim of violence,ZZ99 9ZZ,2020-01-01\n"
                    "A2,perpetrator,CF10 1AA,2020-02-01\n")
    with pytest.raises(ImportFileError, match=r"line 2.*none of the 2 people could be placed by their home postcode "
                                              r"\(first: 'ZZ99 9ZZ', postcode not in the ONS Postcode Directory\)"
                                              r".* in Greater Essex"):
        importing.validate_file(path, "people")


def test_a_list_without_a_postcode_column_is_refused(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("person_id,group,ward_code,date\nA1,victim of violence,E05002235,2020-01-01\n")
    with pytest.raises(ImportFileError, match="missing required column postcode"):
        importing.validate_file(path, "people")


@pytest.mark.parametrize("role", list(roles.ROLES))
def test_only_roles_allowed_restricted_rows_load_the_list_and_only_police_its_identities(role, people_store):
    access = roles.role(role).data_access
    people = loading.load_dataset(people_store, access).people
    assert (len(people) > 0) is access.nominal_rows
    assert ("person_id" in people.columns) is access.nominal_identities
    assert ("home_postcode" in people.columns) is access.nominal_identities


def test_counted_by_home_ward_per_group_and_all(people_store):
    dataset = loading.load_dataset(people_store)
    layers = aggregation.available_layers(dataset, restricted=True)
    assert {"people", "people:victim-of-violence", "people:perpetrator",
            "people:offender-known-to-youth-justice"} <= set(layers)
    assert "people" not in aggregation.available_layers(dataset, restricted=False)
    every = aggregation.layer_counts(dataset, "people", [GRAYS_RIVERSIDE], [2019, 2020]).set_index("financial_year")
    assert every["count"].to_dict() == {2019: 1, 2020: 1}  # SYN-P1: offender in 2019/20, perpetrator in 2020/21
    perpetrators = aggregation.layer_counts(dataset, "people:perpetrator", [GRAYS_RIVERSIDE], [2019, 2020])
    assert perpetrators.set_index("financial_year")["count"].to_dict() == {2019: 0, 2020: 1}


def test_a_partner_sees_the_layers_as_suppressed_counts_and_councillors_not_at_all():
    layer = aggregation.resolve_layer("people:victim-of-violence")
    assert disclosure.rule_for(layer, roles.role("partner")).suppressed_text == "fewer than 5"
    assert disclosure.rule_for(layer, roles.role("police")).shows_true_values
    for role in ("councillor", "public"):
        with pytest.raises(DisclosureError):
            disclosure.rule_for(layer, roles.role(role))


def test_a_person_listed_twice_in_a_year_counts_once(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("person_id,group,home_postcode,date\nB1,victim of violence,RM17 6SL,2020-05-01\n"
                    "B1,victim of violence,RM17 6SL,2020-09-01\nB2,victim of violence,RM17 6SL,2020-09-01\n")
    importing.import_file(tmp_path / "store", path, "people")
    counts = aggregation.layer_counts(loading.load_dataset(tmp_path / "store"), "people", [GRAYS_RIVERSIDE], [2020])
    assert counts["count"].tolist() == [2]
