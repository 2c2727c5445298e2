"""Small scenario builders (and offered-contact tables) shared by the tests."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

ERLANG_A: dict[str, Any] = {
    "name": "erlang-a",
    "horizon": {"duration": "8h", "warmup": "1h"},
    "seed": 1,
    "replications": 20,
    "channels": {"voice": {"patience": {"dist": "exponential", "mean": "10m"},
                           "service_level": {"threshold": "20s", "target": 0.8}}},
    "intents": {"general": {"skill": "general",
                            "handle_time": {"dist": "exponential", "mean": "5m"}}},
    "demand": [{"channel": "voice", "rate": {"per_hour": 1176}, "mix": {"general": 1.0}}],
    "agents": {"team": {"count": 100, "skills": {"general": 1.0}, "channels": ["voice"]}},
    "routing": {"policy": "skill_based"},
}


def scenario(**changes: Any) -> dict[str, Any]:
    """A copy of the Erlang-A example with top-level keys replaced."""
    document = copy.deepcopy(ERLANG_A)
    document.update(copy.deepcopy(changes))
    return document


def small(**changes: Any) -> dict[str, Any]:
    """A small, fast center: 5 agents, 2 hours."""
    base = scenario(
        horizon={"duration": "2h", "warmup": "15m"},
        demand=[{"channel": "voice", "rate": {"per_hour": 50}, "mix": {"general": 1.0}}],
        agents={"team": {"count": 5, "skills": {"general": 1.0}, "channels": ["voice"]}},
        replications=2,
    )
    base.update(copy.deepcopy(changes))
    return base


def interruptible() -> None:
    """``preexec_fn`` for a child that a test interrupts with SIGINT: restore SIGINT's
    default disposition. A shell starts background jobs with SIGINT ignored (``cmd &``,
    ``nohup``), the ignore is inherited, and Python then installs no KeyboardInterrupt
    handler, as for any program started that way; a terminal's Ctrl-C reaches a child
    whose SIGINT is not ignored, which is what the tests mean to check."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def offered(rows: list[tuple]) -> pd.DataFrame:
    """One day's offered contacts (as :func:`simcc.calibrate.observed.offered_contacts`
    gives them) from ``(agent, queued_s, wait_s, handle_s)`` rows; agent None: the caller
    abandoned after its wait."""
    frame = pd.DataFrame(rows, columns=["agent", "queued_s", "wait_s", "handle_s"])
    handled = frame["agent"].notna()
    return frame.assign(date=pd.Timestamp("2026-01-05"), handled=handled,
                        abandoned=~handled, answer_s=frame["queued_s"] + frame["wait_s"],
                        handle_s=frame["handle_s"].where(handled))
