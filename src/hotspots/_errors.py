"""Named exceptions. Each subclasses ValueError and says what to do next."""


class BoundaryFileError(ValueError):
    """A user's boundary file cannot be used as it is."""


class UnknownRegionError(ValueError):
    """A region name or local authority code that the built-in geography does not know."""


class DownloadError(ValueError):
    """A download from the ONS Open Geography Portal failed or returned something unusable."""


class PeriodError(ValueError):
    """A financial year or window written in a form we cannot read."""


class CountTableError(ValueError):
    """A ward-by-period count table that cannot be used for the forecast as it is."""
