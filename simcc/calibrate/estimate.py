"""Estimating a scenario from the offered contacts of a log.

What is estimated, per intent (the log's type):

- **demand**: the mean daily volume and its intraday profile (share of the day's
  contacts per interval, averaged over the chosen days), and the day-to-day
  variability beyond Poisson as a gamma busyness factor:
  ``cv^2 = (var(daily count) - mean) / mean^2`` (omitted when not positive);
- **handle time**: lognormal and gamma fitted by maximum likelihood (location 0); the
  lower AIC wins and gives the shape (cv), the mean is the observed mean (a lognormal's
  fitted mean can lie 5–10 % above it, and the work offered must be right: on the
  bank's quiet months that bias alone moved replayed abandonment by +7 points);
  ``empirical`` keeps the observed values instead;
- **patience** (for the whole channel, and a factor per segment): censored maximum
  likelihood — abandoned contacts give their wait as an observation, answered contacts
  only a lower bound — exponential unless Weibull or lognormal lowers the AIC by at
  least 10 (strong evidence);
- **staffing**: agents logged in per interval, time-weighted, inferred from each
  agent's services merged into sessions across idle gaps up to ``session_gap_s`` and
  across longer ones during which no caller waited
  (:func:`~simcc.calibrate.observed.agent_sessions`; agents on a break or doing other
  work are invisible in a call log), as a per-interval staffing table of one group with
  every skill;
- **post-call time**: the median gap from an agent's call end to its next answer while
  callers waited (:mod:`simcc.calibrate.postcall`), as the group's constant
  ``wrap_up`` (``wrap_up="none"``: no wrap-up);
- **segments**: the log's segment labels, their shares and priorities (a label named
  ``high`` gets a higher priority).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from simcc.calibrate.observed import DAY_S, SESSION_GAP_S, agents_per_interval
from simcc.calibrate.postcall import post_call_time
from simcc.calibrate.survival import best_censored_fit, fit_censored, naive_mean


@dataclass
class Estimate:
    """A scenario document estimated from a log, with the diagnostics behind it."""

    scenario: dict[str, Any]
    diagnostics: dict[str, Any] = field(default_factory=dict)


def _sig(value: float, digits: int = 4) -> float:
    """Round to ``digits`` significant digits (readable YAML)."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(round(value, digits - 1 - int(math.floor(math.log10(abs(value))))))


def fit_handle_time(values: np.ndarray, family: str = "auto") -> tuple[dict, dict]:
    """Fit handle times (seconds > 0): returns ``(distribution spec, diagnostics)``; the
    spec has the chosen family's cv and the observed mean.

    ``family``: ``auto`` (lognormal or gamma, lower AIC), ``lognormal``, ``gamma`` or
    ``empirical``.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    if len(x) < 2:
        raise ValueError("need at least two positive handle times to fit")
    mean, cv = float(x.mean()), float(x.std(ddof=1) / x.mean())
    fits = {}
    for name, dist in (("lognormal", stats.lognorm), ("gamma", stats.gamma)):
        params = dist.fit(x, floc=0)
        frozen = dist(*params)
        fits[name] = {"aic": 2 * 2 - 2 * float(frozen.logpdf(x).sum()),
                      "mean": float(frozen.mean()), "cv": float(frozen.std() / frozen.mean()),
                      "ks": float(stats.kstest(x, frozen.cdf).statistic)}
    chosen = min(fits, key=lambda k: fits[k]["aic"]) if family == "auto" else family
    diagnostics = {"n": len(x), "mean_s": mean, "cv": cv, "fits": fits, "chosen": chosen}
    if chosen == "empirical":
        spec = {"dist": "empirical", "values": [_sig(v) for v in np.sort(x)]}
    else:
        spec = {"dist": chosen, "mean": _sig(mean),
                "cv": _sig(fits[chosen]["cv"])}
    return spec, diagnostics


STRONG_EVIDENCE_AIC = 10.0
"""A two-parameter patience family replaces the exponential only when it lowers the AIC
by at least this much: waits are short, so the data say little about the tail of
patience, and a weakly supported shape extrapolates to absurd means."""


def fit_patience(contacts: pd.DataFrame) -> tuple[dict, dict]:
    """Censored fit of patience over offered contacts; ``(spec, diagnostics)``.

    Exponential unless Weibull or lognormal lowers the AIC by ``STRONG_EVIDENCE_AIC``.
    """
    waits, abandoned = contacts["wait_s"].to_numpy(), contacts["abandoned"].to_numpy()
    exponential = fit_censored(waits, abandoned, "exponential")
    best = best_censored_fit(waits, abandoned)
    fit = best if best.aic <= exponential.aic - STRONG_EVIDENCE_AIC else exponential
    return fit.to_spec(), {
        "family": fit.family, "mean_s": fit.mean, "n": fit.n, "abandoned": fit.n_events,
        "aic_gain_over_exponential": exponential.aic - best.aic, "best_family": best.family,
        "naive_mean_s": naive_mean(contacts["wait_s"].to_numpy(),
                                   contacts["abandoned"].to_numpy()),
    }


def busyness_cv(daily_counts: np.ndarray) -> float | None:
    """Gamma busyness cv from daily counts (None when no overdispersion is seen)."""
    counts = np.asarray(daily_counts, dtype=float)
    if len(counts) < 3 or counts.mean() <= 0:
        return None
    excess = counts.var(ddof=1) - counts.mean()
    return _sig(math.sqrt(excess) / counts.mean(), 3) if excess > 0 else None


def profile_weights(queued_s: np.ndarray, interval_s: float, days: int) -> list[float]:
    """Mean contacts per interval of the day (the profile's weights)."""
    bins = int(round(DAY_S / interval_s))
    counts = np.bincount((np.asarray(queued_s) // interval_s).astype(int) % bins,
                         minlength=bins)
    return [_sig(c / days, 3) for c in counts]


def staffing_counts(agents: np.ndarray) -> list[int]:
    """Whole agents per interval: rounded, but an interval where agents were logged in
    at least a fifth of the time keeps one (so early and late calls can be served)."""
    return [max(int(round(v)), 1) if v >= 0.2 else 0 for v in agents]


PRIORITY_RULES = ("labels", "equal")
"""How ``estimate`` sets segment priorities (see its ``priority``)."""
WRAP_UP_RULES = ("auto", "none")
"""How ``estimate`` sets the group's wrap-up (see its ``wrap_up``)."""


def estimate(contacts: pd.DataFrame, name: str, interval_s: float = 1800.0,
             threshold_s: float = 20.0, handle_family: str = "auto",
             replications: int = 10, seed: int = 1,
             session_gap_s: float = SESSION_GAP_S, priority: str = "labels",
             wrap_up: str = "auto") -> Estimate:
    """Estimate a one-day scenario (00:00 to 24:00, repeated by replications) from the
    offered contacts of a log (see :func:`simcc.calibrate.observed.offered_contacts`).
    ``priority``: ``labels`` (a segment named ``high`` is served first) or ``equal``
    (every segment served first come, first served). ``wrap_up``: ``auto`` (the log's
    post-call time, when it shows enough gaps) or ``none``."""
    if priority not in PRIORITY_RULES:
        raise ValueError(f"priority: expected labels or equal, got {priority!r}")
    if wrap_up not in WRAP_UP_RULES:
        raise ValueError(f"wrap_up: expected auto or none, got {wrap_up!r}")
    if contacts.empty:
        raise ValueError("the log has no offered contacts for the chosen days")
    days = int(contacts["date"].nunique())
    diagnostics: dict[str, Any] = {"days": days, "offered": len(contacts),
                                   "first_day": str(contacts["date"].min().date()),
                                   "last_day": str(contacts["date"].max().date())}
    intents, profiles, demand = {}, {}, []
    for intent, part in sorted(contacts.groupby("intent"), key=lambda kv: -len(kv[1])):
        spec, handle_diag = fit_handle_time(part["handle_s"].dropna(), handle_family)
        intents[intent] = {"skill": intent, "handle_time": spec}
        profiles[intent] = {"start": "00:00", "interval": interval_s,
                            "weights": profile_weights(part["queued_s"], interval_s, days)}
        daily = part.groupby("date").size().reindex(contacts["date"].unique(), fill_value=0)
        stream = {"channel": "voice",
                  "rate": {"per_day": _sig(len(part) / days), "profile": intent},
                  "mix": {intent: 1.0}}
        if (cv := busyness_cv(daily.to_numpy())) is not None:
            stream["busyness"] = {"cv": cv}
        demand.append(stream)
        diagnostics[f"handle_time.{intent}"] = handle_diag
        diagnostics[f"daily_volume.{intent}"] = {"mean": float(daily.mean()),
                                                 "sd": float(daily.std(ddof=1)),
                                                 "busyness_cv": cv}
    patience, patience_diag = fit_patience(contacts)
    diagnostics["patience"] = patience_diag
    segments = _segments(contacts, patience_diag["mean_s"], diagnostics,
                         priority == "labels")
    staffing = agents_per_interval(contacts, interval_s, session_gap_s)
    diagnostics["staffing_peak"] = float(staffing.max())
    group = {"staffing": {"start": "00:00", "interval": interval_s,
                          "counts": staffing_counts(staffing)},
             "skills": {intent: 1.0 for intent in intents}, "channels": ["voice"]}
    if wrap_up == "auto":
        post_call = post_call_time(contacts, session_gap_s)
        diagnostics["post_call"] = post_call.diagnostics()
        if post_call.wrap_up_s:  # None (too few gaps) or 0 (agents answer at once)
            group["wrap_up"] = _sig(post_call.wrap_up_s, 3)
    scenario = {
        "name": name,
        "description": f"Calibrated from {days} days of contact records "
                       f"({diagnostics['first_day']} to {diagnostics['last_day']}).",
        "horizon": {"duration": "24h", "start": "00:00", "interval": interval_s},
        "seed": seed,
        "replications": replications,
        "channels": {"voice": {"patience": patience,
                               "service_level": {"threshold": threshold_s, "target": 0.8}}},
        "segments": segments,
        "intents": intents,
        "profiles": profiles,
        "demand": demand,
        "agents": {"agents": group},
        "routing": {"policy": "skill_based"},
    }
    return Estimate(scenario, diagnostics)


def _segments(contacts: pd.DataFrame, overall_patience_s: float,
              diagnostics: dict[str, Any], by_label: bool) -> dict[str, dict]:
    shares = contacts["segment"].value_counts(normalize=True).sort_index()
    labels = list(shares.index)
    segments = {}
    for label in labels:
        part = contacts[contacts["segment"] == label]
        factor = 1.0
        if part["abandoned"].sum() >= 20:
            _, diag = fit_patience(part)
            factor = _sig(diag["mean_s"] / overall_patience_s, 3)
            diagnostics[f"patience.{label}"] = diag
        first = by_label and label == "high"
        segments[label] = {"share": float(shares[label]), "priority": 2 if first else 1,
                           "patience_factor": factor}
    # Shares must sum to exactly 1 after rounding: the largest takes the remainder.
    rounded = {k: _sig(v["share"], 6) for k, v in segments.items()}
    largest = max(rounded, key=rounded.get)
    rounded[largest] = 1.0 - sum(v for k, v in rounded.items() if k != largest)
    for label, share in rounded.items():
        segments[label]["share"] = share
    return segments
