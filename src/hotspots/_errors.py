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


class DeletionIncompleteError(StoreError):
    """A dataset deleted from the store's records whose files could not all be removed (named)."""


class OverlapError(StoreError):
    """An import that covers months or holds references the store already holds (replace or refuse)."""


class AccountError(ValueError):
    """A user-account change refused: an unknown role, an existing or a missing user, a weak password."""


class CredentialsFileError(ValueError):
    """The credentials file, its signing secret or its sign-in state cannot be used as they are."""


class SignInError(ValueError):
    """A refused sign-in. The message is the same whether or not the user exists.

    ``audit_user`` is the account's name when it exists and None otherwise, for the audit trail
    only: whatever a visitor typed as a name (perhaps their password) is never recorded.
    """

    def __init__(self, message: str, *, audit_user: str | None):
        super().__init__(message)
        self.audit_user = audit_user


class SessionTokenError(ValueError):
    """A sign-in cookie refused: expired, altered, or for an account that has changed since."""


class AuditError(ValueError):
    """The audit trail cannot be appended to or read as it is."""


class DisclosureError(ValueError):
    """A count that cannot be disclosed as asked: an unsafe or unknown rule, a source without a
    rule, a restricted layer the role may not see, or values that are not counts."""


class TaskingError(ValueError):
    """Op Grip targeting refused: a cell size out of range, a window with no events, N larger than
    the cells with events, a harm table that cannot be used, a saved list from another grid."""
