"""Settings read by the package at call time.

Change a value by assignment (``hotspots.settings.SEED = 7``); functions read
``settings.X`` when they run, so the change takes effect at once.

ANALYSIS_CRS : str
    British National Grid (``"EPSG:27700"``): every area and distance is computed in it.
DISPLAY_CRS : str
    WGS84 (``"EPSG:4326"``): what web maps are drawn in.
DISPLAY_SIMPLIFY_METRES : float
    Tolerance for simplifying shared ward edges once for display (default 40 m).
DISPLAY_COORDINATE_DECIMALS : int
    Decimal places kept in display coordinates (5 places is about 1 m).
CACHE_DIR : pathlib.Path
    Where derived geography is cached (``$HOTSPOTS_CACHE``, default ``~/.cache/ward-hotspots``).
DEMO_DIR : pathlib.Path
    Folder of the synthetic demo dataset (``$HOTSPOTS_DEMO_DIR``, default ``data/demo`` in the
    repository).
STORE_DIR : pathlib.Path
    Default data store folder when ``$HOTSPOTS_STORE`` is not set (``~/.local/share/ward-hotspots/store``).
BASEMAP : bool
    Whether maps open with street tiles, the only outside address the dashboard asks for
    (``$HOTSPOTS_BASEMAP``: ``off`` for a closed network; default on). Users can switch them per session.
SEED : int
    Seed for the demo generator and for permutation inference.
FIRST_DEMO_YEAR, LAST_DEMO_YEAR : int
    Start years of the first and last financial years of the demo data (2014 is 2014/15).
MAX_UNZIPPED_BYTES : int
    Most bytes the members read from one zip archive may expand to, in all (default 2 GiB).
    Counted while decompressing, so a small archive that expands to gigabytes (a zip bomb) is
    refused after reading 2 GiB at most; the Data page takes 1 GB uploads, and police.uk's
    yearly Essex download (about 300 MB unzipped) fits many times over. A bigger archive can be
    unzipped and its folder imported.
CREDENTIALS_PATH : pathlib.Path
    The accounts file when ``$HOTSPOTS_CREDENTIALS`` is not set
    (``~/.config/ward-hotspots/credentials.json``, outside the repository). Its signing secret,
    sign-in state and lock file are kept beside it (see docs/access.md).
MIN_PASSWORD_LENGTH : int
    Shortest password ``hotspots users add`` accepts (default 12 characters).
PASSWORD_HASH_TIME_COST, PASSWORD_HASH_MEMORY_KIB, PASSWORD_HASH_PARALLELISM : int
    Argon2id parameters for new password hashes (default 3 passes over 64 MiB on 4 lanes,
    argon2-cffi's own defaults, RFC 9106's second recommendation). A stored hash made with other
    parameters is rehashed with these at the user's next sign-in.
SIGN_IN_MAX_FAILURES : int
    Failed sign-ins in a row after which a name is locked (default 5). A failure older than
    ``SIGN_IN_LOCKOUT_MINUTES`` is forgotten.
SIGN_IN_LOCKOUT_MINUTES : float
    How long a locked name stays locked (default 15 minutes).
SESSION_IDLE_MINUTES : float
    A sign-in unused for this long has ended (``$HOTSPOTS_SESSION_IDLE_MINUTES``, default 30
    minutes of inactivity: no page load and no interaction).
ANONYMOUS_PUBLIC : bool
    Whether a visitor who does not sign in gets the ``public`` role (``$HOTSPOTS_ANONYMOUS_PUBLIC``
    ``on``; default off: they get nothing but the sign-in page).
DISCLOSURE_RULES : dict[str, dict]
    The small-count rules (see docs/disclosure.md), by name: ``smallest_shown`` (the smallest
    count shown; 1 up to it is suppressed), ``rounding_base`` (shown counts are rounded to the
    nearest multiple, halves up; 1 means exact) and ``suppressed_text`` (the words shown instead).
    ``police``: 1-4 shown as "fewer than 5", the rest exact. ``health``: 1-7 shown as "fewer than
    8", the rest rounded to the nearest 5 (the NHS rule for sub-national health statistics).
    Zero is always shown as 0 and no data as "no data". A rule whose smallest count rounds below
    itself (7 to the nearest 5 is 5) is refused: a shown 5 would then mean exactly 7.
DISCLOSURE_RULE_OF_SOURCE : dict[str, str]
    Which rule a layer's source uses: police-recorded sources (``police``, ``police-uk``, the
    register of ``nominals``, imported ``counts`` tables) the police rule, ``ambulance`` the
    health rule. A source without an entry is refused rather than shown unsuppressed.
DISCLOSURE_RULE_OF_COUNT_TABLE : dict[str, str]
    Rules for imported count tables by table name (the ``counts:<name>`` layer), overriding the
    ``counts`` source's rule: e.g. ``{"knife-callouts": "health"}`` for a table of health counts.
GRIP_CELL_SIZE_M, GRIP_CELL_SIZE_RANGE_M : int, tuple[int, int]
    Op Grip micro-area grid (docs/tasking.md): the default cell side (150 m, the Essex pilot's)
    and the sides allowed (100 to 500 m); any other is refused with a message.
GRIP_TOP_N : int
    How many micro-areas targeting selects by default (11, as Thurrock runs).
GRIP_WINDOW_MONTHS : int
    The targeting window: the last 12 months to the latest data by default.
GRIP_BUFFER_M : float
    Width of the ring around chosen areas in which "testing" looks for displacement (100 m).
GRIP_OFFENCES : dict[str, tuple[str, ...]]
    Default offence set per source: force extracts ``police`` violence with injury and possession
    of weapons; ``police-uk`` (which cannot separate violence with injury) violence and sexual
    offences, possession of weapons and robbery.
GRIP_DIAGONAL_NEIGHBOURS : bool
    Whether selected cells that meet only at a corner join one patrol area (default True: a
    patrol walks across a street corner).
GRIP_HALF_LIFE_MONTHS : float
    Half-life of the recency-weighted count in the methods' backtest (3 months).
GRIP_KDE_BANDWIDTH_M : float
    Standard deviation of the Gaussian kernel of the kernel density method (200 m).
GRIP_BACKTEST_HORIZON_MONTHS, GRIP_BACKTEST_ORIGINS : int
    The methods' backtest scores each pick on the next 3 months, at 24 monthly origins.
EMERGING_PERMUTATIONS : int
    Permutations of each financial year's Gi* in the emerging hot spots (default 999,
    as the ward map's Gi*: every value rearranged), drawn from ``SEED`` (docs/hotspot-statistics.md).
EMERGING_ALPHA : float
    Significance level of each year's Gi* and of the Mann-Kendall trend (default 0.05).
EMERGING_MIN_YEARS : int
    Fewest financial years analysed for emerging hot spots (default 5: with four or fewer the
    Mann-Kendall test can never reach p <= 0.05).
WARD_SUMMARY_LAYERS : tuple[str, ...]
    The layers the councillor's ward summary (the "Your ward" page) describes, in order, where the
    store holds them. For roles with small counts suppressed, a layer counting part of an earlier
    one (stab/knife/gunshot call-outs within all violent-injury call-outs) is left out: one shown
    beside the other lets a suppressed part be worked out (docs/disclosure.md).
WARD_SUMMARY_YEARS : int
    Financial years in each of the ward summary's periods (default 2, the report's window, which
    is also the forecast's prior two years): the last whole years the layer's source covers.
GRIP_PACK_MARKING : str
    Protective marking printed at the head and foot of every page of the Op Grip briefing pack
    (``"OFFICIAL-SENSITIVE"``: it names places and times of police patrols).
GRIP_PACK_DPI : int
    Resolution of the pack's map and "when" chart images (150 dots per inch: sharp on A4,
    quick to build).

Locality wards (issue 15; docs/locality.md). The lists of people known to services (source
``people``) follow the police rule, like the register.

LOCALITY_DEFAULT_MEASURES : tuple[str, ...]
    Measures ticked when the page opens, where the store has them: layer keys, and ``forecast``.
LOCALITY_FORECAST_LAYER : str
    The layer whose prior-two-year rule gives the ``forecast`` measure, the chance of at least one
    next year (default ``ambulance-knife``, the report's forecast).
LOCALITY_TOP_K : int
    How many wards are chosen (default 2, as Thurrock chose): the top k of the stability figures.
LOCALITY_WEIGHT_SPREAD : float
    How far each sampled weight may lie from the chosen one, as a share (default 0.25: +-25%,
    uniform), before the sample is renormalised to sum to 1.
LOCALITY_WEIGHT_SAMPLES : int
    Weight vectors sampled for the stability figures (default 10,000).
LOCALITY_MAX_COMPARED : int
    Most wards compared side by side (default 4; at least 2 are needed).
LOCALITY_RECORD_MARKING : str
    Protective marking printed on every page of a decision record (default ``OFFICIAL``).
CALIBRATION_METHOD : str
    How forecasts are recalibrated on earlier origins (``"platt"``, logistic recalibration, the
    default: two parameters, steady with few past years; or ``"isotonic"``).
CALIBRATION_BINS : int
    Equal-width bins of the calibration table and chart (default 10: 0-10%, ..., 90-100%).
CALIBRATION_MIN_WARD_YEARS : int
    The largest calibration gap is read only over bins with at least this many ward-years
    (default 50): a share observed over fewer says little.
PAIRED_BOOTSTRAP_RESAMPLES : int
    Resamples of wards for the paired interval of a model's score difference from the rule
    (default 2,000), seeded with ``SEED``.
PAIRED_INTERVAL_LEVEL : float
    Level of that interval (default 0.95); "better than the rule" is said only when it excludes zero.
COUNT_INTERVAL_LEVEL : float
    Level of the negative binomial prediction interval of next year's count (default 0.8: the
    10th to the 90th percentile).
GRIP_RANKED_ROWS_SHOWN : int
    Ranked cells listed on the tasking page (default 200, the best first; the CSV and GeoPackage
    hold every selected area).
GRIP_PACK_MOST_WARD_NAMES : int
    Most wards named on a briefing-pack map (default 60); with more in the frame the districts
    are named instead, so the names stay legible at A4.

Locality measure kinds (the locality fixes).

LOCALITY_PEOPLE_KINDS : dict[str, str]
    What the register and each list of people known to services count, by layer key, for the
    Locality page's measures and decision record: ``victim-based`` or ``offender-based``. A group
    not named here is ``other``: add its ``people:<group slug>`` key to classify it.

Gi* and Local Moran p-values (the gistar fix; docs/hotspot-statistics.md).

HOTSPOT_ALTERNATIVE : str
    ``"two-sided"`` (default): a ward's permutation p-value is twice the share of permutations at
    least as far out as its statistic on the side of its z (at most 1), so p <= 0.05 is a 5% test
    of "clustered either way". ``"one-sided"``: that share alone, as esda's and GeoDa's folded
    ("directed") p-values report; it picks the side after seeing the data, so it is about twice too
    liberal. Used by the ward map's Gi* and Local Moran and by each year of the emerging hot spots.

Locality decision records (the locality page fixes; docs/locality.md).

LOCALITY_DUPLICATE_SECONDS : int
    A decision record identical to one saved at most this many seconds before it (default 600:
    the same decider, rationale, weights, data and ranking) is refused as a repeat, naming the
    record that holds it: a second press of "Record this decision" records nothing twice.
"""

from __future__ import annotations

import os
from pathlib import Path

ANALYSIS_CRS = "EPSG:27700"
DISPLAY_CRS = "EPSG:4326"
DISPLAY_SIMPLIFY_METRES = 40.0
DISPLAY_COORDINATE_DECIMALS = 5

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = Path(os.environ.get("HOTSPOTS_CACHE", Path.home() / ".cache" / "ward-hotspots"))
DEMO_DIR = Path(os.environ.get("HOTSPOTS_DEMO_DIR", REPO_ROOT / "data" / "demo"))
STORE_DIR = Path.home() / ".local" / "share" / "ward-hotspots" / "store"
LOOKUP_PATH = REPO_ROOT / "geo" / "lsoa11_ward13_lookup.csv"
BASEMAP = os.environ.get("HOTSPOTS_BASEMAP", "on").strip().lower() not in ("off", "no", "false", "0")

SEED = 20201
FIRST_DEMO_YEAR = 2014
LAST_DEMO_YEAR = 2023

MAX_UNZIPPED_BYTES = 2 * 1024**3
CREDENTIALS_PATH = Path.home() / ".config" / "ward-hotspots" / "credentials.json"
MIN_PASSWORD_LENGTH = 12
PASSWORD_HASH_TIME_COST = 3
PASSWORD_HASH_MEMORY_KIB = 65536
PASSWORD_HASH_PARALLELISM = 4
SIGN_IN_MAX_FAILURES = 5
SIGN_IN_LOCKOUT_MINUTES = 15.0
SESSION_IDLE_MINUTES = float(os.environ.get("HOTSPOTS_SESSION_IDLE_MINUTES") or 30.0)
ANONYMOUS_PUBLIC = os.environ.get("HOTSPOTS_ANONYMOUS_PUBLIC", "off").strip().lower() in ("on", "yes", "true", "1")

DISCLOSURE_RULES = {
    "police": {"smallest_shown": 5, "rounding_base": 1, "suppressed_text": "fewer than 5"},
    "health": {"smallest_shown": 8, "rounding_base": 5, "suppressed_text": "fewer than 8"},
}
DISCLOSURE_RULE_OF_SOURCE = {"police": "police", "police-uk": "police", "nominals": "police", "people": "police",
                             "counts": "police", "ambulance": "health"}
DISCLOSURE_RULE_OF_COUNT_TABLE: dict[str, str] = {}

# Op Grip tasking (issue 14): micro-areas, targeting, tracking, testing, the backtest of methods.
GRIP_CELL_SIZE_M = 150
GRIP_CELL_SIZE_RANGE_M = (100, 500)
GRIP_TOP_N = 11
GRIP_WINDOW_MONTHS = 12
GRIP_BUFFER_M = 100.0
GRIP_OFFENCES = {"police": ("violence with injury", "possession of weapons"),
                 "police-uk": ("Violence and sexual offences", "Possession of weapons", "Robbery")}
GRIP_DIAGONAL_NEIGHBOURS = True
GRIP_HALF_LIFE_MONTHS = 3.0
GRIP_KDE_BANDWIDTH_M = 200.0
GRIP_BACKTEST_HORIZON_MONTHS = 3
GRIP_BACKTEST_ORIGINS = 24

# Emerging hot spots (issue 16): Gi* per financial year and the Mann-Kendall trend.
EMERGING_PERMUTATIONS = 999
EMERGING_ALPHA = 0.05
EMERGING_MIN_YEARS = 5

# The councillor's "Your ward" page (issue 15).
WARD_SUMMARY_LAYERS = ("violence-with-injury", "ambulance-all", "ambulance-knife", "weapons-possession",
                       "police-uk:violence-and-sexual-offences", "police-uk:possession-of-weapons")
WARD_SUMMARY_YEARS = 2

# Op Grip briefing pack (issue 14, the page and its exports).
GRIP_PACK_MARKING = "OFFICIAL-SENSITIVE"
GRIP_PACK_DPI = 150

# Locality wards (issue 15): see the docstring's last block.
LOCALITY_DEFAULT_MEASURES = ("violence-with-injury", "ambulance-all", "nominals", "people", "weapons-possession",
                             "forecast")
LOCALITY_FORECAST_LAYER = "ambulance-knife"
LOCALITY_TOP_K = 2
LOCALITY_WEIGHT_SPREAD = 0.25
LOCALITY_WEIGHT_SAMPLES = 10_000
LOCALITY_MAX_COMPARED = 4
LOCALITY_RECORD_MARKING = "OFFICIAL"

# Forecasts (issue 16, items 1-5): recalibration, calibration gaps, the paired interval, count intervals.
CALIBRATION_METHOD = "platt"
CALIBRATION_BINS = 10
CALIBRATION_MIN_WARD_YEARS = 50
PAIRED_BOOTSTRAP_RESAMPLES = 2000
PAIRED_INTERVAL_LEVEL = 0.95
COUNT_INTERVAL_LEVEL = 0.8

# Op Grip tasking page and briefing pack: see the docstring's last block.
GRIP_RANKED_ROWS_SHOWN = 200
GRIP_PACK_MOST_WARD_NAMES = 60

# Locality measure kinds (the locality fixes): see the docstring's last block.
LOCALITY_PEOPLE_KINDS = {"nominals": "offender-based", "people": "offender-based",
                         "people:offender-known-to-youth-justice": "offender-based",
                         "people:victim-of-violence": "victim-based", "people:perpetrator": "offender-based"}

# Gi* and Local Moran p-values (the gistar fix): see the docstring's last block.
HOTSPOT_ALTERNATIVE = "two-sided"

# Locality decision records (the locality page fixes): see the docstring's last block.
LOCALITY_DUPLICATE_SECONDS = 600
