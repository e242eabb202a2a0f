#!/usr/bin/env bash
# Start the dashboard on the built-in SYNTHETIC demo data (built on first run, offline, ~20 s).
source "$(dirname "$0")/_env.sh"
if [ ! -f data/demo/synthetic_police_recorded_crime.csv ]; then
  .venv/bin/python -m hotspots demo build
fi
exec .venv/bin/streamlit run app.py "$@"
