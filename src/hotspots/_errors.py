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


class ImportFileError(ValueError):
    """A file that cannot be imported as it is; the message names the file, line and column."""

    def __init__(self, file: str, problem: str, *, line: int | None = None, column: str | None = None):
        where = file + (f", line {line}" if line is not None else "") + (f", column '{column}'" if column else "")
        super().__init__(f"{where}: {problem}")
        self.file, self.line, self.column, self.problem = file, line, column, problem


class StoreError(ValueError):
    """The data store refused an operation (a repeated file, an unknown dataset, a busy store)."""


class OverlapError(StoreError):
    """An import that covers months or holds references the store already holds (replace or refuse)."""
