"""Map payload and build time: simplified display wards against an unsimplified baseline.

Run: .venv/bin/python bench/map_payload.py
Prints, for Thurrock and for all of Greater Essex, the bytes of the map HTML and the seconds to
build it, for the display map (shared edges simplified once, coordinates rounded) and for the
same map built from the unsimplified analysis wards, with their ratio. Targets: Thurrock under
300 KB, Greater Essex under 1.5 MB.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from hotspots import geography, maps, settings

LEAFLET = ("/app/static/leaflet/leaflet.js", "/app/static/leaflet/leaflet.css")


def _map_html(areas) -> tuple[int, float]:
    values = pd.Series(np.arange(len(areas), dtype=float), index=areas["ward_code"])
    start = time.perf_counter()
    html = maps.ward_choropleth(areas, values, label="Count", leaflet_urls=LEAFLET).get_root().render()
    return len(html.encode()), time.perf_counter() - start


def main() -> None:
    print(f"{'region':<16}{'map':<14}{'bytes':>12}{'build s':>10}")
    for region, target in (("thurrock", 300_000), ("greater-essex", 1_500_000)):
        display = geography.display_wards(region)
        unsimplified = geography.wards(region).to_crs(settings.DISPLAY_CRS)
        size, seconds = _map_html(display)
        base_size, base_seconds = _map_html(unsimplified)
        print(f"{region:<16}{'display':<14}{size:>12,}{seconds:>10.3f}")
        print(f"{region:<16}{'unsimplified':<14}{base_size:>12,}{base_seconds:>10.3f}")
        verdict = "meets" if size < target else "MISSES"
        print(f"{region:<16}ratio display/unsimplified: size {size / base_size:.2f}, time {seconds / base_seconds:.2f}; "
              f"{verdict} target {target:,} bytes")


if __name__ == "__main__":
    main()
