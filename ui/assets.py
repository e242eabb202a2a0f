"""Leaflet served by this app (Streamlit static serving), so maps draw on a closed network."""

from __future__ import annotations

import importlib.resources
import shutil
import threading
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
LEAFLET_URLS = ("/app/static/leaflet/leaflet.js", "/app/static/leaflet/leaflet.css")
_COPY_LOCK = threading.Lock()  # Streamlit runs each browser session in its own thread


def local_leaflet_urls() -> tuple[str, str]:
    """Copy Leaflet from the ``django-js-lib-leaflet`` package into ``static/`` once; return its URLs."""
    target = STATIC_DIR / "leaflet"
    with _COPY_LOCK:
        if not (target / "leaflet.js").exists():
            _copy_leaflet(target)
    return LEAFLET_URLS


def _copy_leaflet(target: Path) -> None:
    """Copy into a scratch folder, then rename, so a half-copied Leaflet is never served."""
    source = importlib.resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    partial = STATIC_DIR / "leaflet.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name in ("leaflet.js", "leaflet.css"):
        (partial / name).write_bytes((source / name).read_bytes())
    shutil.copytree(str(source / "images"), partial / "images")
    partial.replace(target)
