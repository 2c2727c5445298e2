"""The agents' post-call time, estimated from a call log that records no wrap-up.

A log gives each served call's answer and end, and the agent who took it, but not what
the agent did between two calls. While callers wait, an agent who is free answers the
next one at once, so the gap from the end of an agent's call to its next answer, when
callers were waiting at the end of the call, is time the agent was not available:
after-call work, the switch's connection delay, a short pause. On the Anonymous Bank
log fewer than 1 % of the gaps before answering a caller who had waited are shorter
than 3 s; those counted here have a median of 5–6 s and a long tail (mean 15–24 s);
an agent answering a caller who did not wait at all had also been off its previous
call for more than 5 s in 99.5 % of cases. So every call is followed by a few seconds
of unavailability: :func:`post_call_time` gives their median, which ``simcc
calibrate`` writes as the group's constant ``wrap_up`` (docs/calibration.md,
"Post-call time").

The long tail (breaks, other work) is not wrap-up: gaps over the session gap end an
agent's session (:func:`~simcc.calibrate.observed.agent_sessions`); shorter ones are
left inside it, as logged-in time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcc.calibrate.observed import SESSION_GAP_S

WAITING_AT_LEAST = 2
"""Callers who must be waiting when a call ends for the gap to count (with one, another
free agent may have taken it)."""
MIN_GAPS = 50
"""Fewer counted gaps than this give no estimate (the log says too little)."""


@dataclass(frozen=True)
class PostCall:
    """Counted gaps (seconds) and their summary; ``wrap_up_s`` is ``None`` when fewer
    than :data:`MIN_GAPS` were counted."""

    gaps: np.ndarray

    @property
    def wrap_up_s(self) -> float | None:
        """The median gap, seconds (``None`` without enough gaps)."""
        return float(np.median(self.gaps)) if len(self.gaps) >= MIN_GAPS else None

    def diagnostics(self) -> dict[str, float | int | None]:
        """Count, median and mean of the gaps (for the calibrate summary)."""
        n = len(self.gaps)
        return {"n": n, "median_s": float(np.median(self.gaps)) if n else None,
                "mean_s": float(self.gaps.mean()) if n else None,
                "wrap_up_s": self.wrap_up_s}


def busy_gaps(contacts: pd.DataFrame, session_gap_s: float = SESSION_GAP_S) -> np.ndarray:
    """Seconds from the end of each served call to the same agent's next answer on the
    same day, when at least :data:`WAITING_AT_LEAST` callers were waiting at the end of
    the call; gaps up to ``session_gap_s`` (longer ones end a session). ``contacts``:
    :func:`~simcc.calibrate.observed.offered_contacts`."""
    served = (contacts["handled"] & contacts["agent"].notna()
              & contacts["handle_s"].notna()).to_numpy()
    found = [np.empty(0)]
    for _, day in contacts.assign(_served=served).groupby("date", sort=False):
        queued = np.sort(day["queued_s"].to_numpy(dtype=float))
        left = np.sort((day["queued_s"] + day["wait_s"]).to_numpy(dtype=float))
        calls = day[day["_served"]].sort_values(["agent", "answer_s"])
        start = calls["answer_s"].to_numpy(dtype=float)
        end = start + calls["handle_s"].to_numpy(dtype=float)
        agent = calls["agent"].to_numpy()
        gap, ended = start[1:] - end[:-1], end[:-1]
        waiting = (np.searchsorted(queued, ended, side="right")
                   - np.searchsorted(left, ended, side="right"))
        keep = ((agent[1:] == agent[:-1]) & (gap >= 0) & (gap <= session_gap_s)
                & (waiting >= WAITING_AT_LEAST))
        found.append(gap[keep])
    return np.concatenate(found)


def post_call_time(contacts: pd.DataFrame,
                   session_gap_s: float = SESSION_GAP_S) -> PostCall:
    """The post-call gaps of a log's offered contacts (see the module docstring)."""
    return PostCall(busy_gaps(contacts, session_gap_s))
