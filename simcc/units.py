"""Human units: durations and clock times.

Durations are written as a number of seconds (``90``, ``12.5``) or as a string of
``<number><unit>`` parts with units ``d``, ``h``, ``m``, ``s`` (``"90s"``, ``"4m30s"``,
``"1h30m"``, ``"2d"``). Everything inside simcc is in **seconds**.
Clock times of day are ``"HH:MM"`` or ``"HH:MM:SS"`` (00:00 to 24:00).
"""

from __future__ import annotations

import math
import re

SECOND = 1.0
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0

_UNIT_SECONDS = {"d": DAY, "h": HOUR, "m": MINUTE, "s": SECOND}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([dhms])")
_DURATION = re.compile(r"^\s*(?:(?:\d+(?:\.\d*)?|\.\d+)\s*[dhms]\s*)+$")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def parse_duration(value: object) -> float:
    """Return the duration ``value`` in seconds.

    Accepts a non-negative finite number (seconds) or a string such as ``"4m30s"``.
    Raises ``ValueError`` with a readable message otherwise.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '90s', '4m30s' or 120, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_duration_text(value)
    else:
        raise ValueError(f"expected a duration such as '90s', '4m30s' or 120, got {value!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be finite and >= 0, got {value!r}")
    return seconds


def _parse_duration_text(text: str) -> float:
    stripped = text.strip()
    try:
        return float(stripped)
    except ValueError:
        pass
    if not _DURATION.match(stripped):
        raise ValueError(
            f"cannot read duration {text!r}: use a number of seconds or parts like "
            "'1h30m', '4m30s', '20s', '2d'"
        )
    return sum(float(num) * _UNIT_SECONDS[unit] for num, unit in _PART.findall(stripped))


def parse_clock(value: object) -> float:
    """Return the clock time ``"HH:MM[:SS]"`` as seconds after midnight (0 to 86400)."""
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 08:00 as the sexagesimal integer 480 (minutes).
        seconds = float(value) * MINUTE
    elif isinstance(value, str) and (match := _CLOCK.match(value)):
        hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
        if minutes > 59 or secs > 59:
            raise ValueError(f"cannot read clock time {value!r}: minutes and seconds must be < 60")
        seconds = hours * HOUR + minutes * MINUTE + secs
    else:
        raise ValueError(f"expected a clock time such as '08:00' or '17:30', got {value!r}")
    if not 0 <= seconds <= DAY:
        raise ValueError(f"a clock time must lie between 00:00 and 24:00, got {value!r}")
    return seconds


def format_clock(seconds: float) -> str:
    """Format seconds after midnight (any number of days) as ``"HH:MM"`` of the day."""
    of_day = int(round(seconds)) % int(DAY)
    return f"{of_day // 3600:02d}:{of_day % 3600 // 60:02d}"


def format_clock_exact(seconds: float) -> str:
    """Format seconds after midnight as ``"HH:MM:SS"`` (``parse_clock`` reads it back)."""
    whole = int(round(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
