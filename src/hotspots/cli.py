"""The ``hotspots`` command line: ``python -m hotspots --help``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from hotspots import backtest, boundaries, demo, forecast, geography, settings
from hotspots.periods import financial_year_from_label, financial_year_label


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the process exit code (2 for a usage or input error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except ValueError as error:  # our named errors all subclass ValueError and say what to do
        print(f"hotspots: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotspots", description="Ward-level youth violence maps and forecasts.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    commands = parser.add_subparsers(title="commands")

    geo = commands.add_parser("geo", help="built-in geography").add_subparsers(title="geo commands")
    export = geo.add_parser("export", help="write built-in wards or LSOAs (EPSG:27700) to a file")
    export.add_argument("--region", default="thurrock",
                        help="thurrock, greater-essex, or a local authority code or name (default thurrock)")
    export.add_argument("--level", choices=["ward", "lsoa"], default="ward")
    export.add_argument("--out", type=Path, required=True, help="output file (.geojson or .gpkg)")
    export.set_defaults(run=_geo_export)
    load = geo.add_parser("load", help="check a boundary file (GeoJSON, GeoPackage, zipped Shapefile) and save it standardised")
    load.add_argument("path", type=Path)
    load.add_argument("--code-column", default=None, help="area code column (detected if not given)")
    load.add_argument("--name-column", default=None, help="area name column (detected if not given)")
    load.add_argument("--out", type=Path, required=True, help="output file (.geojson or .gpkg), EPSG:27700")
    load.set_defaults(run=_geo_load)
    download = geo.add_parser("download", help="download a local authority's wards from the ONS portal (online)")
    download.add_argument("--lad", required=True, help="local authority code, e.g. E06000034")
    download.add_argument("--year", type=int, default=2023, help=f"one of {boundaries.ONS_WARD_YEARS}")
    download.add_argument("--out", type=Path, required=True, help="output file (.geojson or .gpkg), EPSG:27700")
    download.set_defaults(run=_geo_download)

    demo_commands = commands.add_parser("demo", help="synthetic demo dataset").add_subparsers(title="demo commands")
    build = demo_commands.add_parser("build", help="write the SYNTHETIC demo dataset (seeded, identical every run)")
    build.add_argument("--out", type=Path, default=None, help=f"folder (default {settings.DEMO_DIR})")
    build.add_argument("--seed", type=int, default=None, help=f"random seed (default {settings.SEED})")
    build.set_defaults(run=_demo_build)

    forecast = commands.add_parser("forecast", help="prior-two-year rule forecast from a count table")
    forecast.add_argument("--counts", type=Path, required=True, help="CSV with area_code,period,count")
    forecast.add_argument("--target", default=None, help="financial year to forecast, like 2019/20 (default: next)")
    forecast.add_argument("--out", type=Path, required=True, help="output CSV, one row per area")
    forecast.set_defaults(run=_forecast)

    backtest = commands.add_parser("backtest", help="rolling-origin backtest of the rule against other models")
    backtest.add_argument("--counts", type=Path, required=True, help="CSV with area_code,period,count")
    backtest.add_argument("--population", type=Path, default=None,
                          help="CSV with area_code,period,population (for the regressions' offset)")
    backtest.add_argument("--boundaries", type=Path, default=None,
                          help="area boundaries (for the spatial lag and PAI by land area)")
    backtest.add_argument("--top-share", type=float, default=0.1, help="share of areas flagged for hit rate and PAI")
    backtest.add_argument("--out", type=Path, required=True, help="output METRICS.json")
    backtest.set_defaults(run=_backtest)
    return parser


def _geo_export(args: argparse.Namespace) -> int:
    areas = geography.wards(args.region) if args.level == "ward" else geography.lsoas(args.region)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    areas.to_file(args.out, driver="GPKG" if args.out.suffix == ".gpkg" else "GeoJSON")
    print(f"wrote {len(areas)} {args.level}s to {args.out}")
    return 0


def _geo_load(args: argparse.Namespace) -> int:
    areas = boundaries.boundaries_from_file(args.path, code_column=args.code_column, name_column=args.name_column)
    return _write_areas(areas, args.out, repaired=areas.attrs["repaired_features"])


def _geo_download(args: argparse.Namespace) -> int:
    areas = boundaries.download_ons_wards(args.lad, args.year)
    return _write_areas(areas, args.out, repaired=areas.attrs["repaired_features"])


def _write_areas(areas, out: Path, *, repaired: list[int]) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    areas.to_file(out, driver="GPKG" if out.suffix == ".gpkg" else "GeoJSON")
    if repaired:
        print(f"repaired invalid geometry in features {repaired}", file=sys.stderr)
    print(f"wrote {len(areas)} areas to {out}")
    return 0


def _demo_build(args: argparse.Namespace) -> int:
    paths = demo.build_demo(args.out, seed=args.seed)
    for path in paths.values():
        print(f"wrote {path}")
    return 0


def _forecast(args: argparse.Namespace) -> int:
    counts = forecast.read_count_table(args.counts)
    target = None if args.target is None else financial_year_from_label(args.target)
    result = forecast.forecast_rule(counts, target_year=target)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for row in result.not_forecast.itertuples():
        print(f"not forecast: {row.area_code}: {row.reason}", file=sys.stderr)
    columns = ["area_code", "prior_two_year_count", "band", "probability", "lower", "upper", "risk_band", "explanation"]
    result.areas[columns].to_csv(args.out, index=False, float_format="%.4f")
    print(f"wrote {len(result.areas)} areas' forecasts for {financial_year_label(result.target_year)} to {args.out}")
    return 0


def _backtest(args: argparse.Namespace) -> int:
    counts = forecast.read_count_table(args.counts)
    population = None if args.population is None else forecast.read_population_table(args.population)
    neighbours = area_sizes = None
    if args.boundaries is not None:
        areas = boundaries.boundaries_from_file(args.boundaries)
        neighbours, area_sizes = boundaries.queen_neighbours(areas), areas.set_index("area_code").area
    for missing, what in ((population, "--population"), (args.boundaries, "--boundaries")):
        if missing is None:
            print(f"note: no {what}: the parts that need it are left out", file=sys.stderr)
    result = backtest.backtest(counts, population=population, neighbours=neighbours, area_sizes=area_sizes,
                               top_share=args.top_share)
    args.out.write_text(json.dumps(backtest.metrics_json(result), indent=2))
    means = result.metrics.groupby("model", sort=False)[["brier", "auc", "hit_rate"]].mean()
    print(means.round(3).to_string())
    print(f"wrote {args.out}")
    return 0
