#!/usr/bin/env bash
# Start the dashboard on the built-in SYNTHETIC demo data (built and imported on first run, offline, ~30 s).
# Pages show the demo until datasets are imported into your store ($HOTSPOTS_STORE) on the Data page.
source "$(dirname "$0")/_env.sh"
.venv/bin/python -m hotspots demo load
exec .venv/bin/streamlit run app.py "$@"
