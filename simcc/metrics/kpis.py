"""KPIs as pure functions of the record tables (DESIGN section 6, docs/kpis.md).

Counted contacts are those arriving in ``[warmup, horizon)``; counted issues those whose
first contact is counted (all their contacts are followed, also after the horizon).

Contact KPIs:

- ``arrivals``: counted contacts; ``offered``: those that reached an agent queue (not
  blocked, not closed, not contained by self-service, not deflected to another channel);
- ``blocked_rate`` = blocked / (offered + blocked); ``closed_rate`` = arrived while
  their live channel was closed / arrivals;
- ``handled``, ``abandoned``, ``abandon_rate`` = abandoned / offered;
- wait KPIs cover *timed* contacts: offered contacts that did not accept a callback, on
  live channels (on an asynchronous channel too in that channel's own row):
  ``p_wait`` (not answered at once; abandoned ones count as waited), ``asa_s`` (mean wait
  of the answered), ``mean_wait_s`` (of all), ``service_level`` (answered with a wait <=
  the channel threshold / timed contacts), ``wait_p90_s`` (of the answered);
- ``aht_s``: mean handle + wrap-up time of the conversation legs of counted contacts;
- ``transfer_rate``: answered contacts with at least one transfer / answered;
  ``transfers_per_contact``: transfers / answered;
- ``repeat_rate``: offered retrials and repeat contacts / offered;
- ``contained``, ``containment_rate`` = resolved by self-service / went through it;
  ``deflected``: contacts whose customer took the routing's offer of another channel
  (not offered: the issue goes on as a contact of that channel);
- ``callbacks_offered``, ``callback_acceptance`` = accepted / offered,
  ``callback_success`` = reached by an attempt / accepted, ``time_to_callback_s``: mean
  time from acceptance to the attempt that reached the customer.

Issue KPIs (by the scope of the issue's first contact): ``issues``, ``fcr`` (first
answered contact resolved it, no transfer, no repeat within the FCR window / issues with
an answered contact), ``resolution_rate`` (resolved in the end / issues),
``contacts_per_issue``, ``channels_per_issue``, ``time_to_resolution_s`` (mean over
resolved issues, from the first contact's arrival).

Agent KPIs: ``occupancy`` (capacity in use / logged-in time within the counted period: a
leg of a channel with concurrency c occupies 1/c of its agent), ``staffed_agents``,
``cost`` (logged-in hours x the group's cost per hour, within the counted period),
``cost_per_handled``; overall only: ``cost_per_resolved_issue`` = cost / counted issues
resolved in the end.

Every function returns a DataFrame indexed by the scope key with one column per KPI;
KPIs that do not apply to a scope (abandonment by agent group) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simcc.metrics.issues import issues_frame
from simcc.metrics.timeweighted import overlap_per_bin
from simcc.scenario.schema import Scenario

CONTACT_KPIS = (
    "arrivals", "offered", "handled", "abandoned", "abandon_rate", "blocked_rate", "p_wait",
    "asa_s", "mean_wait_s", "service_level", "wait_p90_s", "aht_s", "transfer_rate", "fcr",
    "repeat_rate",
)
JOURNEY_KPIS = (
    "closed_rate", "contained", "containment_rate", "deflected", "transfers_per_contact",
    "callbacks_offered", "callback_acceptance", "callback_success", "time_to_callback_s",
)
ISSUE_KPIS = ("issues", "resolution_rate", "contacts_per_issue", "channels_per_issue",
              "time_to_resolution_s")
AGENT_KPIS = ("occupancy", "staffed_agents", "cost", "cost_per_handled")
COST_KPIS = ("cost_per_resolved_issue",)
ALL_KPIS = CONTACT_KPIS + AGENT_KPIS + JOURNEY_KPIS + ISSUE_KPIS + COST_KPIS
GROUP_KPIS = ("handled", "asa_s", "aht_s", "transfer_rate", "fcr") + AGENT_KPIS
OVERALL_KEY = "all"


@dataclass(frozen=True)
class Period:
    """The counted period ``[warmup_s, end_s)`` and the channel and group settings KPIs
    need: SL thresholds (s), cost per hour, concurrency, asynchronous channels, and the
    FCR window (s)."""

    warmup_s: float
    end_s: float
    thresholds: dict[str, float]
    cost_per_hour: dict[str, float]
    concurrency: dict[str, int] = field(default_factory=dict)
    asynchronous: frozenset[str] = frozenset()
    fcr_window_s: float = np.inf

    @classmethod
    def of(cls, scenario: Scenario) -> Period:
        channels = scenario.channels
        return cls(scenario.horizon.warmup, scenario.horizon.length_s,
                   {name: ch.service_level.threshold for name, ch in channels.items()},
                   {name: g.cost_per_hour for name, g in scenario.agents.items()},
                   {name: ch.concurrency for name, ch in channels.items()},
                   frozenset(name for name, ch in channels.items() if ch.asynchronous),
                   scenario.repeats.window if scenario.repeats else np.inf)


def contact_flags(contacts: pd.DataFrame, legs: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Counted contacts with the per-contact values every contact KPI is built from.

    Besides outcome booleans: ``legs`` and ``work_s`` (number of conversation legs and
    their handle + wrap-up seconds), and the issue's values on its first contact
    (``issue_head`` and ``issue_*`` columns; see :func:`issues_frame`). Journey columns
    missing from a hand-built ``contacts`` table mean no journey events, and transfers
    are then counted from the legs.
    """
    contacts = _with_journey_defaults(contacts, legs)
    arrival = contacts["arrival_s"]
    counted = contacts[(arrival >= period.warmup_s) & (arrival < period.end_s)]
    frame = counted[["contact_id", "issue_id", "channel", "segment", "intent", "arrival_s",
                     "wait_s", "resolved", "resolved_s", "transfers", "self_service",
                     "callback_offered", "callback_accepted", "callback_accepted_s",
                     "callback_connected_s"]].reset_index(drop=True)
    outcome = counted["outcome"].to_numpy()
    frame["blocked"] = outcome == "blocked"
    frame["closed"] = outcome == "closed"
    frame["contained"] = outcome == "contained"
    frame["deflected"] = outcome == "deflected"
    frame["offered"] = ~(frame["blocked"] | frame["closed"] | frame["contained"]
                         | frame["deflected"])
    frame["handled"] = outcome == "handled"
    frame["abandoned"] = outcome == "abandoned"
    live = ~counted["channel"].isin(list(period.asynchronous)).to_numpy()
    untimed = frame["callback_accepted"].to_numpy() | ~frame["offered"].to_numpy()
    frame["timed"] = ~untimed & live
    frame["timed_async"] = ~untimed & ~live
    frame["waited"] = frame["offered"] & ~(frame["handled"] & frame["wait_s"].le(0.0))
    threshold = counted["channel"].map(period.thresholds).astype(float).to_numpy()
    frame["in_sl"] = frame["handled"] & (frame["wait_s"].to_numpy() <= threshold)
    _add_leg_totals(frame, legs)
    frame["transferred"] = frame["handled"] & (frame["transfers"] > 0)
    followup = (counted["kind"].isin(["retrial", "repeat"]).to_numpy() if "kind" in counted
                else frame["contact_id"].ne(frame["issue_id"]).to_numpy())
    frame["repeat"] = frame["offered"] & followup
    _add_issue_columns(frame, contacts, period)
    return frame


_JOURNEY_DEFAULTS = {"self_service": False, "callback_offered": False,
                     "callback_accepted": False, "callback_accepted_s": np.nan,
                     "callback_connected_s": np.nan, "resolved_s": np.nan}


def _with_journey_defaults(contacts: pd.DataFrame, legs: pd.DataFrame) -> pd.DataFrame:
    missing = {k: v for k, v in _JOURNEY_DEFAULTS.items() if k not in contacts}
    if "transfers" not in contacts:
        count = _conversations(legs).groupby("contact_id").size()
        missing["transfers"] = (contacts["contact_id"].map(count).fillna(0) - 1).clip(lower=0)
    return contacts.assign(**missing) if missing else contacts


def _conversations(legs: pd.DataFrame) -> pd.DataFrame:
    """The conversation legs (not failed callback attempts); all legs of a hand-built
    table without a ``kind`` column."""
    if "kind" not in legs:
        return legs
    return legs[legs["kind"].to_numpy() == "conversation"]


def _add_leg_totals(frame: pd.DataFrame, legs: pd.DataFrame) -> None:
    legs = _conversations(legs)
    ids = frame["contact_id"].to_numpy()
    order = np.argsort(ids, kind="stable")
    leg_ids = legs["contact_id"].to_numpy()
    where = np.minimum(np.searchsorted(ids, leg_ids, sorter=order), max(len(ids) - 1, 0))
    found = (ids[order[where]] == leg_ids) if len(ids) else np.zeros(len(leg_ids), bool)
    rows = order[where[found]]
    work = (legs["handle_s"].to_numpy() + legs["wrap_s"].to_numpy())[found]
    frame["legs"] = np.bincount(rows, minlength=len(ids))
    frame["work_s"] = np.bincount(rows, weights=work, minlength=len(ids))


def _add_issue_columns(frame: pd.DataFrame, contacts: pd.DataFrame, period: Period) -> None:
    """Issue values on the issue's first contact (zero or NaN on the other rows)."""
    heads = frame["contact_id"].eq(frame["issue_id"]).to_numpy()
    head_issues = frame["issue_id"].to_numpy()[heads]
    issues = issues_frame(contacts[contacts["issue_id"].isin(head_issues)],
                          period.fcr_window_s).set_index("issue_id").reindex(head_issues)
    n = len(frame)

    def on_heads(values: np.ndarray, fill: float) -> np.ndarray:
        out = np.full(n, fill, dtype=float)
        out[heads] = values
        return out

    frame["issue_head"] = heads
    frame["issue_answered"] = on_heads(issues["answered"].to_numpy(), 0) > 0
    frame["issue_fcr"] = on_heads(issues["fcr"].to_numpy(), 0) > 0
    frame["issue_resolved"] = on_heads(issues["resolved"].to_numpy(), 0) > 0
    frame["issue_contacts"] = on_heads(issues["contacts"].to_numpy(), 0)
    frame["issue_channels"] = on_heads(issues["channels"].to_numpy(), 0)
    frame["issue_ttr_s"] = on_heads(issues["time_to_resolution_s"].to_numpy(), np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


_KPI_INPUTS = (
    "offered", "handled", "abandoned", "blocked", "closed", "contained", "deflected",
    "waited", "in_sl", "timed", "timed_async", "transferred", "transfers", "repeat", "wait_s",
    "legs", "work_s",
    "self_service", "callback_offered", "callback_accepted", "callback_accepted_s",
    "callback_connected_s", "issue_head", "issue_answered", "issue_fcr", "issue_resolved",
    "issue_contacts", "issue_channels", "issue_ttr_s")


def contact_kpis(flags: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Contact and issue KPIs of counted contacts, per value of column ``by`` (None:
    overall). By channel, an asynchronous channel's wait KPIs cover its own contacts."""
    if by is None:
        codes, labels = np.zeros(len(flags), dtype=np.int64), pd.Index([OVERALL_KEY])
    else:
        codes, labels = pd.factorize(flags[by], sort=True)
        labels = pd.Index(labels)
    m = len(labels)

    def total(values: pd.Series | np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=np.asarray(values, dtype=float), minlength=m)

    col = {name: flags[name].to_numpy() for name in _KPI_INPUTS}
    timed = col["timed"] | col["timed_async"] if by == "channel" else col["timed"]
    answered_timed = timed & col["handled"]
    wait = col["wait_s"]
    out = pd.DataFrame(index=labels)
    out["arrivals"] = np.bincount(codes, minlength=m).astype(float)
    out["offered"] = total(col["offered"])
    out["handled"] = handled = total(col["handled"])
    out["abandoned"] = total(col["abandoned"])
    out["abandon_rate"] = _ratio(out["abandoned"], out["offered"])
    out["blocked_rate"] = _ratio(total(col["blocked"]), out["offered"] + total(col["blocked"]))
    out["p_wait"] = _ratio(total(col["waited"] & timed), total(timed))
    out["asa_s"] = _ratio(total(np.where(answered_timed, wait, 0.0)), total(answered_timed))
    out["mean_wait_s"] = _ratio(total(np.where(timed, wait, 0.0)), total(timed))
    out["service_level"] = _ratio(total(col["in_sl"] & timed), total(timed))
    out["wait_p90_s"] = [_quantile(wait[(codes == k) & answered_timed], 0.9) for k in range(m)]
    out["aht_s"] = _ratio(total(col["work_s"]), total(col["legs"]))
    out["transfer_rate"] = _ratio(total(col["transferred"]), handled)
    out["fcr"] = _ratio(total(col["issue_fcr"]), total(col["issue_answered"]))
    out["repeat_rate"] = _ratio(total(col["repeat"]), out["offered"])
    _journey_kpis(out, col, total)
    _issue_kpis(out, col, total)
    return out


def _journey_kpis(out: pd.DataFrame, col: dict[str, np.ndarray], total) -> None:
    out["closed_rate"] = _ratio(total(col["closed"]), out["arrivals"])
    out["contained"] = total(col["contained"])
    out["deflected"] = total(col["deflected"])
    out["containment_rate"] = _ratio(out["contained"], total(col["self_service"]))
    out["transfers_per_contact"] = _ratio(total(np.where(col["handled"], col["transfers"], 0)),
                                          out["handled"])
    offered, accepted = total(col["callback_offered"]), total(col["callback_accepted"])
    connected = ~np.isnan(col["callback_connected_s"])
    out["callbacks_offered"] = offered
    out["callback_acceptance"] = _ratio(accepted, offered)
    out["callback_success"] = _ratio(total(connected & col["callback_accepted"]), accepted)
    to_callback = col["callback_connected_s"] - col["callback_accepted_s"]
    out["time_to_callback_s"] = _ratio(total(np.where(connected, to_callback, 0.0)),
                                       total(connected))


def _issue_kpis(out: pd.DataFrame, col: dict[str, np.ndarray], total) -> None:
    issues = total(col["issue_head"])
    ttr = col["issue_ttr_s"]
    resolved = col["issue_head"] & ~np.isnan(ttr)
    out["issues"] = issues
    out["resolution_rate"] = _ratio(total(col["issue_resolved"]), issues)
    out["contacts_per_issue"] = _ratio(total(col["issue_contacts"]), issues)
    out["channels_per_issue"] = _ratio(total(col["issue_channels"]), issues)
    out["time_to_resolution_s"] = _ratio(total(np.where(resolved, ttr, 0.0)), total(resolved))


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else np.nan


def group_kpis(flags: pd.DataFrame, legs: pd.DataFrame, sessions: pd.DataFrame,
               period: Period) -> pd.DataFrame:
    """Per agent group: the contacts its agents answered first (handled, ASA, FCR,
    transfers), the legs they handled (AHT), their occupancy, staffing and cost."""
    first_legs = legs.sort_values("answered_s", kind="stable").drop_duplicates("contact_id")
    answered_by = first_legs.set_index("contact_id")["group"]
    group_flags = flags.assign(group=flags["contact_id"].map(answered_by).astype(object))
    handled = group_flags[group_flags["handled"] & group_flags["group"].notna()]
    out = contact_kpis(handled, "group")[["handled", "asa_s", "transfer_rate", "fcr"]]
    talk = _conversations(legs)
    counted_legs = talk[talk["contact_id"].isin(flags["contact_id"])]
    out["aht_s"] = (counted_legs["handle_s"] + counted_legs["wrap_s"]).groupby(
        counted_legs["group"]).mean()
    agents = agent_kpis(legs, sessions, period, by="group")
    out = agents.join(out, how="left")
    out["handled"] = out["handled"].fillna(0.0)
    out["cost_per_handled"] = _ratio(out["cost"], out["handled"])
    return out[list(GROUP_KPIS)]


def agent_kpis(legs: pd.DataFrame, sessions: pd.DataFrame, period: Period,
               by: str | None) -> pd.DataFrame:
    """Occupancy, mean logged-in agents and agent cost over the counted period."""
    edges = np.array([period.warmup_s, period.end_s])
    length_h = (period.end_s - period.warmup_s) / 3600.0
    keys = sorted(sessions["group"].unique()) if by else [OVERALL_KEY]
    rows = {}
    for key in keys:
        sel_s = sessions if not by else sessions[sessions["group"] == key]
        sel_l = legs if not by else legs[legs["group"] == key]
        staffed = overlap_per_bin(sel_s["start_s"], sel_s["end_s"], edges)[0]
        busy = _busy_capacity(sel_l, edges, period.concurrency)
        rate = sel_s["group"].map(period.cost_per_hour).astype(float)
        cost = float(sum(overlap_per_bin(s.start_s, s.end_s, edges)[0] / 3600 * r
                         for s, r in zip(_by_rate(sel_s, rate), sorted(set(rate)), strict=True)))
        rows[key] = {"occupancy": busy / staffed if staffed > 0 else np.nan,
                     "staffed_agents": staffed / 3600.0 / length_h if length_h > 0 else np.nan,
                     "cost": cost}
    return pd.DataFrame.from_dict(rows, orient="index")


def _busy_capacity(legs: pd.DataFrame, edges: np.ndarray, concurrency: dict[str, int]) -> float:
    """Agent-seconds of capacity in use within the edges: a leg on a channel with
    concurrency c counts 1/c of its duration."""
    if "channel" not in legs or not any(c > 1 for c in concurrency.values()):
        return float(overlap_per_bin(legs["answered_s"], legs["end_s"], edges)[0])
    busy = 0.0
    channel = legs["channel"].astype(object)
    for name, slots in concurrency.items():
        part = legs[(channel == name).to_numpy()]
        busy += overlap_per_bin(part["answered_s"], part["end_s"], edges)[0] / slots
    return busy


def _by_rate(sessions: pd.DataFrame, rate: pd.Series) -> list[pd.DataFrame]:
    return [sessions[rate == r] for r in sorted(set(rate))]


def replication_kpis(frames: dict[str, pd.DataFrame], period: Period,
                     flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every KPI of one replication in long form: columns scope, key, kpi, value.

    ``flags`` (from :func:`contact_flags`) is computed when not given.
    """
    contacts, legs, sessions = frames["contacts"], frames["legs"], frames["sessions"]
    if flags is None:
        flags = contact_flags(contacts, legs, period)
    overall = contact_kpis(flags, None).join(agent_kpis(legs, sessions, period, None))
    overall["cost_per_handled"] = _ratio(overall["cost"], overall["handled"])
    overall["cost_per_resolved_issue"] = _ratio(
        overall["cost"], overall["issues"] * overall["resolution_rate"])
    tables = {
        "overall": overall,
        "channel": contact_kpis(flags, "channel"),
        "segment": contact_kpis(flags, "segment"),
        "intent": contact_kpis(flags, "intent"),
        "group": group_kpis(flags, legs, sessions, period),
    }
    parts = []
    for scope, table in tables.items():
        long = table.rename_axis("key").reset_index().melt(
            id_vars="key", var_name="kpi", value_name="value")
        long.insert(0, "scope", scope)
        parts.append(long)
    result = pd.concat(parts, ignore_index=True)
    result["key"] = result["key"].astype(str)
    return result
