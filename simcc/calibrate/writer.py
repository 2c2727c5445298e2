"""Writing an estimated scenario as commented YAML."""

from __future__ import annotations

from typing import Any

import yaml

from simcc.calibrate.estimate import Estimate

COMMENTS = {
    "horizon": "One day from midnight; each replication is one more day of the same kind.",
    "channels": "Patience: censored maximum likelihood (abandoned waits observed, answered "
                "waits as lower bounds).",
    "segments": "Segment labels from the log; patience_factor = the segment's fitted mean "
                "patience / the channel's.",
    "intents": "Handle time: lognormal or gamma by maximum likelihood, lower AIC wins "
               "(its cv; the mean is the observed mean).",
    "profiles": "Mean contacts per interval of the day over the calibration days.",
    "demand": "Daily volume = mean over the days; busyness = day-to-day variability "
              "beyond Poisson (gamma factor, cv).",
    "agents": "Agents logged in per interval, inferred from services merged across short "
              "idle gaps, and across longer ones while no caller waited (agents on breaks "
              "are invisible in a call log); wrap_up = the median post-call time (gap to "
              "the agent's next answer while callers waited).",
}


class _Dumper(yaml.SafeDumper):
    """Lists of plain numbers are written on one line."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> Any:
    flow = all(isinstance(v, int | float) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def to_yaml(estimate: Estimate, source: str) -> str:
    """The scenario as YAML text with a header and one comment per section."""
    d = estimate.diagnostics
    lines = [
        f"# Calibrated by `simcc calibrate` from {source}",
        f"# {d['days']} days ({d['first_day']} to {d['last_day']}), "
        f"{d['offered']} contacts offered to agents.",
        "# Estimates and fit diagnostics: see the calibrate summary; docs/calibration.md.",
        "",
    ]
    for key, value in estimate.scenario.items():
        if key in COMMENTS:
            lines.append(f"# {COMMENTS[key]}")
        lines.append(yaml.dump({key: value}, Dumper=_Dumper, sort_keys=False,
                               width=100).rstrip())
    return "\n".join(lines) + "\n"


def summary(estimate: Estimate) -> str:
    """Readable text of what was estimated and the fit diagnostics."""
    d = estimate.diagnostics
    out = [f"days: {d['days']} ({d['first_day']} to {d['last_day']}); "
           f"offered contacts: {d['offered']}"]
    p = d["patience"]
    out.append(f"patience: {p['family']}, mean {p['mean_s']:.0f} s from {p['n']} contacts "
               f"({p['abandoned']} abandoned; best family {p['best_family']}, AIC gain over "
               f"exponential {p['aic_gain_over_exponential']:.0f}; naive mean of abandonment "
               f"times {p['naive_mean_s']:.0f} s, biased low)")
    for key, value in d.items():
        if key.startswith("handle_time."):
            fits = ", ".join(f"{name} AIC {fit['aic']:.0f} (KS {fit['ks']:.3f})"
                             for name, fit in value["fits"].items())
            out.append(f"handle time {key.split('.', 1)[1]}: n {value['n']}, mean "
                       f"{value['mean_s']:.0f} s, cv {value['cv']:.2f}; {fits}; "
                       f"chosen {value['chosen']}")
        elif key.startswith("daily_volume."):
            cv = value["busyness_cv"]
            out.append(f"daily volume {key.split('.', 1)[1]}: mean {value['mean']:.0f}, sd "
                       f"{value['sd']:.0f}, busyness cv {cv if cv is not None else 'none'}")
    out.append(f"staffing: peak {d['staffing_peak']:.1f} agents logged in per interval")
    if (post := d.get("post_call")) is not None:
        out.append(_post_call_line(post))
    return "\n".join(out)


def _post_call_line(post: dict) -> str:
    """The post-call estimate in one line of the summary."""
    if post["wrap_up_s"] is None:
        return (f"post-call time: {post['n']} gaps to the next answer while callers waited, "
                "too few: no wrap-up")
    if post["wrap_up_s"] == 0:
        return (f"post-call time: none (agents answered waiting callers at once over "
                f"{post['n']} gaps): no wrap-up")
    return (f"post-call time: median {post['median_s']:.0f} s (mean {post['mean_s']:.0f} s) "
            f"over {post['n']} gaps to the agent's next answer while callers waited: "
            f"wrap_up {post['wrap_up_s']:.0f} s")
