"""Conformance check of routing policies (built-in or user-written).

``check_policy(MyPolicy, params)`` runs the policy on a small but demanding reference
center (two channels, three groups with overlapping skills, three segment priorities,
shifts, a full queue, impatient customers) and checks that it

1. never hands a contact to a busy or ineligible agent, nor an agent a contact that is
   not waiting in one of its queues (the engine refuses such decisions);
2. never lets an agent hold more conversations than its channel allows (capacity);
3. never loses or duplicates a contact: every arrival has exactly one outcome;
4. is deterministic given the seed (its randomness must come from ``view.rng``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simcc.errors import ModelError, SimccError
from simcc.metrics.records import to_frames
from simcc.model import build, replication_seedseq
from simcc.routing.registry import make_policy, register_policy, resolve_policy
from simcc.scenario import load_scenario

REFERENCE_CENTER: dict[str, Any] = {
    "name": "conformance",
    "horizon": {"duration": "3h", "warmup": "0s", "start": "08:00"},
    "channels": {"voice": {"patience": {"dist": "exponential", "mean": "2m"},
                           "queue_capacity": 6,
                           "self_service": {"mode": "on_offer", "duration": "40s",
                                            "containment": {"billing": 0.4}}},
                 "chat": {"patience": {"dist": "lognormal", "mean": "5m", "cv": 1.0}}},
    "segments": {"std": {"share": 0.6, "priority": 1}, "gold": {"share": 0.3, "priority": 2},
                 "vip": {"share": 0.1, "priority": 3, "patience_factor": 0.5}},
    "intents": {"billing": {"skill": "billing", "handle_time": {"dist": "exponential",
                                                                "mean": "4m"}},
                "tech": {"skill": "tech", "handle_time": {"dist": "gamma", "mean": "6m",
                                                          "cv": 0.7}}},
    "demand": [{"channel": "voice", "rate": {"per_hour": 70},
                "mix": {"billing": 0.6, "tech": 0.4}},
               {"channel": "chat", "rate": {"per_hour": 30},
                "mix": {"billing": 0.5, "tech": 0.5}}],
    "agents": {"generalists": {"count": 4, "skills": {"billing": 1.0, "tech": 0.5},
                               "channels": ["voice", "chat"], "wrap_up": "20s"},
               "tech": {"shifts": [{"start": "08:00", "end": "09:30", "count": 2},
                                   {"start": "09:00", "end": "11:00", "count": 2}],
                        "skills": {"tech": 1.0}, "channels": ["voice"]},
               "chat_team": {"count": 2, "skills": {"billing": 0.8, "tech": 0.8},
                             "channels": ["chat"]}},
}


JOURNEY_CENTER: dict[str, Any] = {
    **REFERENCE_CENTER,
    "name": "conformance_journeys",
    "channels": {"voice": REFERENCE_CENTER["channels"]["voice"],
                 "chat": {**REFERENCE_CENTER["channels"]["chat"], "concurrency": 2}},
    "intents": {name: {**spec, "resolution": 0.6, "misroute": 0.1}
                for name, spec in REFERENCE_CENTER["intents"].items()},
    "repeats": {"probability": 0.6, "delay": {"dist": "exponential", "mean": "15m"},
                "window": "2h", "switch": {"chat": {"voice": 0.5, "chat": 0.5}}},
}
"""The reference center with journeys: chat concurrency, misrouted contacts that are
transferred, unresolved issues that come back (partly on another channel), so
transfers, repeat contacts and entry decisions are exercised. (Voice self-service is
on offer in both centers, for policies that offer it.)"""


@dataclass
class ConformanceReport:
    """Outcome of :func:`check_policy`: ``failures`` is empty when the policy conforms."""

    policy: str
    failures: list[str] = field(default_factory=list)
    contacts: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        if self.passed:
            return f"policy {self.policy}: conforms ({self.contacts} contacts checked)"
        return f"policy {self.policy} fails:\n" + "\n".join(f"  - {f}" for f in self.failures)


def check_policy(policy: str | type, params: Mapping[str, Any] | None = None,
                 scenario: Mapping[str, Any] | None = None, seeds: tuple[int, ...] = (1, 2)
                 ) -> ConformanceReport:
    """Run the conformance checks on ``policy`` (a registered name, ``module:Class`` or
    a class) with ``params`` on the reference center and on its journey version;
    ``scenario`` replaces both."""
    name = policy if isinstance(policy, str) else _register(policy)
    report = ConformanceReport(name)
    for center in [scenario] if scenario is not None else [REFERENCE_CENTER, JOURNEY_CENTER]:
        document = copy.deepcopy(dict(center))
        document["routing"] = {"policy": name, "params": dict(params or {})}
        try:
            model = load_scenario(document)
            make_policy(name, params or {})
        except SimccError as exc:
            report.failures.append(f"cannot be set up: {exc}")
            return report
        _check_center(model, seeds, report)
    return report


def _check_center(model, seeds: tuple[int, ...], report: ConformanceReport) -> None:
    for seed in seeds:
        first = _run(model, seed, report)
        if first is None:
            continue
        report.contacts += len(first["contacts"])
        _check_records(first, model, report)
        again = _run(model, seed, report)
        if again is not None and not _same(first, again):
            report.failures.append(f"{model.name}: not deterministic: seed {seed} gave "
                                   "different records on a second run (use view.rng for "
                                   "randomness)")


def assert_policy(policy: str | type, params: Mapping[str, Any] | None = None, **kwargs: Any
                  ) -> None:
    """pytest helper: raise ``AssertionError`` listing every failed check."""
    report = check_policy(policy, params, **kwargs)
    assert report.passed, str(report)


def _register(cls: type) -> str:
    name = f"{cls.__module__}:{cls.__qualname__}"
    try:
        if resolve_policy(name) is cls:
            return name
    except SimccError:
        pass
    register_policy(name)(cls)
    return name


def _run(model, seed: int, report: ConformanceReport) -> dict[str, pd.DataFrame] | None:
    try:
        return to_frames(build(model, replication_seedseq(seed, 0)).run())
    except ModelError as exc:
        report.failures.append(f"{model.name}, seed {seed}: {exc}")
    except Exception as exc:  # a policy bug surfaces here; report it, don't crash
        report.failures.append(f"{model.name}, seed {seed}: the policy raised "
                               f"{type(exc).__name__}: {exc}")
    return None


def _check_records(frames: dict[str, pd.DataFrame], model, report: ConformanceReport) -> None:
    legs = frames["legs"]
    over = _over_capacity(legs, {n: ch.concurrency for n, ch in model.channels.items()})
    if over:
        report.failures.append(f"capacity: {over} legs start while their agent already holds "
                               "as many conversations as the channel allows")
    contacts = frames["contacts"].set_index("contact_id")
    for group, part in legs.groupby("group"):
        spec = model.agents[group]
        bad = ~part["channel"].isin(spec.channels) | ~part["skill"].isin(list(spec.skills))
        if bad.any():
            report.failures.append(f"eligibility: group {group} answered {int(bad.sum())} "
                                   "contacts it has no skill or channel for")
    if not contacts.index.is_unique:
        report.failures.append("duplicated contacts in the records")


def _over_capacity(legs: pd.DataFrame, concurrency: dict[str, int]) -> int:
    """Legs that start while their agent already holds the channel's concurrency."""
    over = 0
    for _, part in legs.groupby("agent"):
        starts = part["answered_s"].to_numpy()
        ends = np.sort(part["end_s"].to_numpy())
        held = (np.searchsorted(np.sort(starts), starts, side="left")
                - np.searchsorted(ends, starts + 1e-9, side="left"))
        limit = part["channel"].map(concurrency).to_numpy()
        over += int(np.sum(held >= limit))
    return over


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> bool:
    """Identical tables (NaN equal to NaN)."""
    return all(a[k].equals(b[k]) for k in a)
