"""Shared pytest configuration: the tests folder is importable (``from helpers import``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
