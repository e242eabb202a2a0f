"""The ``hotspots`` command line: ``python -m hotspots --help``."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import tempfile
from pathlib import Path

from hotspots import (accounts, aggregation, audit, backtest, boundaries, count_forecast, csv_export, demo, disclosure,
                      forecast, geography, importing, loading, model_comparison, readers, roles, settings, store,
                      validation, views)
from hotspots._errors import DeletionIncompleteError
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

    load_demo = demo_commands.add_parser("load", help="build the SYNTHETIC demo if needed and import it into a store")
    _store_option(load_demo, default_help="the demo store, " + str(loading.demo_store()))
    load_demo.set_defaults(run=_demo_load)

    imports = commands.add_parser("import", help="validate a file and import it into the store (all or nothing)")
    imports.add_argument("--source", required=True, choices=importing.SOURCES, help="which reader to use")
    imports.add_argument("path", type=Path, help="the file (police-uk: also a folder or the monthly zip archive)")
    imports.add_argument("--layer", default=None, help="counts only: the layer name for this table (default: file name)")
    imports.add_argument("--accept-rejects", action="store_true",
                         help="import the good rows even if some rows have problems; the rejects are kept on record")
    imports.add_argument("--replace", action="store_true",
                         help="where the file covers months (or holds references) already stored, replace the earlier "
                              "ones (the usual case for a re-published police.uk month); without it such a file is refused")
    imports.add_argument("--check", action="store_true",
                         help="print the validation report and the verdict an import would get; write nothing")
    imports.add_argument("--user", default=None, help="who is importing (default: your login name)")
    _store_option(imports)
    imports.set_defaults(run=_import)

    datasets = commands.add_parser("datasets", help="list, preview or delete the datasets in the store")
    datasets.add_argument("--preview", type=int, metavar="ID", help="print the first rows of one dataset")
    datasets.add_argument("--rejects", type=int, metavar="ID", help="print the rows of one dataset that were not imported")
    datasets.add_argument("--delete", type=int, metavar="ID", help="delete one dataset and its kept original")
    _store_option(datasets)
    datasets.set_defaults(run=_datasets)

    counts = commands.add_parser("counts", help="write area_code,period,count for one layer (zero-filled)")
    counts.add_argument("--layer", required=True,
                        help=f"one of {', '.join(aggregation.LAYERS)}, or police-uk:<crime-type>")
    counts.add_argument("--by", choices=["ward", "lsoa"], default="ward")
    counts.add_argument("--region", default=geography.GREATER_ESSEX, help="greater-essex (default) or a local authority")
    counts.add_argument("--period", action="append", default=None, metavar="YYYY/YY",
                        help="financial year to include (repeat for several; default: every year in the data)")
    counts.add_argument("--filter", action="append", default=[], metavar="COLUMN=V1,V2",
                        help=f"keep rows matching; columns {', '.join(aggregation.FILTER_COLUMNS)} "
                             "(e.g. age_band=10-17,18-24 or domestic=false)")
    counts.add_argument("--out", type=Path, required=True, help="output CSV")
    counts.add_argument("--role", default="admin", choices=list(roles.ROLES),
                        help="write the counts as this role sees them (default admin: true values); councillor "
                             "and public get small counts as the rule's words, e.g. 'fewer than 5'")
    _store_option(counts)
    counts.set_defaults(run=_counts)

    forecast = commands.add_parser("forecast", help="prior-two-year rule forecast from a count table")
    forecast.add_argument("--counts", type=Path, required=True, help="CSV with area_code,period,count")
    forecast.add_argument("--target", default=None, help="financial year to forecast, like 2019/20 (default: next)")
    forecast.add_argument("--out", type=Path, required=True, help="output CSV, one row per area")
    forecast.add_argument("--expected-counts", action="store_true",
                          help="add next year's expected count, its 80%% prediction interval (negative binomial) and "
                               "the chance of two or more")
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

    users = commands.add_parser("users", help="dashboard accounts: add, list, set-role, remove").add_subparsers(
        title="users commands")
    add_user = users.add_parser("add", help="add an account; asks for its password twice")
    add_user.add_argument("name")
    add_user.add_argument("--role", required=True, choices=roles.ROLES)
    add_user.add_argument("--password-stdin", action="store_true",
                          help="read the password from piped standard input (one line) instead of asking")
    list_users = users.add_parser("list", help="every account and its role")
    set_role = users.add_parser("set-role", help="give an account another role (ends its sign-ins)")
    set_role.add_argument("name")
    set_role.add_argument("role", choices=roles.ROLES)
    remove_user = users.add_parser("remove", help="remove an account (ends its sign-ins)")
    remove_user.add_argument("name")
    for command, run in ((add_user, _users_add), (list_users, _users_list), (set_role, _users_set_role),
                         (remove_user, _users_remove)):
        command.add_argument("--credentials", type=Path, default=None,
                             help=f"credentials file (default: $HOTSPOTS_CREDENTIALS or {settings.CREDENTIALS_PATH})")
        _store_option(command, default_help="$HOTSPOTS_STORE or " + str(settings.STORE_DIR) + ", for the audit trail")
        command.set_defaults(run=run)

    audit_trail = commands.add_parser("audit", help="list the audit trail; `audit verify` checks its hash chain")
    _store_option(audit_trail)
    audit_trail.set_defaults(run=_audit_list)
    verify = audit_trail.add_subparsers(title="audit commands").add_parser(
        "verify", help="check every entry and its link to the one before; exit 2 at the first bad entry")
    verify.add_argument("--store", type=Path, default=argparse.SUPPRESS, help="store folder (as for `audit`)")
    verify.set_defaults(run=_audit_verify)
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


def _store_option(parser: argparse.ArgumentParser, default_help: str | None = None) -> None:
    parser.add_argument("--store", type=Path, default=None,
                        help=f"store folder (default: {default_help or '$HOTSPOTS_STORE or ' + str(settings.STORE_DIR)})")


def _demo_load(args: argparse.Namespace) -> int:
    target = args.store or loading.demo_store()
    added = loading.load_demo_into(target)
    print(f"imported {len(added)} synthetic demo files into {target}" if added else f"the demo is already in {target}")
    return 0


def _import(args: argparse.Namespace) -> int:
    target = args.store or store.default_store()
    # A check copies the file aside, outside the store; an import copies it into the store.
    with tempfile.TemporaryDirectory() if args.check else store.incoming(target) as folder:
        staged = importing.stage(target, args.path, args.source, Path(folder), layer=args.layer)
        try:
            importing.refuse_unless_importable(staged, accept_rejects=args.accept_rejects, replace=args.replace)
        except ValueError:  # refused: the whole report goes to stderr, in order, before the reason
            print(f"{args.path.name}: nothing imported; the store is unchanged.", file=sys.stderr)
            _print_report(args.path.name, staged, sys.stderr, verb="would be accepted")
            raise
        _print_report(args.path.name, staged, sys.stdout, verb="would be accepted" if args.check else "accepted")
        if args.check:
            print("check only: nothing written; importing it with these options would succeed")
            return 0
        dataset_id = importing.commit(target, staged, user=args.user, layer=args.layer,
                                      accept_rejects=args.accept_rejects, replace=args.replace)
    audit.record(target, user=args.user or getpass.getuser(), role="admin", action="import",
                 what={"dataset": dataset_id, "file": args.path.name, "source": args.source, "via": "command line"})
    print(f"imported as dataset {dataset_id} into {target}")
    if staged.overlap:
        print(f"replaced (kept on record): {staged.overlap.describe().replace(' already holds ', ' held ')}")
    return 0


def _print_report(name: str, staged: importing.Staged, out, *, verb: str) -> None:
    prepared = staged.prepared
    summary = prepared.summary()
    print(f"{name}: {summary['rows_read']:,} rows read, {summary['rows_accepted']:,} {verb}, "
          f"{summary['rows_rejected']:,} rejected, {summary['rows_unplaced']:,} not placed in an area", file=out)
    for reason, count in summary["unplaced_by_reason"].items():
        print(f"  not placed: {reason}: {count:,}", file=out)
    for note in prepared.notes:
        print(f"  note: {note}", file=out)
    for row in validation.grouped_problems(prepared.problems).itertuples():
        print(f"  rejected: column {row.column}: {row.problem}: {row.rows:,} rows (lines {row.example_lines})",
              file=out)
    if staged.overlap:
        print(f"  overlap: {staged.overlap.describe()}", file=out)


def _datasets(args: argparse.Namespace) -> int:
    target = args.store or store.default_store()
    if args.delete is not None:
        try:
            store.delete_dataset(target, args.delete)
        except DeletionIncompleteError:  # out of the records, files left: recorded as such, then reported
            audit.record(target, user=getpass.getuser(), role="admin", action="delete",
                         what={"dataset": args.delete, "via": "command line", "files left": True})
            raise
        audit.record(target, user=getpass.getuser(), role="admin", action="delete",
                     what={"dataset": args.delete, "via": "command line"})
        print(f"deleted dataset {args.delete}")
        return 0
    if args.preview is not None or args.rejects is not None:
        table = store.preview(target, args.preview) if args.preview is not None else store.rejected_rows(target, args.rejects)
        print(table.to_string(index=False))
        return 0
    inventory = store.list_datasets(target)
    if inventory.empty:
        print(f"no datasets in {target}")
        return 0
    columns = ["dataset_id", "kind", "reader", "original_name", "imported_by", "imported_at", "rows_accepted",
               "rows_rejected", "rows_unplaced", "synthetic", "covers", "replaced"]
    print(inventory[columns].to_string(index=False))
    return 0


def _counts(args: argparse.Namespace) -> int:
    target = args.store or store.default_store()
    filters = {}
    for text in args.filter:
        column, _, values = text.partition("=")
        if not values:
            raise ValueError(f"--filter {text!r}: write COLUMN=VALUE[,VALUE...], e.g. age_band=10-17,18-24")
        filters[column.strip()] = [v.strip() for v in values.split(",")]
    periods = [financial_year_from_label(p) for p in args.period] if args.period else None
    rule = disclosure.rule_for(aggregation.resolve_layer(args.layer), roles.role(args.role))  # before any reading
    dataset = loading.load_dataset(target)
    table = aggregation.area_counts(dataset, args.layer, by=args.by, region=args.region, periods=periods, filters=filters)
    shown = views.disclosed_area_counts(table, rule)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(csv_export.table_csv(shown))
    months = aggregation.months_covered(dataset, args.layer)
    for label in sorted(set(table["period"])):
        held = None if months is None else months.get(financial_year_from_label(label), 0)
        if held is not None and held < 12:
            print(f"note: {label} covers {held} of 12 months of the source's data: its counts are not a whole "
                  "year's (the dashboard's forecast leaves such years out)", file=sys.stderr)
    events = (f"{table['count'].sum():,} events" if rule.shows_true_values else
              f"small counts shown as {rule.suppressed_text!r}, as the {args.role} role sees them")
    print(f"wrote {len(table):,} rows ({table['area_code'].nunique()} {args.by}s x {table['period'].nunique()} years, "
          f"{events}) to {args.out}")
    return 0


def _forecast(args: argparse.Namespace) -> int:
    counts = readers.count_table(args.counts)  # any area codes: no boundaries say which areas there are
    target = None if args.target is None else financial_year_from_label(args.target)
    result = forecast.forecast_rule(counts, target_year=target)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for row in result.not_forecast.itertuples():
        print(f"not forecast: {row.area_code}: {row.reason}", file=sys.stderr)
    columns = ["area_code", "prior_two_year_count", "band", "probability", "lower", "upper", "risk_band", "explanation"]
    table = result.areas[columns]
    if args.expected_counts:
        expected = count_forecast.count_forecast(counts, target_year=result.target_year)
        for note in expected.notes:
            print(f"note: {note}", file=sys.stderr)
        table = table.merge(expected.areas, on="area_code", how="left")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(csv_export.table_csv(table, float_format="%.4f"))
    print(f"wrote {len(result.areas)} areas' forecasts for {financial_year_label(result.target_year)} to {args.out}")
    return 0


def _backtest(args: argparse.Namespace) -> int:
    neighbours = area_sizes = area_codes = None
    if args.boundaries is not None:  # then the counts and population must be of these areas
        areas = boundaries.boundaries_from_file(args.boundaries)
        neighbours, area_sizes = boundaries.queen_neighbours(areas), areas.set_index("area_code").area
        area_codes = areas["area_code"]
    counts = readers.count_table(args.counts, area_codes=area_codes)
    population = None if args.population is None else readers.population_table(args.population, area_codes=area_codes)
    for missing, what in ((population, "--population"), (args.boundaries, "--boundaries")):
        if missing is None:
            print(f"note: no {what}: the parts that need it are left out", file=sys.stderr)
    result = backtest.backtest(counts, population=population, neighbours=neighbours, area_sizes=area_sizes,
                               top_share=args.top_share)
    args.out.write_text(json.dumps(backtest.metrics_json(result), indent=2))
    ranked = model_comparison.model_ranking(result).set_index("model")  # best (lowest log loss) first
    print(ranked[["log_loss", "log_loss_recalibrated", "brier", "auc", "hit_rate", "largest_gap"]].round(3).to_string())
    best = ranked.index[0]
    if best != "rule":
        difference = model_comparison.paired_difference(result.predictions, best, "rule")
        for row in difference.itertuples():
            print(f"{best} minus rule, {row.metric}: {row.difference:+.4f} "
                  f"({settings.PAIRED_INTERVAL_LEVEL:.0%} interval {row.lower:+.4f} to {row.upper:+.4f})")
        print(f"{best} is {model_comparison.verdict(difference)}")
    print(f"wrote {args.out}")
    return 0


def _users_add(args: argparse.Namespace) -> int:
    path = args.credentials or accounts.default_credentials_path()
    account = accounts.add_user(path, args.name, args.role, _new_password(from_stdin=args.password_stdin))
    _record_account_change(args, "user-added", {"name": account.name, "role": account.role})
    print(f"added {account.name} ({account.role}) to {path}")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    path = args.credentials or accounts.default_credentials_path()
    listed = accounts.list_accounts(path)
    for account in listed:
        print(f"{account.name}  {account.role}")
    if not listed:
        print(f"no accounts in {path}")
    return 0


def _users_set_role(args: argparse.Namespace) -> int:
    path = args.credentials or accounts.default_credentials_path()
    account, previous = accounts.set_role(path, args.name, args.role)
    _record_account_change(args, "role-changed", {"name": account.name, "from": previous, "to": account.role})
    print(f"{account.name}: {previous} -> {account.role}")
    return 0


def _users_remove(args: argparse.Namespace) -> int:
    path = args.credentials or accounts.default_credentials_path()
    account = accounts.remove_user(path, args.name)
    _record_account_change(args, "user-removed", {"name": account.name, "role": account.role})
    print(f"removed {account.name} ({account.role}) from {path}")
    return 0


def _new_password(*, from_stdin: bool) -> str:
    """The new password: one line of piped input, or asked for twice at the terminal (never an argument)."""
    if from_stdin:
        if sys.stdin.isatty():
            raise ValueError("--password-stdin reads a piped password: at a terminal, leave it out and be asked.")
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("No terminal to ask for the password at: pipe it in with --password-stdin.")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise ValueError("The two passwords differ: nothing was changed. Run the command again.")
    return password


def _record_account_change(args: argparse.Namespace, action: str, what: dict) -> None:
    """The command line acts with the credentials file's own rights: recorded as an admin, by login name."""
    audit.record(args.store or store.default_store(), user=getpass.getuser(), role="admin", action=action,
                 what={**what, "via": "command line"})


def _audit_list(args: argparse.Namespace) -> int:
    target = args.store or store.default_store()
    listed = audit.entries(target)
    for entry in listed:
        print(f"{entry.number:>6}  {entry.time:%Y-%m-%d %H:%M:%S} UTC  {_printable(entry.user or '-')}  "
              f"{_printable(entry.role or '-')}  {entry.action}  {json.dumps(entry.what, sort_keys=True)}")
    if not listed:
        print(f"no audit entries in {target}")
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    target = args.store or store.default_store()
    check = audit.verify(target)
    if not check.ok:
        print(f"hotspots: {audit.audit_path(target)}: {check.problem} (the {check.entries} entries before it are "
              f"intact)", file=sys.stderr)
        return 2
    print(f"audit trail intact: {check.entries} entries; last hash {check.last_hash}")
    return 0


def _printable(text: str) -> str:
    """Text as it is, with control characters (terminal escapes) written out instead of obeyed."""
    return "".join(character if character.isprintable() else repr(character)[1:-1] for character in text)
