"""Shared pytest configuration: the tests folder is importable (``from helpers import``),
and the longest test files are collected first so that parallel workers (pytest-xdist)
do not end the run waiting on one of them."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

LONGEST_FIRST = ("test_staffing.py", "test_baselines.py", "test_report_figures.py",
                 "test_readme.py", "test_fuzz.py", "test_streaming.py", "test_check.py",
                 "test_output.py", "test_staffing_report.py", "test_validation.py")
"""Files whose tests take the most time, longest first (measured with --durations)."""


def pytest_collection_modifyitems(items):
    """Run the tests of :data:`LONGEST_FIRST` first, in that order; the rest keep theirs."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
