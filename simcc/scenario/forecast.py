"""Forecast demand: ``demand[i].forecast``, the volume (and AHT, ACW) of each interval.

A forecast gives, per interval start and intent, the expected number of contacts and
optionally their mean handle time (``aht``, talk and hold, seconds) and mean
after-contact work (``acw``, seconds). Arrivals in an interval are Poisson with the
row's volume as mean, uniform within the interval (as for a profile). A contact's
handle time is its intent's distribution scaled to the row's AHT (the shape is kept;
a blank AHT keeps the intent's mean); a row's ACW replaces the serving group's mean
wrap-up for its contacts (the group's distribution scaled to it, or exactly the ACW
when the group has none).

Rows dated ``YYYY-MM-DD`` place themselves on the calendar (``calendar.start_date``
is needed; the calendar's day rules do not apply to them: the forecast already is that
date's volume). Rows with a clock time only describe a typical day, repeated every
day, and a calendar's day rules scale their volume. Without an intent column the
demand's ``mix`` splits each row's volume. The demand's ``rate`` and (with intents)
``mix`` are derived from the forecast: the mean daily volume and the volume shares
(what summaries show); giving different ones is an error.

The file itself is read by :mod:`simcc.scenario.wfm_files`; this module holds the
inline form (:class:`Forecast`) and the rate pieces the engine and the planners use.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import Field, model_validator

from simcc.errors import ScenarioError, shown
from simcc.scenario.types import Duration, Name, Spec
from simcc.scenario.wfm_files import (
    FORECAST_COLUMNS,
    MAX_ROWS,
    MAX_VOLUME,
    collect,
    infer_interval,
    parse_number,
    parse_seconds,
    parse_start,
    read_sheet,
    require_columns,
)
from simcc.units import DAY, format_clock

if TYPE_CHECKING:
    from simcc.scenario.schema import Demand, Scenario

Seconds = Annotated[float, Field(gt=0, le=DAY)]

MAX_PIECES = 2_000_000
"""Most forecast intervals laid over a horizon (rows x days for a typical day)."""


def laid_intervals(forecast: Forecast, horizon_days: float) -> int:
    """How many intervals a forecast lays over a horizon of ``horizon_days`` days: its
    rows once when dated, every day (and the days around) for a typical day."""
    return len(forecast.volume) * (1 if forecast.dated else math.ceil(horizon_days) + 2)


class Forecast(Spec):
    """A forecast, inline: one entry per row in each list (see the module docstring).
    ``source`` names the file it was read from (display only); ``interval`` is the
    length of every row's interval (default: ``horizon.interval``)."""

    source: str = Field(default="", max_length=1000)
    interval: Duration | None = Field(default=None, gt=0, le=DAY)
    dates: list[dt.date | None] = Field(min_length=1, max_length=MAX_ROWS)
    starts: list[Annotated[float, Field(ge=0, lt=DAY)]] = Field(max_length=MAX_ROWS)
    intents: list[Name | None] = Field(max_length=MAX_ROWS)
    volume: list[Annotated[float, Field(ge=0, le=MAX_VOLUME)]] = Field(max_length=MAX_ROWS)
    aht: list[Seconds | None] = Field(max_length=MAX_ROWS)
    acw: list[Annotated[float, Field(ge=0, le=DAY)] | None] = Field(max_length=MAX_ROWS)

    @model_validator(mode="after")
    def _consistent(self) -> Forecast:
        n = len(self.dates)
        if any(len(getattr(self, k)) != n for k in ("starts", "intents", "volume", "aht",
                                                      "acw")):
            raise ValueError("dates, starts, intents, volume, aht and acw must have one "
                             "entry per row each")
        if len({d is None for d in self.dates}) > 1:
            raise ValueError("give a date on every row or on none")
        if len({i is None for i in self.intents}) > 1:
            raise ValueError("give an intent on every row or on none")
        if sum(self.volume) <= 0:
            raise ValueError("the forecast has no volume (every row is 0)")
        twice = [key for key, count in Counter(self.keys()).items() if count > 1]
        if twice:
            date, start, intent = twice[0]
            raise ValueError(f"two rows for the same interval: {date or ''} "
                             f"{format_clock(start)} {intent or ''}".replace("  ", " "))
        return self

    def keys(self) -> list[tuple[dt.date | None, float, str | None]]:
        """(date, start, intent) of every row."""
        return list(zip(self.dates, self.starts, self.intents, strict=True))

    @property
    def dated(self) -> bool:
        """Whether the rows carry dates."""
        return self.dates[0] is not None

    @property
    def by_intent(self) -> bool:
        """Whether the rows name intents."""
        return self.intents[0] is not None

    def days(self) -> int:
        """Number of days the forecast describes (distinct dates; 1 for a typical day)."""
        return len(set(self.dates)) if self.dated else 1

    def intent_volumes(self) -> dict[str, float]:
        """Total volume per intent, in order of first appearance."""
        totals: dict[str, float] = {}
        for intent, volume in zip(self.intents, self.volume, strict=True):
            totals[intent] = totals.get(intent, 0.0) + volume
        return totals


def derived_rate_and_mix(forecast: Forecast) -> tuple[dict[str, Any], dict[str, float] | None]:
    """The ``rate`` (mean daily volume) and, for a forecast by intent, the ``mix``
    (volume shares) a demand with this forecast has."""
    total = sum(forecast.volume)
    rate = {"per_day": total / forecast.days()}
    if not forecast.by_intent:
        return rate, None
    return rate, {name: v / total for name, v in forecast.intent_volumes().items()}


def check_derived(demand: Any) -> None:
    """A ValueError when a demand with a forecast gives a ``rate`` or ``mix`` other than
    the derived ones (:func:`derived_rate_and_mix`), or lacks the mix a forecast without
    intents needs. Called by the schema with ``demand`` validated."""
    rate, mix = derived_rate_and_mix(demand.forecast)
    given_rate = demand.rate
    if given_rate is not None and (given_rate.per_day is None or given_rate.profile is not None
                                   or not math.isclose(given_rate.per_day, rate["per_day"],
                                                       rel_tol=1e-9)):
        raise ValueError("with a forecast, the rate comes from it: remove 'rate'")
    if mix is None and demand.mix is None:
        raise ValueError("the forecast has no intent column: give the 'mix' that splits "
                         "its volume")
    if mix is not None and demand.mix is not None and (
            demand.mix.keys() != mix.keys()
            or any(not math.isclose(demand.mix[k], mix[k], rel_tol=1e-9) for k in mix)):
        raise ValueError("with a forecast by intent, the mix comes from it: remove 'mix'")


def read_forecast(path: Path, label: str, demand: dict[str, Any], document: dict[str, Any],
                  where: str) -> dict[str, Any]:
    """The inline forecast mapping of the CSV at ``path`` for the demand entry
    ``demand`` of ``document`` (rows of other channels are skipped when the file has a
    channel column)."""
    sheet = read_sheet(path, label, FORECAST_COLUMNS, where)
    require_columns(sheet, ("start", "volume"), where)
    channels = document.get("channels") if isinstance(document.get("channels"), dict) else {}
    own = demand.get("channel")

    def parse_row(line: int, cells: list[str]) -> tuple | None:
        if not sheet.belongs(line, cells, "channel", channels, own, "a channel"):
            return None
        date, start = parse_start(sheet, line, cells)
        intent = sheet.cell(cells, "intent") or None
        if "intent" in sheet.columns and intent is None:
            raise ValueError(f"{sheet.where(line, 'intent')}: blank; name the intent")
        volume = parse_number(sheet, line, cells, "volume", MAX_VOLUME)
        if volume is None:
            raise ValueError(f"{sheet.where(line, 'volume')}: blank; give the number of "
                             "contacts (0 for none)")
        aht = parse_seconds(sheet, line, cells, "aht")
        if aht == 0:
            raise ValueError(f"{sheet.where(line, 'aht')}: must be > 0 (leave it blank to "
                             "keep the intent's handle time)")
        return date, start, intent, volume, aht, parse_seconds(sheet, line, cells, "acw")

    rows = [row for row in collect(sheet, where, parse_row) if row is not None]
    if not rows:
        raise ScenarioError([(where, f"{label}: no row for channel {shown(own, 40)}")])
    dates, starts, intents, volume, aht, acw = (list(col) for col in zip(*rows, strict=True))
    interval = infer_interval(starts, dates[0] is not None, sheet, where)
    out = {"source": label, "dates": dates, "starts": starts, "intents": intents,
           "volume": volume, "aht": aht, "acw": acw}
    return out | ({"interval": interval} if interval is not None else {})


def intent_pieces(scenario: Scenario, demand: Demand) -> dict[str, np.ndarray]:
    """Per intent, the rows ``(start_s, end_s, rate_per_s, aht_s, acw_s)`` of a forecast
    demand over ``[0, horizon)``, sorted by start (``aht_s`` and ``acw_s`` are NaN where
    the forecast leaves them blank)."""
    forecast, horizon, calendar = demand.forecast, scenario.horizon, scenario.calendar
    interval = forecast.interval or horizon.interval
    length = horizon.length_s
    shares = ({None: None} if forecast.by_intent else demand.mix)
    rows: dict[str, list[tuple[float, ...]]] = {}
    for day_offset, volume_factor in _days(scenario, forecast):
        for date, start, intent, volume, aht, acw in zip(
                forecast.dates, forecast.starts, forecast.intents, forecast.volume,
                forecast.aht, forecast.acw, strict=True):
            if forecast.dated:
                begin = (date - calendar.start_date).days * DAY + start - horizon.start
            else:
                begin = day_offset * DAY + start - horizon.start
            lo, hi = max(begin, 0.0), min(begin + interval, length)
            if hi <= lo or volume <= 0:
                continue
            rate = volume * volume_factor / interval
            for name, share in shares.items():
                key = intent if name is None else name
                part = rate if share is None else rate * share
                rows.setdefault(key, []).append(
                    (lo, hi, part, math.nan if aht is None else aht,
                     math.nan if acw is None else acw))
    return {name: np.array(sorted(r), dtype=float).reshape(-1, 5) for name, r in rows.items()}


def _days(scenario: Scenario, forecast: Forecast) -> list[tuple[int, float]]:
    """(day offset, volume factor) of the days a forecast's rows are laid on: once for
    dated rows, every day of the horizon (with its calendar rule) for a typical day."""
    if forecast.dated:
        return [(0, 1.0)]
    horizon, calendar = scenario.horizon, scenario.calendar
    days = range(-1, math.ceil((horizon.start + horizon.length_s) / DAY) + 1)
    if calendar is None:
        return [(d, 1.0) for d in days]
    out = []
    for d in days:
        rule = calendar.rule(calendar.start_date + dt.timedelta(days=d))
        out.append((d, 1.0 if rule is None else rule.volume))
    return [(d, f) for d, f in out if f > 0]


def rate_at(pieces: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rate and AHT (NaN: the intent's own) of ``pieces`` at simulated times ``t``
    (zero rate outside every piece)."""
    if len(pieces) == 0:
        return np.zeros(len(t)), np.full(len(t), math.nan)
    index = np.searchsorted(pieces[:, 0], t, side="right") - 1
    safe = np.clip(index, 0, len(pieces) - 1)
    inside = (index >= 0) & (t < pieces[safe, 1])
    return (np.where(inside, pieces[safe, 2], 0.0),
            np.where(inside, pieces[safe, 3], math.nan))
