"""The KPI catalogue: the one place where facts about each KPI live.

Every KPI simcc reports has one :class:`KPI` entry here: its key, the label people read,
its kind (which fixes the unit and how values are shown), whether higher or lower is
better, the default tolerance of ``simcc check`` and the scopes it is reported in. The
KPI functions (:mod:`simcc.metrics.kpis`), the tables and figures of :mod:`simcc.report`,
the regression rules (:mod:`simcc.experiment.regression`), the confidence intervals of
rates (:mod:`simcc.experiment.aggregate`) and docs/kpis.md (checked by a test) all read
this catalogue; none of them keeps its own list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["rate", "count", "seconds", "ratio", "money", "value", "agents"]
"""What a KPI's values are: ``rate`` a proportion in [0, 1] (shown in %), ``count`` a
number of contacts or issues, ``seconds`` a duration, ``ratio`` an unbounded ratio of
counts (e.g. contacts per issue), ``money`` an amount in the scenario's currency,
``value`` an amount in the units of ``segments.value`` (relative, or money when the
values are), ``agents`` a mean number of agents."""

Family = Literal["contact", "journey", "issue", "agent", "cost", "outcome"]
"""Which part of the model a KPI describes (tables show journey KPIs only when the
journeys happen, issue KPIs only when issues have several contacts; ``outcome`` KPIs
exist only for a scenario with an ``outcomes:`` section, docs/outcomes.md)."""

CONTACT_SCOPES = ("overall", "channel", "segment", "intent")
GROUP_SCOPES = ("overall", "group")
EVERY_SCOPE = ("overall", "channel", "segment", "intent", "group")
"""Scopes of the KPI tables: ``overall`` (key ``all``), by channel, segment and intent
(of the contact, or of an issue's first contact) and by agent group."""

UNITS: dict[str, str] = {"rate": "%", "seconds": "s", "agents": "", "money": "", "ratio": "",
                         "count": "", "value": ""}
"""Unit of displayed values per kind (money takes the scenario's currency, if any)."""


@dataclass(frozen=True)
class Tolerance:
    """How far a KPI may move in its bad direction before ``simcc check`` calls it a
    regression: ``abs`` in the KPI's own units (0.01 = 1 percentage point for a rate) or
    ``rel`` as a share of the baseline mean (0.05 = 5 %). Exactly one is set."""

    abs: float | None = None
    rel: float | None = None


POINT = Tolerance(abs=0.01)
FIVE_PERCENT = Tolerance(rel=0.05)


@dataclass(frozen=True)
class KPI:
    """One KPI.

    ``key`` is the name in tables, JSON and scenario ``checks``; ``label`` what people
    read (tables, figures); ``kind`` the nature of its values (:data:`Kind`); ``direction``
    +1 when higher is better, -1 when lower is better, 0 when neither (occupancy, volume
    counts); ``tolerance`` the default of ``simcc check`` for a KPI with a direction (None:
    judged only when the scenario's ``checks.tolerance`` names it); ``scopes`` where it
    is reported; ``definition`` one sentence for the glossary.
    """

    key: str
    label: str
    kind: Kind
    family: Family
    direction: int
    tolerance: Tolerance | None
    scopes: tuple[str, ...]
    definition: str

    @property
    def unit(self) -> str:
        """The unit of displayed values: ``%`` for rates, ``s`` for seconds; empty for
        counts, ratios, agents and money (the currency comes from the scenario)."""
        return UNITS[self.kind]

    @property
    def scale(self) -> float:
        """Factor from stored values to displayed ones (100 for rates, shown in %)."""
        return 100.0 if self.kind == "rate" else 1.0

    @property
    def bounded(self) -> bool:
        """True for proportions: every value, and every confidence bound, is in [0, 1]."""
        return self.kind == "rate"

    @property
    def axis_label(self) -> str:
        """Label with its unit for a figure axis, e.g. ``service level (%)``."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


_CONTACT = CONTACT_SCOPES
_GROUP_TOO = EVERY_SCOPE

CATALOGUE: tuple[KPI, ...] = (
    # contacts
    KPI("arrivals", "arrivals", "count", "contact", 0, None, _CONTACT,
        "counted contacts (first contacts, retrials and repeats)"),
    KPI("offered", "offered", "count", "contact", 0, None, _CONTACT,
        "counted contacts that reached an agent queue"),
    KPI("handled", "handled", "count", "contact", 1, FIVE_PERCENT, _GROUP_TOO,
        "offered contacts answered by an agent"),
    KPI("abandoned", "abandoned", "count", "contact", 0, None, _CONTACT,
        "offered contacts that left the queue before an answer"),
    KPI("abandon_rate", "abandon rate", "rate", "contact", -1, POINT, _CONTACT,
        "abandoned / offered"),
    KPI("blocked_rate", "blocked rate", "rate", "contact", -1, POINT, _CONTACT,
        "refused by a full queue / (offered + blocked)"),
    KPI("p_wait", "P(wait)", "rate", "contact", -1, POINT, _CONTACT,
        "timed contacts not answered at once / timed contacts"),
    KPI("asa_s", "ASA", "seconds", "contact", -1, FIVE_PERCENT, _GROUP_TOO,
        "average speed of answer: mean wait of answered timed contacts"),
    KPI("mean_wait_s", "mean wait", "seconds", "contact", -1, FIVE_PERCENT, _CONTACT,
        "mean time in queue of all timed contacts"),
    KPI("service_level", "service level", "rate", "contact", 1, POINT, _CONTACT,
        "timed contacts answered within the channel's threshold / timed contacts"),
    KPI("wait_p90_s", "wait p90", "seconds", "contact", -1, FIVE_PERCENT, _CONTACT,
        "90th percentile wait of answered timed contacts"),
    KPI("aht_s", "AHT", "seconds", "contact", 0, None, _GROUP_TOO,
        "average handle time: handle + wrap-up of conversation legs"),
    KPI("transfer_rate", "transfer rate", "rate", "contact", -1, POINT, _GROUP_TOO,
        "answered contacts with at least one transfer / answered contacts"),
    KPI("fcr", "FCR", "rate", "contact", 1, POINT, _GROUP_TOO,
        "first-contact resolution: issues resolved by their first answered contact, "
        "with no transfer and no repeat within the FCR window / issues answered"),
    KPI("repeat_rate", "repeat rate", "rate", "contact", -1, POINT, _CONTACT,
        "offered retrials and repeat contacts / offered"),
    # agents and cost
    KPI("occupancy", "occupancy", "rate", "agent", 0, None, GROUP_SCOPES,
        "agent capacity in use / logged-in time"),
    KPI("staffed_agents", "agents staffed", "agents", "agent", 0, None, GROUP_SCOPES,
        "mean number of agents logged in"),
    KPI("cost", "agent cost", "money", "agent", -1, FIVE_PERCENT, GROUP_SCOPES,
        "logged-in hours x the group's cost per hour"),
    KPI("cost_per_handled", "cost / handled", "money", "agent", -1, FIVE_PERCENT,
        GROUP_SCOPES, "agent cost / handled contacts"),
    # journeys
    KPI("closed_rate", "closed (arrivals)", "rate", "journey", -1, POINT, _CONTACT,
        "arrived while their live channel was closed / arrivals"),
    KPI("contained", "contained (self-service)", "count", "journey", 0, None, _CONTACT,
        "contacts resolved by self-service"),
    KPI("containment_rate", "containment rate", "rate", "journey", 1, POINT, _CONTACT,
        "resolved by self-service / went through self-service"),
    KPI("deflected", "deflected (other channel)", "count", "journey", 0, None, _CONTACT,
        "contacts whose customer took an offer of another channel"),
    KPI("transfers_per_contact", "transfers / answered", "ratio", "journey", -1,
        FIVE_PERCENT, _CONTACT, "transfers / answered contacts"),
    KPI("callbacks_offered", "callbacks offered", "count", "journey", 0, None, _CONTACT,
        "contacts offered a callback"),
    KPI("callback_acceptance", "callback acceptance", "rate", "journey", 0, None,
        _CONTACT, "accepted callbacks / callbacks offered"),
    KPI("callback_success", "callback success", "rate", "journey", 1, POINT, _CONTACT,
        "accepted callbacks that reached the customer / accepted"),
    KPI("time_to_callback_s", "time to callback", "seconds", "journey", -1, FIVE_PERCENT,
        _CONTACT, "mean time from accepting a callback to the attempt that reached the "
                  "customer"),
    # issues
    KPI("issues", "issues", "count", "issue", 0, None, _CONTACT,
        "counted issues (first contact in the counted period)"),
    KPI("resolution_rate", "issues resolved", "rate", "issue", 1, POINT, _CONTACT,
        "issues resolved in the end / issues"),
    KPI("contacts_per_issue", "contacts / issue", "ratio", "issue", -1, FIVE_PERCENT,
        _CONTACT, "mean contacts per issue"),
    KPI("channels_per_issue", "channels / issue", "ratio", "issue", -1, FIVE_PERCENT,
        _CONTACT, "mean distinct channels per issue"),
    KPI("time_to_resolution_s", "time to resolution", "seconds", "issue", -1,
        FIVE_PERCENT, _CONTACT, "mean time from an issue's first arrival to its "
                                "resolution, over resolved issues"),
    # cost of outcomes
    KPI("cost_per_resolved_issue", "cost / resolved issue", "money", "cost", -1,
        FIVE_PERCENT, ("overall",), "agent cost / issues resolved in the end"),
    # modelled customer and business outcomes (only with an outcomes: section)
    KPI("csat", "CSAT (model)", "rate", "outcome", 1, POINT, _CONTACT,
        "mean modelled top-box satisfaction probability per issue"),
    KPI("effort", "effort events / issue", "ratio", "outcome", -1, FIVE_PERCENT, _CONTACT,
        "mean weighted effort events per issue"),
    KPI("disloyalty_rate", "disloyalty (model)", "rate", "outcome", -1, POINT, _CONTACT,
        "mean modelled probability per issue that the customer becomes disloyal"),
    KPI("value_at_risk", "value at risk", "value", "outcome", -1, FIVE_PERCENT, _CONTACT,
        "sum over issues of the segment's value x the disloyalty probability"),
)
"""Every KPI, in the order of tables and JSON."""

KPIS: dict[str, KPI] = {kpi.key: kpi for kpi in CATALOGUE}
"""KPI key -> entry."""

ALL_KPIS: tuple[str, ...] = tuple(KPIS)
"""Every KPI key, in catalogue order."""


def kpi(key: str) -> KPI:
    """The catalogue entry of ``key`` (KeyError for an unknown KPI)."""
    return KPIS[key]


def keys(scope: str | None = None, *, family: Family | None = None,
         kind: Kind | None = None) -> tuple[str, ...]:
    """KPI keys in catalogue order, filtered by scope, family and kind."""
    return tuple(k.key for k in CATALOGUE
                 if (scope is None or scope in k.scopes)
                 and (family is None or k.family == family)
                 and (kind is None or k.kind == kind))


def reported(outcomes: bool) -> tuple[str, ...]:
    """The KPI keys a run reports, in catalogue order: all of them with an outcome model
    (``outcomes``), else all but the ``outcome`` family."""
    return tuple(k.key for k in CATALOGUE if outcomes or k.family != "outcome")


def direction(key: str) -> int:
    """+1 (higher is better), -1 (lower is better) or 0 (neither, also for a name that
    is not a KPI)."""
    entry = KPIS.get(key)
    return entry.direction if entry else 0


def is_bounded(key: str) -> bool:
    """True when the KPI is a proportion in [0, 1]."""
    entry = KPIS.get(key)
    return bool(entry and entry.bounded)


def is_nonnegative(key: str) -> bool:
    """True for every KPI of the catalogue: each is a rate, count, duration, ratio, cost or
    number of agents, none of which can be negative (confidence intervals stop at 0)."""
    return key in KPIS


def unknown_kpi_message(name: str) -> str:
    """The error text for a name that is not a KPI key, with a close match if any."""
    import difflib

    close = difflib.get_close_matches(name, ALL_KPIS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(ALL_KPIS)})"
    return f"unknown KPI '{name}'{hint}"
