import pytest

from simcc.units import format_clock_exact, parse_clock, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    (90, 90.0), (12.5, 12.5), ("90s", 90.0), ("4m30s", 270.0), ("1h30m", 5400.0),
    ("2d", 172800.0), ("20", 20.0), (" 1h 5m ", 3900.0), ("0.5h", 1800.0),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["abc", "5 minutes", "-3s", -1, "1x", True, None, "", "h"])
def test_bad_durations_are_errors(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_clock_times():
    assert parse_clock("08:00") == 8 * 3600
    assert parse_clock("17:30:15") == 17 * 3600 + 30 * 60 + 15
    assert parse_clock("24:00") == 86400
    assert parse_clock(480) == 8 * 3600  # YAML 1.1 reads 08:00 unquoted as 480 (minutes)
    assert parse_clock(format_clock_exact(12345.0)) == 12345.0
    for bad in ("8h", "25:00", "12:61", "noon"):
        with pytest.raises(ValueError):
            parse_clock(bad)
