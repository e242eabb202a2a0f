"""Data: check a file before anything is written, import it, and see what the store holds."""

import streamlit as st

from hotspots import importing, store
from hotspots._errors import DeletionIncompleteError
from ui.common import record, require, text

require("import_and_delete")

SOURCE_LABELS = {
    "police-uk": "police.uk street-level crime (CSV, folder export or monthly zip)",
    "police": "Police recorded crime extract (CSV)",
    "ambulance": "Ambulance call-outs (CSV)",
    "nominals": "Gang nominal register (CSV, restricted)",
    "population": "Ward population by age (CSV)",
    "deprivation": "Deprivation by LSOA or ward (CSV)",
    "counts": "Ward-by-year count table (area_code, period, count)",
    "people": "People known to services by home postcode (CSV, restricted)",
}
INVENTORY_COLUMNS = {"dataset_id": "ID", "kind": "Table", "reader": "Source", "label": "Layer",
                     "original_name": "File", "imported_by": "Imported by", "imported_at": "Imported at (UTC)",
                     "rows_accepted": "Rows stored", "rows_rejected": "Rows rejected",
                     "rows_unplaced": "Rows not placed", "covers": "Months covered",
                     "replaced": "Months replaced by later imports", "synthetic": "Synthetic", "sha256": "SHA-256"}

st.header("Data", divider=False)
target = store.default_store()
st.caption(f"Store: {text(target)} (set `HOTSPOTS_STORE` to use another). Nothing is written until you confirm; "
           "each file is kept exactly as it arrived, with who imported it and when.")

st.subheader("Import a file")
source = st.selectbox("What is in the file?", list(SOURCE_LABELS), format_func=SOURCE_LABELS.get, key="source")
layer = st.text_input("Layer name for this count table", key="layer",
                      placeholder="e.g. knife-crime-u25") if source == "counts" else None
upload = st.file_uploader("File", type=["csv", "zip", "txt"], key="upload")

def discard_check() -> None:
    """Drop the kept check of an upload, and its private copy of the file."""
    kept = st.session_state.pop("checked_upload", None)
    if kept is not None:
        kept["check"].discard()


if upload is None:
    discard_check()
else:
    # Checked once, and kept until the file, the choices above or the store's path change: the import
    # commits this very check (what it read, and what it found shared with the store), unread again.
    checked_as = (upload.file_id, source, layer, str(target))
    if st.session_state.get("checked_upload", {}).get("key") != checked_as:
        discard_check()
        try:  # checked in a private folder in the store: nothing is written to its catalogue yet
            check = importing.check_upload(target, upload.getvalue(), source, name=upload.name, layer=layer or None)
        except ValueError as refused:  # every refusal of ours is a ValueError naming file, line and column
            st.error(f"**Cannot import this file.** {text(refused)}", icon=":material/block:")
            st.stop()
        st.session_state["checked_upload"] = {"key": checked_as, "check": check}
    staged = st.session_state["checked_upload"]["check"].staged
    prepared = staged.prepared
    summary = prepared.summary()
    st.markdown(f"**Validation report for {text(upload.name)}** (nothing written yet)")
    read, accepted, rejected, unplaced = st.columns(4)
    read.metric("Rows read", f"{summary['rows_read']:,}")
    accepted.metric("Rows accepted", f"{summary['rows_accepted']:,}")
    rejected.metric("Rows rejected", f"{summary['rows_rejected']:,}")
    unplaced.metric("Not placed in an area", f"{summary['rows_unplaced']:,}")
    report = importing.report_tables(prepared)
    for note in prepared.notes:
        st.info(text(note), icon=":material/info:")
    if len(report["rejected"]):
        st.markdown("**Rejected rows, by reason** (first lines and values shown)")
        st.dataframe(report["rejected"], hide_index=True)
    if len(report["unmatched_ward_names"]):
        st.markdown("**Ward names that match no ward**")
        st.dataframe(report["unmatched_ward_names"], hide_index=True)
    if len(report["unplaced"]):
        st.markdown("**Rows kept but not placed in an area** (points outside the area, no location, ...)")
        st.dataframe(report["unplaced"], hide_index=True)
    replace, undecided = False, False
    if staged.same_file:
        st.warning(f"This file was already imported as dataset {staged.same_file['dataset_id']}: importing it again "
                   "is refused.", icon=":material/content_copy:")
    elif staged.overlap:
        st.warning(f"**This file overlaps what the store holds**: {text(staged.overlap.describe())}. Importing "
                   "both would count those events twice.", icon=":material/warning:")
        choice = st.radio("What to do with what it shares (choose one)", [True, False], key="replace", index=None,
                          format_func=lambda yes: ("Replace the earlier months and records with this file (newer "
                                                   "outcomes; the earlier file stays on record)") if yes else
                          "Do not import this file")
        replace, undecided = choice is True, choice is None
    accept = False
    if summary["rows_rejected"]:
        accept = st.checkbox(f"Import the {summary['rows_accepted']:,} accepted rows and keep the "
                             f"{summary['rows_rejected']:,} rejected ones on record", key="accept_rejects")
    if st.button("Import into the store", type="primary", key="import", disabled=undecided,
                 help="Choose above what to do with what the file shares with the store." if undecided else None):
        try:
            dataset_id = importing.commit_checked(target, staged, layer=layer or None, accept_rejects=accept,
                                                  replace=replace, user=st.session_state["account"].name)
        except store.StaleCheckError as stale:  # the report above is out of date: the next run checks again
            discard_check()
            st.error(f"**Not imported; the store is unchanged.** {text(stale)}", icon=":material/update:")
            st.button("Check the file again", key="check_again")
        except ValueError as refused:
            st.error(f"**Not imported; the store is unchanged.** {text(refused)}", icon=":material/block:")
        else:
            discard_check()
            record("import", {"dataset": dataset_id, "file": upload.name, "source": source})
            st.success(f"Imported {text(upload.name)} as dataset {dataset_id}. The maps now read your store.",
                       icon=":material/check_circle:")

st.subheader("Loaded datasets")
inventory = store.list_datasets(target)
if inventory.empty:
    st.write("No datasets yet: the maps show the synthetic demo until you import your own.")
    st.stop()
st.dataframe(inventory[list(INVENTORY_COLUMNS)].rename(columns=INVENTORY_COLUMNS), hide_index=True)
chosen = st.selectbox("Dataset", inventory["dataset_id"].tolist(), key="dataset",
                      format_func=lambda i: f"{i}: {inventory.set_index('dataset_id').loc[i, 'original_name']}")
preview, rejects = st.tabs(["First rows", "Rejected rows"])
with preview:
    st.dataframe(store.preview(target, chosen), hide_index=True)
with rejects:
    rejected_rows = store.rejected_rows(target, chosen)
    if len(rejected_rows):
        st.dataframe(rejected_rows, hide_index=True)
    else:
        st.write("None.")
sure = st.checkbox("Yes, delete this dataset and its kept original", key="confirm_delete")
if st.button("Delete dataset", disabled=not sure, key="delete"):
    try:
        store.delete_dataset(target, chosen)
    except DeletionIncompleteError as incomplete:  # out of the records, but files are left: say which
        record("delete", {"dataset": chosen, "files left": True})
        st.error(f"**Deleted incompletely.** {text(incomplete)}", icon=":material/error:")
        st.stop()
    record("delete", {"dataset": chosen})
    st.toast(f"Deleted dataset {chosen}.")
    st.rerun()
