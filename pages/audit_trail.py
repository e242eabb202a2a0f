"""Audit trail (admins): every sign-in, import, deletion and download, and whether the chain is intact."""

import pandas as pd
import streamlit as st

from hotspots import audit, store
from hotspots._errors import AuditError
from ui.common import require, text

require("read_audit")

st.header("Audit trail", divider=False)
target = store.default_store()
check = audit.verify(target)
if check.ok:
    st.success(f"The trail is intact: {check.entries:,} entries, each linked to the one before. Last hash "
               f"`{check.last_hash}` (note it elsewhere from time to time: a later trail must still hold it).",
               icon=":material/verified:")
else:
    st.error(f"**The trail is damaged at line {check.first_bad_line}**: {text(check.problem)}. The "
             f"{check.entries:,} entries before it are intact. See docs/access.md before repairing it.",
             icon=":material/gpp_bad:")
try:
    listed = audit.entries(target)
except AuditError as unreadable:  # a line that is not an entry at all: verify's message above names it
    st.warning(f"The entries cannot be listed until the damaged line is repaired: {text(unreadable)}")
    st.stop()
if not listed:
    st.write(f"No audit entries yet in {text(audit.audit_path(target))}.")
    st.stop()
table = pd.DataFrame([{"number": e.number, "time (UTC)": e.time.strftime("%Y-%m-%d %H:%M:%S"), "user": e.user,
                       "role": e.role, "action": e.action,
                       "what": ", ".join(f"{key}: {value}" for key, value in e.what.items())}
                      for e in reversed(listed)])
actions = st.multiselect("Actions", sorted(table["action"].unique()), key="audit_actions",
                         placeholder="All actions")
st.dataframe(table[table["action"].isin(actions)] if actions else table, hide_index=True)
