"""Leaflet served by this app (Streamlit static serving), so maps draw on a closed network."""

from __future__ import annotations

import importlib.resources
import shutil
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
LEAFLET_URLS = ("/app/static/leaflet/leaflet.js", "/app/static/leaflet/leaflet.css")


def local_leaflet_urls() -> tuple[str, str]:
    """Copy Leaflet from the ``django-js-lib-leaflet`` package into ``static/`` once; return its URLs."""
    target = STATIC_DIR / "leaflet"
    if not (target / "leaflet.js").exists():
        source = importlib.resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
        partial = STATIC_DIR / "leaflet.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for name in ("leaflet.js", "leaflet.css"):
            (partial / name).write_bytes((source / name).read_bytes())
        shutil.copytree(str(source / "images"), partial / "images")
        partial.replace(target)
    return LEAFLET_URLS
