"""Who may see and do what: the five roles, written down once as data.

The views layer, the pages and the command line read :data:`ROLES`; none of them decides on its
own what a role may see. DESIGN.md, "Privacy and access", and issue 13 are the source:

============  ==========  ==========  ===========  ===========  ==========  =======  =====
role          event rows  restricted  restricted   small counts import and  manage   read
                          layers      as counts    unsuppressed delete      users    audit
============  ==========  ==========  ===========  ===========  ==========  =======  =====
admin         yes         yes         yes          yes          yes         yes      yes
police        yes         yes         yes          yes          no          no       no
partner       no          no          yes          yes          no          no       no
councillor    no          no          no           no           no          no       no
public        no          no          no           no           no          no       no
============  ==========  ==========  ===========  ===========  ==========  =======  =====

"Restricted layers" are the police-intelligence layers (today the gang nominal register): its
rows, postcodes and map layer. A partner sees that layer only as ward counts with small counts
suppressed ("restricted as counts"); its other aggregates are not suppressed, as DESIGN.md
suppresses small counts for councillors and the public only. Police see everything, but imports,
deletions, users and the audit trail are the admin's.

``rank_locality_wards`` (issue 15): choosing locality wards, the weighted ranking and its decision
records; admin, police and partner (CSP managers), never councillor or public.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotspots._errors import AccountError


@dataclass(frozen=True)
class DataAccess:
    """What of the stored rows a role's session may load: the key of the caches that sessions share,
    so that no session reads rows cached for a role allowed more. ``event_locations``: events'
    coordinates; ``nominal_rows``: the nominal register at all (to count it by ward);
    ``nominal_identities``: its ids, home postcodes and coordinates."""

    event_locations: bool
    nominal_rows: bool
    nominal_identities: bool


@dataclass(frozen=True)
class Role:
    """What one role may see and do. Every flag is False unless the table above says yes."""

    name: str
    label: str
    event_rows: bool = False
    restricted_layers: bool = False
    restricted_as_suppressed_counts: bool = False
    small_counts_unsuppressed: bool = False
    import_and_delete: bool = False
    manage_users: bool = False
    read_audit: bool = False
    rank_locality_wards: bool = False

    @property
    def data_access(self) -> DataAccess:
        return DataAccess(event_locations=self.event_rows,
                          nominal_rows=self.restricted_layers or self.restricted_as_suppressed_counts,
                          nominal_identities=self.restricted_layers)


# Most privileged first: single sign-on gives a user with several matching groups the first.
ROLES: dict[str, Role] = {role.name: role for role in [
    Role("admin", "Administrator (imports, deletions, users, audit; sees everything)", event_rows=True,
         restricted_layers=True, restricted_as_suppressed_counts=True, small_counts_unsuppressed=True,
         import_and_delete=True, manage_users=True, read_audit=True, rank_locality_wards=True),
    Role("police", "Police (everything, restricted layers included)", event_rows=True, restricted_layers=True,
         restricted_as_suppressed_counts=True, small_counts_unsuppressed=True, rank_locality_wards=True),
    Role("partner", "Partner (aggregates; restricted layers only as suppressed ward counts)",
         restricted_as_suppressed_counts=True, small_counts_unsuppressed=True, rank_locality_wards=True),
    Role("councillor", "Councillor (aggregates only, small counts suppressed)"),
    Role("public", "Public (aggregates only, small counts suppressed)"),
]}


def role(name: str) -> Role:
    """The role called ``name``; an :class:`AccountError` listing the roles if there is none."""
    if name not in ROLES:
        raise AccountError(f"Unknown role {name!r}: use one of {', '.join(ROLES)}.")
    return ROLES[name]


def most_privileged(names: set[str]) -> str:
    """The most privileged of several role names (all must be known roles)."""
    return next(name for name in ROLES if name in names)
