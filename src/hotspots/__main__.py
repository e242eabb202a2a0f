"""``python -m hotspots``: the command line."""

from hotspots.cli import main

raise SystemExit(main())
