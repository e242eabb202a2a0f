"""Every page for every role (AppTest): what is in the navigation, what a typed address shows, the Data
and Audit pages and raw previews for admins only, the restricted switch for police roles only; the
dataset cache per data access; audited downloads, imports and deletions; deleting deletes."""

from pathlib import Path

import pytest

from hotspots import audit, importing, roles, store
from hotspots._errors import DeletionIncompleteError
from signed_in import dashboard
from ui import common

ROLES = list(roles.ROLES)
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
#: Every page of the dashboard: a new page is tested for every role once it is in the navigation.
PAGES = {page.script: page.title for page in common.PAGES}


def _visible_pages(role: roles.Role) -> list[str]:
    return [page.title for page in common.menu(role)]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_pages_in_the_navigation(role):
    permissions = roles.role(role)
    expected = (["Ward map", "Ward profile", "Forecast", "Your ward"] + (["Op Grip tasking"] if permissions.event_rows else [])
                + (["Locality wards"] if permissions.rank_locality_wards else [])
                + (["Data", "Audit trail"] if role == "admin" else []))
    assert _visible_pages(permissions) == expected


@pytest.fixture(scope="module")
def store_with_nominals(tmp_path_factory, demo_dir):
    folder = tmp_path_factory.mktemp("roles") / "store"
    importing.import_file(folder, SAMPLES / "synthetic_gang_nominals.csv", "nominals")
    importing.import_file(folder, SAMPLES / "synthetic_police_uk_street.csv", "police-uk")
    return folder


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_for_every_role(role, page, store_with_nominals, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_STORE", str(store_with_nominals))
    at = dashboard(role, 240)
    at.run()
    if page != "pages/ward_map.py":
        at.switch_page(page).run()
    assert not at.exception, at.exception
    permissions = roles.role(role)
    refused = [w.value for w in at.warning if "not available for your role" in w.value]
    allowed = page in [entry.script for entry in common.menu(permissions)]
    assert bool(refused) is not allowed, (role, page, refused)
    if not allowed:  # nothing of the page: no table, no upload, no preview
        assert not at.dataframe and not at.get("file_uploader") and [h.value for h in at.header] == [PAGES[page]]
    if page == "pages/data.py" and allowed:
        assert at.get("file_uploader") and any("SHA-256" in frame.value.columns for frame in at.dataframe)
        assert any("home_postcode" in frame.value.columns or "source_line" in frame.value.columns
                   for frame in at.dataframe)  # the raw preview
    switches = [toggle for toggle in at.sidebar.toggle if toggle.key == "restricted"]
    if page in ("pages/ward_map.py", "pages/ward_profile.py"):
        assert bool(switches) is permissions.restricted_layers, (role, page)
        layers = at.sidebar.selectbox(key="layer").options if page == "pages/ward_map.py" else []
        if page == "pages/ward_map.py":  # the register: for police once the switch is on; for partners as counts
            offered = any("nominal" in option.lower() for option in layers)
            assert offered is (permissions.restricted_as_suppressed_counts and not permissions.restricted_layers), role
            if switches:
                switches[0].set_value(True).run()
                assert any("nominal" in option.lower() for option in at.sidebar.selectbox(key="layer").options)


@pytest.mark.parametrize("role", ROLES)
def test_the_shared_dataset_cache_holds_only_what_the_role_may_load(role, store_with_nominals):
    access = roles.role(role).data_access
    dataset = common.cached_dataset.__wrapped__(str(store_with_nominals), store.store_version(store_with_nominals),
                                                access)
    assert (len(dataset.nominals) > 0) is access.nominal_rows
    assert ("home_postcode" in dataset.nominals.columns) is access.nominal_identities
    assert ("easting" in dataset.events.columns) is access.event_locations
    assert len(dataset.events) > 0


def test_distinct_data_accesses_are_distinct_cache_keys():
    accesses = {role.data_access for role in roles.ROLES.values()}
    assert len(accesses) == 3  # admin = police, partner, councillor = public


def test_imports_and_deletions_on_the_data_page_are_audited(tmp_path, monkeypatch, demo_dir):
    monkeypatch.setenv("HOTSPOTS_STORE", str(tmp_path / "store"))
    at = dashboard("admin", 120)
    at.run()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="source").set_value("police-uk").run()
    at.file_uploader(key="upload").set_value(("street.csv", (SAMPLES / "synthetic_police_uk_street.csv").read_bytes(),
                                              "text/csv")).run()
    at.button(key="import").click().run()
    assert not at.exception, at.exception
    at.checkbox(key="confirm_delete").check().run()
    at.button(key="delete").click().run()
    trail = audit.entries(tmp_path / "store")
    assert [(e.action, e.user, e.role) for e in trail] == [("import", "test-admin", "admin"),
                                                           ("delete", "test-admin", "admin")]
    assert trail[0].what["file"] == "street.csv" and trail[1].what == {"dataset": 1}
    assert store.list_datasets(tmp_path / "store").iloc[0:0].empty


def test_the_audit_page_lists_entries_and_says_when_the_chain_is_broken(tmp_path, monkeypatch, demo_dir):
    monkeypatch.setenv("HOTSPOTS_STORE", str(tmp_path / "store"))
    for user in ("alice", "bob"):
        audit.record(tmp_path / "store", user=user, role="police", action="sign-in", what={"method": "password"})
    at = dashboard("admin", 120)
    at.run()
    at.switch_page("pages/audit_trail.py").run()
    assert not at.exception and any("intact: 2 entries" in s.value for s in at.success)
    assert at.dataframe[0].value["user"].tolist() == ["bob", "alice"]
    path = audit.audit_path(tmp_path / "store")
    path.write_text(path.read_text().replace('"alice"', '"mallory"'))
    at.run()
    assert any("damaged at line 1" in e.value for e in at.error)


def test_audited_download_records_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_STORE", str(tmp_path / "store"))

    class Session(dict):
        pass

    monkeypatch.setattr(common.st, "session_state", Session(account=common.Account("dee", "partner")))
    common.record("download", {"file": "ward-values.csv", "layer": "ambulance-all"})
    [entry] = audit.entries(tmp_path / "store")
    assert (entry.user, entry.role, entry.action, entry.what) == ("dee", "partner", "download",
                                                                  {"file": "ward-values.csv", "layer": "ambulance-all"})


def _store_with_one_dataset(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "store"
    dataset_id = importing.import_file(folder, SAMPLES / "synthetic_police_uk_street.csv", "police-uk")
    kept = next((folder / "uploads").iterdir())
    assert dataset_id == 1 and any(kept.iterdir())
    return folder, kept


def test_deleting_a_dataset_removes_its_kept_original_and_rows(tmp_path):
    folder, kept = _store_with_one_dataset(tmp_path)
    store.delete_dataset(folder, 1)
    assert not kept.exists() and store.list_datasets(folder).empty


def test_a_deletion_that_cannot_remove_files_fails_naming_what_is_left(tmp_path, monkeypatch):
    folder, kept = _store_with_one_dataset(tmp_path)
    first = sorted(kept.iterdir())[0]

    def refused_rmtree(path, ignore_errors=False, onerror=None):  # as on a read-only folder (root could still)
        error = PermissionError(13, "Permission denied", str(first))
        if onerror is not None:
            onerror(Path.unlink, str(first), (PermissionError, error, None))
        elif not ignore_errors:
            raise error

    monkeypatch.setattr(store.shutil, "rmtree", refused_rmtree)
    with pytest.raises(DeletionIncompleteError, match="Still on disk") as failure:
        store.delete_dataset(folder, 1)
    assert str(first) in str(failure.value) and "Permission denied" in str(failure.value) and first.exists()


SSO = {"claim": "groups", "map": {"hotspots-police": "police", "hotspots-councillors": "councillor"}}


@pytest.mark.parametrize("groups, role", [(["hotspots-councillors"], "councillor"),
                                          (["staff", "hotspots-police", "hotspots-councillors"], "police")])
def test_single_sign_on_claims_give_the_role_its_pages(groups, role, tmp_path, monkeypatch, demo_dir):
    """``st.user`` faked: a provider's claims, mapped by ``[hotspots_sso]``, give the session its role."""
    monkeypatch.setenv("HOTSPOTS_STORE", str(tmp_path / "store"))
    monkeypatch.setattr(common, "sso_claims", lambda: {"email": "sam@example.org", "groups": groups})
    monkeypatch.setattr(common, "sso_settings", lambda: SSO)
    at = dashboard("public", 180)
    del at.session_state["account"]  # nobody signed in with a password: the claims decide
    at.run()
    assert not at.exception, at.exception
    assert (at.session_state["account"].name, at.session_state["account"].role) == ("sam@example.org", role)
    assert bool([t for t in at.sidebar.toggle if t.key == "restricted"]) is (role == "police")
    at.switch_page("pages/data.py").run()
    assert any("not available for your role" in w.value for w in at.warning)
    sign_ins = [e for e in audit.entries(tmp_path / "store") if e.action == "sign-in"]
    assert [(e.user, e.role, e.what["method"]) for e in sign_ins] == [("sam@example.org", role, "single sign-on")]


def test_single_sign_on_without_a_matching_group_is_refused(tmp_path, monkeypatch, demo_dir):
    monkeypatch.setenv("HOTSPOTS_STORE", str(tmp_path / "store"))
    monkeypatch.setattr(common, "sso_claims", lambda: {"email": "eve@example.org", "groups": ["staff"]})
    monkeypatch.setattr(common, "sso_settings", lambda: SSO)
    at = dashboard("public", 60)
    del at.session_state["account"]
    at.run()
    assert any("no role in this dashboard" in i.value for i in at.info) and not at.get("iframe")
    assert [e.action for e in audit.entries(tmp_path / "store")] == ["sign-in-failed"]


def test_the_ward_map_download_is_in_the_audit_trail(tmp_path, monkeypatch, demo_dir):
    monkeypatch.setenv("HOTSPOTS_STORE", str(tmp_path / "store"))  # the audit trail's store (the maps show the demo)
    at = dashboard("councillor", 240)
    at.session_state["view"] = "Values"
    at.query_params["view"] = "Values"
    at.run()
    assert not at.exception, at.exception
    at.download_button[0].click().run()
    [entry] = [e for e in audit.entries(tmp_path / "store") if e.action == "download"]
    assert (entry.role, entry.what["role"]) == ("councillor", "councillor") and entry.what["file"].endswith(".csv")
