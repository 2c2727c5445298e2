"""KPIs as pure functions of the record tables (DESIGN section 6).

Counted contacts are those arriving in ``[warmup, horizon)``. Definitions:

- ``arrivals``: counted contacts reaching the routing (before any queue capacity check);
- ``offered``: counted contacts that reached an agent queue, i.e. not ``blocked``;
- ``blocked_rate`` = blocked / arrivals (refused because the queue was full);
- ``handled``, ``abandoned``, ``abandon_rate`` = abandoned / offered;
- ``p_wait``: offered contacts not answered at once (abandoned ones count as waited);
- ``asa_s``: mean wait of answered contacts; ``mean_wait_s``: mean time in queue of all
  offered contacts (answered, abandoned or unserved); ``wait_p90_s``: 90th percentile of
  the wait of answered contacts;
- ``service_level``: contacts answered with a wait <= the channel threshold / offered
  (abandoned contacts count against it, whenever they left);
- ``aht_s``: mean handle + wrap-up time of the legs of counted contacts;
- ``occupancy``: agent busy time / agent logged-in time, both within the counted period
  (busy = from answer to the end of wrap-up, whoever the contact is);
- ``transfer_rate``: answered contacts with more than one leg / answered contacts;
- ``fcr``: issues whose first answered contact resolved them with no transfer and no
  repeat contact / issues with at least one answered contact;
- ``repeat_rate``: offered contacts that repeat an earlier contact of the same issue /
  offered;
- ``agent_cost``: logged-in hours in the counted period x the group's cost per hour;
  ``cost_per_handled`` = agent_cost / handled.

Every function returns a DataFrame indexed by the scope key with one column per KPI;
KPIs that do not apply to a scope (abandonment by agent group) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcc.metrics.timeweighted import overlap_per_bin
from simcc.scenario.schema import Scenario

CONTACT_KPIS = (
    "arrivals", "offered", "handled", "abandoned", "abandon_rate", "blocked_rate", "p_wait",
    "asa_s", "mean_wait_s", "service_level", "wait_p90_s", "aht_s", "transfer_rate", "fcr",
    "repeat_rate",
)
AGENT_KPIS = ("occupancy", "staffed_agents", "agent_cost", "cost_per_handled")
ALL_KPIS = CONTACT_KPIS + AGENT_KPIS
GROUP_KPIS = ("handled", "asa_s", "aht_s", "transfer_rate", "fcr") + AGENT_KPIS
OVERALL_KEY = "all"


@dataclass(frozen=True)
class Period:
    """The counted period ``[warmup_s, end_s)`` and per-channel SL thresholds (s)."""

    warmup_s: float
    end_s: float
    thresholds: dict[str, float]
    cost_per_hour: dict[str, float]

    @classmethod
    def of(cls, scenario: Scenario) -> Period:
        return cls(scenario.horizon.warmup, scenario.horizon.length_s,
                   {name: ch.service_level.threshold for name, ch in scenario.channels.items()},
                   {name: g.cost_per_hour for name, g in scenario.agents.items()})


def contact_flags(contacts: pd.DataFrame, legs: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Counted contacts with the per-contact values every contact KPI is built from.

    Besides outcome booleans: ``legs`` and ``work_s`` (number of legs and their handle +
    wrap-up seconds), and issue-level FCR stored on the issue's first counted contact
    (``issue_head``, ``issue_answered``, ``issue_fcr``).
    """
    counted = contacts[(contacts["arrival_s"] >= period.warmup_s)
                       & (contacts["arrival_s"] < period.end_s)]
    frame = counted[["contact_id", "issue_id", "channel", "segment", "intent", "arrival_s",
                     "wait_s", "resolved"]].reset_index(drop=True)
    outcome = counted["outcome"].to_numpy()
    frame["blocked"] = outcome == "blocked"
    frame["offered"] = ~frame["blocked"]
    frame["handled"] = outcome == "handled"
    frame["abandoned"] = outcome == "abandoned"
    frame["waited"] = frame["offered"] & ~(frame["handled"] & frame["wait_s"].le(0.0))
    threshold = counted["channel"].map(period.thresholds).astype(float).to_numpy()
    frame["in_sl"] = frame["handled"] & (frame["wait_s"].to_numpy() <= threshold)
    _add_leg_totals(frame, legs)
    frame["transferred"] = frame["handled"] & (frame["legs"] > 1)
    frame["repeat"] = frame["offered"] & frame["contact_id"].ne(frame["issue_id"])
    _add_issue_fcr(frame)
    return frame


def _add_leg_totals(frame: pd.DataFrame, legs: pd.DataFrame) -> None:
    ids = frame["contact_id"].to_numpy()
    order = np.argsort(ids, kind="stable")
    leg_ids = legs["contact_id"].to_numpy()
    where = np.minimum(np.searchsorted(ids, leg_ids, sorter=order), max(len(ids) - 1, 0))
    found = (ids[order[where]] == leg_ids) if len(ids) else np.zeros(len(leg_ids), bool)
    rows = order[where[found]]
    work = (legs["handle_s"].to_numpy() + legs["wrap_s"].to_numpy())[found]
    frame["legs"] = np.bincount(rows, minlength=len(ids))
    frame["work_s"] = np.bincount(rows, weights=work, minlength=len(ids))


def _add_issue_fcr(frame: pd.DataFrame) -> None:
    """FCR of each issue: its first answered contact resolved it, with no transfer, and
    the issue had no other contact."""
    n = len(frame)
    head = np.zeros(n, dtype=bool)
    answered = np.zeros(n, dtype=bool)
    fcr = np.zeros(n, dtype=bool)
    if n:
        order = np.lexsort((frame["contact_id"].to_numpy(), frame["issue_id"].to_numpy()))
        issue = frame["issue_id"].to_numpy()[order]
        starts = np.flatnonzero(np.r_[True, issue[1:] != issue[:-1]])
        contacts_per_issue = np.diff(np.r_[starts, n])
        position = np.where(frame["handled"].to_numpy()[order], np.arange(n), n)
        first_answered = np.minimum.reduceat(position, starts)
        is_answered = first_answered < n
        pick = order[np.minimum(first_answered, n - 1)]
        ok = (is_answered & frame["resolved"].to_numpy()[pick]
              & ~frame["transferred"].to_numpy()[pick] & (contacts_per_issue == 1))
        head[order[starts]] = True
        answered[order[starts]] = is_answered
        fcr[order[starts]] = ok
    frame["issue_head"], frame["issue_answered"], frame["issue_fcr"] = head, answered, fcr


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def contact_kpis(flags: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Contact KPIs of counted contacts, per value of column ``by`` (None: overall)."""
    if by is None:
        codes, labels = np.zeros(len(flags), dtype=np.int64), pd.Index([OVERALL_KEY])
    else:
        codes, labels = pd.factorize(flags[by], sort=True)
        labels = pd.Index(labels)
    m = len(labels)

    def total(values: pd.Series | np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=np.asarray(values, dtype=float), minlength=m)

    col = {name: flags[name].to_numpy() for name in (
        "offered", "handled", "abandoned", "blocked", "waited", "in_sl", "transferred",
        "repeat", "wait_s", "legs", "work_s", "issue_answered", "issue_fcr")}
    arrivals = np.bincount(codes, minlength=m).astype(float)
    offered, handled = total(col["offered"]), total(col["handled"])
    wait = col["wait_s"]
    out = pd.DataFrame(index=labels)
    out["arrivals"] = arrivals
    out["offered"] = offered
    out["handled"] = handled
    out["abandoned"] = total(col["abandoned"])
    out["abandon_rate"] = _ratio(out["abandoned"], offered)
    out["blocked_rate"] = _ratio(total(col["blocked"]), arrivals)
    out["p_wait"] = _ratio(total(col["waited"]), offered)
    out["asa_s"] = _ratio(total(np.where(col["handled"], wait, 0.0)), handled)
    out["mean_wait_s"] = _ratio(total(np.where(col["offered"], wait, 0.0)), offered)
    out["service_level"] = _ratio(total(col["in_sl"]), offered)
    out["wait_p90_s"] = [_quantile(wait[(codes == k) & col["handled"]], 0.9) for k in range(m)]
    out["aht_s"] = _ratio(total(col["work_s"]), total(col["legs"]))
    out["transfer_rate"] = _ratio(total(col["transferred"]), handled)
    out["fcr"] = _ratio(total(col["issue_answered"] & col["issue_fcr"]),
                        total(col["issue_answered"]))
    out["repeat_rate"] = _ratio(total(col["repeat"]), offered)
    return out


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
    counted_legs = legs[legs["contact_id"].isin(flags["contact_id"])]
    out["aht_s"] = (counted_legs["handle_s"] + counted_legs["wrap_s"]).groupby(
        counted_legs["group"]).mean()
    agents = agent_kpis(legs, sessions, period, by="group")
    out = agents.join(out, how="left")
    out["handled"] = out["handled"].fillna(0.0)
    out["cost_per_handled"] = _ratio(out["agent_cost"], out["handled"])
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
        busy = overlap_per_bin(sel_l["answered_s"], sel_l["end_s"], edges)[0]
        rate = sel_s["group"].map(period.cost_per_hour).astype(float)
        cost = float(sum(overlap_per_bin(s.start_s, s.end_s, edges)[0] / 3600 * r
                         for s, r in zip(_by_rate(sel_s, rate), sorted(set(rate)), strict=True)))
        rows[key] = {"occupancy": busy / staffed if staffed > 0 else np.nan,
                     "staffed_agents": staffed / 3600.0 / length_h if length_h > 0 else np.nan,
                     "agent_cost": cost}
    return pd.DataFrame.from_dict(rows, orient="index")


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
    overall["cost_per_handled"] = _ratio(overall["agent_cost"], overall["handled"])
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
