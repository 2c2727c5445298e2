"""Process-level helpers shared by every layer: a garbage-collector pause for the
engine, atomic file writes for result files and sweep points, the import path of the
``simcc`` command."""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block.

    A replication allocates millions of small acyclic objects (events, record tuples);
    the collector would repeatedly rescan all of them for cycles that do not exist.
    Reference counting still frees everything; the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_atomic(target: Path, write: Callable[[str], object]) -> Path:
    """Create or replace ``target`` all at once: ``write(temporary_path)`` fills a
    temporary file next to it (named ``.<target name>.<random>``), which is then renamed
    over ``target``. A reader, or a run killed midway, never sees a half-written file
    (at worst a stray temporary file is left). The parent folder is created if needed;
    the file gets the usual permissions (0666 minus the umask). Returns ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp creates 0600; results are shared files
    try:
        write(temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def working_directory_last(path: list[str] | None = None) -> list[str]:
    """Move the working directory to the end of the import path (``sys.path``, or
    ``path``), adding it if absent; returns the path.

    ``python -m`` puts the working directory first, so a ``scipy.py``, ``numpy.py`` or
    ``yaml.py`` lying there would be imported instead of the installed package. Last, it
    still provides what nothing installed provides: the user policy modules a scenario
    names (``routing.policy: "mypolicies:VipFirst"``, docs/routing.md). Entries that
    mean the working directory are ``""``, ``"."`` and its absolute path.
    """
    path = sys.path if path is None else path
    here = os.getcwd()
    real = os.path.realpath(here)
    path[:] = [entry for entry in path
               if entry not in ("", ".", here) and os.path.realpath(entry) != real] + [here]
    return path
