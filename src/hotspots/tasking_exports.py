"""The Op Grip meeting's outputs: the areas as CSV and as a GeoPackage, and the PDF briefing pack.

All are built on the server from a :class:`hotspots.tasking_view.TaskingView`, offline: the map
and the "when" chart are drawn with matplotlib (Agg, no tiles), the GeoPackage is written by
pyogrio (EPSG:27700, for the force's GIS or QGIS) and the pack by :class:`PdfDocument`, marked
``settings.GRIP_PACK_MARKING`` on every page. Nothing here asks a browser or the network. The
page audits every download (``ui.common.audited_download``).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from hotspots import csv_export, geography, settings, tasking
from hotspots.pdf_document import PdfDocument
from hotspots.tasking import Tracking
from hotspots.tasking_view import TaskingView

GEOPACKAGE_LAYER = "tasking_areas"
#: Columns of the areas' CSV and GeoPackage (``cell_ids`` space-separated, best cell first).
AREA_COLUMNS = ["area_number", "cells", "cell_ids", "events", "harm", "events_share", "harm_share", "area_share",
                "pai", "area_m2", "centre_easting", "centre_northing"]
_AREA_COLOUR, _DISTRICT_EDGE, _WARD_EDGE = "#c0392b", "#4d4d4d", "#b3b3b3"
_WHEN_COLOURS = LinearSegmentedColormap.from_list("when", ["#f7f7f7", "#fdae61", "#d7191c"])


@dataclass(frozen=True)
class BriefingContext:
    """What the pack says beside the view: the meeting's date, the districts (their name, their
    wards' polygons for the map), the data's sources, who prepared it and what changed (against
    the previous window or a saved list; None: nothing to compare)."""

    meeting_date: date
    districts_label: str
    wards: gpd.GeoDataFrame
    sources: tuple[str, ...]
    prepared_by: str
    changes: Tracking | None
    changes_against: str


def data_sources(datasets: pd.DataFrame, source: str) -> tuple[str, ...]:
    """The stored files of ``source`` (``store.list_datasets``'s rows), as the pack names them:
    ``"extract.csv (imported 02 Apr 2024 by alice)"``, synthetic ones said to be."""
    rows = datasets[datasets["kind"].eq("events") & datasets["reader"].eq(source)]
    return tuple(f"{row.original_name} (imported {pd.Timestamp(row.imported_at):%d %b %Y} by {row.imported_by}"
                 f"{', SYNTHETIC' if row.synthetic else ''})" for row in rows.itertuples())


def areas_table(view: TaskingView) -> pd.DataFrame:
    """One row per patrol area: ``AREA_COLUMNS`` (shares of all events and harm in the window,
    of the districts' area, PAI; the area's centre in EPSG:27700)."""
    capture = view.capture.dropna(subset=["area_number"]).astype({"area_number": int})
    centres = view.areas.geometry.representative_point()
    table = view.areas[["area_number", "cells", "events", "harm", "area_m2"]].assign(
        cell_ids=[" ".join(cells) for cells in view.areas["cell_ids"]],
        centre_easting=np.round(centres.x.to_numpy()), centre_northing=np.round(centres.y.to_numpy()))
    shares = capture[["area_number", "events_share", "harm_share", "area_share", "pai"]]
    return pd.DataFrame(table.merge(shares, on="area_number", how="left")[AREA_COLUMNS])


def areas_csv(view: TaskingView) -> bytes:
    """The areas' table as UTF-8 CSV, formula cells made text (``csv_export``)."""
    return csv_export.table_csv(areas_table(view))


def areas_geopackage(view: TaskingView) -> bytes:
    """The areas as a GeoPackage (layer ``tasking_areas``, EPSG:27700) with the table's columns."""
    frame = gpd.GeoDataFrame(areas_table(view), geometry=view.areas.geometry.to_numpy(), crs=settings.ANALYSIS_CRS)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tasking_areas.gpkg"
        frame.to_file(path, layer=GEOPACKAGE_LAYER, driver="GPKG", engine="pyogrio")
        return path.read_bytes()


def areas_map_png(areas: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, *, dpi: int | None = None) -> bytes:
    """A static map of the patrol areas, numbered, over ward boundaries named for orientation
    (districts named instead when the frame holds many wards; no tiles): zoomed to the areas with
    a margin, in EPSG:27700, with a scale bar."""
    wards = wards.to_crs(settings.ANALYSIS_CRS)
    x0, y0, x1, y1 = _framed(areas.total_bounds if len(areas) else wards.total_bounds)
    figure = Figure(figsize=(7.5, 6.2))
    axes = figure.add_axes((0, 0, 1, 1))
    frame = shapely.box(x0, y0, x1, y1)
    shown = wards[wards.intersects(frame)]
    shown.boundary.plot(ax=axes, color=_WARD_EDGE, linewidth=0.6)
    districts = wards.dissolve(by="lad_code", as_index=False)
    # more wards in the frame than are legible at A4: the districts are named instead
    named = shown if len(shown) <= settings.GRIP_PACK_MOST_WARD_NAMES else districts[districts.intersects(frame)]
    names = named["ward_name"] if named is shown else named["lad_code"].map(geography.LOCAL_AUTHORITIES)
    for name, point in zip(names, named.geometry.intersection(frame).representative_point()):
        axes.annotate(str(name), (point.x, point.y), fontsize=6, color="#7f7f7f", ha="center", va="center")
    districts.boundary.plot(ax=axes, color=_DISTRICT_EDGE, linewidth=1.2)
    areas.plot(ax=axes, color=_AREA_COLOUR, edgecolor=_AREA_COLOUR, linewidth=1.5)
    centres = areas.geometry.representative_point()
    axes.scatter(centres.x, centres.y, s=160, facecolors="none", edgecolors=_AREA_COLOUR, linewidths=1.5)
    for number, point in zip(areas["area_number"], centres):  # beside the ring: a 150 m cell is a dot at this scale
        axes.annotate(str(int(number)), (point.x, point.y), xytext=(9, 9), textcoords="offset points", fontsize=9,
                      fontweight="bold", ha="center", va="center", color="white",
                      bbox={"boxstyle": "circle,pad=0.25", "facecolor": "#1a1a1a", "linewidth": 0})
    _scale_bar(axes, x0, y0, x1, y1)
    axes.set_xlim(x0, x1)
    axes.set_ylim(y0, y1)
    axes.set_aspect("equal")
    axes.set_axis_off()
    return _png(figure, dpi)


def when_chart_png(when: pd.DataFrame, *, dpi: int | None = None) -> bytes:
    """The day-of-week by hour heat map of ``when`` (``tasking.when_table``), counts in the cells."""
    counts = when.pivot(index="day_number", columns="hour", values="events").reindex(index=range(7), columns=range(24))
    figure = Figure(figsize=(7.5, 2.8))
    axes = figure.add_axes((0.1, 0.2, 0.88, 0.72))
    axes.imshow(counts.to_numpy(), cmap=_WHEN_COLOURS, aspect="auto")
    for (day, hour), value in np.ndenumerate(counts.to_numpy()):
        if value:
            axes.text(hour, day, str(int(value)), ha="center", va="center", fontsize=5)
    axes.set_yticks(range(7), [d[:3] for d in tasking.DAYS], fontsize=7)
    axes.set_xticks(range(24), [f"{h:02d}" for h in range(24)], fontsize=6)
    axes.set_xlabel("Hour of day (events in the selected areas)", fontsize=7)
    return _png(figure, dpi)


def briefing_pack(view: TaskingView, context: BriefingContext) -> bytes:
    """The printable briefing pack (A4 PDF): marking on every page, the meeting's date, the data
    window and sources, the numbered map, the areas' table, the "when" chart, what changed, the
    exclusions with their reasons, and a note on the method."""
    document = PdfDocument(f"Op Grip tasking: {context.districts_label}", marking=settings.GRIP_PACK_MARKING,
                           subtitle=f"Briefing pack for the meeting of {context.meeting_date:%d %B %Y}")
    if view.synthetic:
        document.paragraph("SYNTHETIC demo data: every record is generated, none is real. Not for deployment.")
    document.key_values(_facts(view, context))
    document.heading("Selected areas")
    document.image(areas_map_png(view.areas, context.wards),
                   caption="Patrol areas numbered by harm (1 = most). Grey lines: ward boundaries; dark: districts.")
    document.table(["Area", "Cells", "Events", "Harm", "Share of harm", "Share of area", "PAI", "Centre (E, N)"],
                   _area_rows(view), col_widths=(0.6, 0.6, 0.8, 0.8, 1, 1, 0.8, 1.8))
    document.heading("When")
    if view.when is None:
        document.paragraph("No times in these data: the day-of-week by hour chart needs a time of day per event.")
    else:
        document.image(when_chart_png(view.when), caption="Events in the selected areas by day of week and hour.")
    document.heading("What changed")
    document.paragraph(_changes_text(context))
    if context.changes is not None:
        document.table(["Status", "Area", "Shares cells with (before)", "Cells"], _change_rows(context.changes),
                       col_widths=(1, 0.6, 1.2, 3))
    document.heading("Exclusions")
    document.paragraph("None." if not view.tasking_list.exclusions else "Cells left out by hand, with why:")
    if view.tasking_list.exclusions:
        document.table(["Cell", "Reason"], [[e.cell_id, e.reason] for e in view.tasking_list.exclusions],
                       col_widths=(1, 3))
    document.heading("Method")
    for line in (_method_note(view), *view.notes):
        document.paragraph(line)
    return document.to_bytes()


def _facts(view: TaskingView, context: BriefingContext) -> list[tuple[str, str]]:
    whole = view.whole_selection
    return [("Meeting", f"{context.meeting_date:%d %B %Y}"), ("Districts", context.districts_label),
            ("Data window", view.window.label), ("Offences", ", ".join(view.offences)),
            ("Sources", "; ".join(context.sources) or view.source),
            ("Micro-areas", _grid_label(view)), ("Areas", f"{len(view.areas)} ({int(whole['cells'])} cells)"),
            ("They hold", f"{whole['harm_share']:.1%} of harm and {whole['events_share']:.1%} of events "
                          f"on {whole['area_share']:.2%} of the area (PAI {whole['pai']:.1f})"),
            ("Prepared by", context.prepared_by)]


def _area_rows(view: TaskingView) -> list[list[str]]:
    return [[str(row.area_number), str(row.cells), str(row.events), f"{row.harm:g}", f"{row.harm_share:.1%}",
             f"{row.area_share:.3%}", f"{row.pai:.1f}", f"{row.centre_easting:.0f}, {row.centre_northing:.0f}"]
            for row in areas_table(view).itertuples()]


def _changes_text(context: BriefingContext) -> str:
    changes = context.changes
    if changes is None:
        return f"Nothing to compare with: {context.changes_against}."
    counts = changes.areas["status"].value_counts()
    return (f"Against {context.changes_against} ({changes.previous_window.label}): "
            f"{counts.get(tasking.NEW, 0)} new, {counts.get(tasking.PERSISTING, 0)} persisting and "
            f"{counts.get(tasking.DROPPED, 0)} dropped areas; {changes.jaccard:.0%} of the cells in either list "
            "are in both.")


def _change_rows(changes: Tracking) -> list[list[str]]:
    return [[row.status, str(row.area_number), ", ".join(str(n) for n in row.previous_area_numbers),
             " ".join(row.cell_ids)] for row in changes.areas.itertuples()]


def _grid_label(view: TaskingView) -> str:
    areas = view.micro_areas
    if areas.level == "lsoa":
        return "LSOAs (2011)"
    return (f"{areas.cell_size_m} m squares on the British National Grid (EPSG:27700), anchored at its origin "
            f"(grid {areas.grid_key})")


def _method_note(view: TaskingView) -> str:
    weighting = ("each event weighted by its offence's harm weight (" + ", ".join(
        f"{group} {weight:g}" for group, weight in view.harm_weights.items()) + ")"
                 if view.harm_weights is not None else "each event counted once")
    return (f"Cells are ranked by harm in the window, {weighting}; ties are broken by events, then by cell id. The "
            f"top {view.tasking_list.n} cells with events that were not excluded are selected, and touching cells "
            "are merged into patrol areas. PAI (the Problem Analysis Index) is the share of harm the areas hold "
            "divided by the share of the districts' area they cover: 1 is no concentration.")


def _framed(bounds: Sequence[float], margin_m: float = 600.0, smallest_m: float = 2500.0) -> tuple[float, ...]:
    """``bounds`` widened by a margin to at least ``smallest_m`` across, as a 7.5:6.2 frame."""
    x0, y0, x1, y1 = bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    width = max(x1 - x0 + 2 * margin_m, smallest_m, (y1 - y0 + 2 * margin_m) * 7.5 / 6.2)
    height = width * 6.2 / 7.5
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


def _scale_bar(axes, x0: float, y0: float, x1: float, y1: float) -> None:
    length = 1000.0 if x1 - x0 > 3000 else 500.0
    left, bottom = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    axes.plot([left, left + length], [bottom, bottom], color="black", linewidth=2.5)
    axes.annotate(f"{length / 1000:g} km", (left + length / 2, bottom + 0.015 * (y1 - y0)), ha="center", fontsize=7)


def _png(figure: Figure, dpi: int | None) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi or settings.GRIP_PACK_DPI)
    return buffer.getvalue()
