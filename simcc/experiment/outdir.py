"""Output folders (``--out DIR``): the one rule for reusing them, and staging.

- ``DIR`` missing or empty: created.
- ``DIR`` a previous simcc output of a run or comparison (a ``.simcc-output`` marker
  lists what simcc wrote, and nothing else is there): replaced as a whole. Everything is
  written into a staging folder next to ``DIR`` and swapped in when the command
  succeeds, so no stale file (old records) survives and a failing or interrupted run
  leaves the previous output intact.
- ``DIR`` holding anything simcc did not write: refused (exit 2) unless ``--force``;
  then simcc's files are moved into it (into its subfolders for ``records/``),
  replacing files of the same names, and nothing else is touched. simcc never deletes
  a file it did not write.
- A sweep folder is reused as such (finished points are resumed); run and compare
  refuse it, and sweep refuses a run's folder.

Everything is checked, and the folder's location probed for writing, before anything is
simulated. Staging folders are named ``.DIR.simcc-staging.<host>.<pid>.<random>``; one
left by a killed command (its process no longer running on this host) is removed by the
next command using ``DIR``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simcc.errors import SimccError

MARKER = ".simcc-output"
SWEEP_NAMES = frozenset({"points", "sweep.csv", "sweep.json", MARKER})
KINDS = ("run", "compare", "sweep")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("simcc")
    except PackageNotFoundError:
        return "unknown"


def _marker(folder: Path) -> dict | None:
    """The marker of a simcc output folder, or None (missing or unreadable)."""
    try:
        document = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _entries(folder: Path) -> set[str]:
    """Names in ``folder``, without simcc's own temporary files (``.NAME.random``)."""
    return {p.name for p in folder.iterdir()
            if not (p.name.startswith(".") and p.name != MARKER)}


def folder_state(folder: Path) -> str:
    """``missing``, ``empty``, ``sweep`` (a sweep folder), ``output`` (a run or
    comparison output wholly written by simcc) or ``foreign``."""
    if not folder.exists():
        return "missing"
    names = _entries(folder)
    if not names:
        return "empty"
    marker = _marker(folder)
    kind = marker.get("kind") if marker else None
    if kind == "sweep" or (kind is None and "points" in names and names <= SWEEP_NAMES):
        return "sweep" if names <= SWEEP_NAMES else "foreign"
    files = set(marker.get("files", [])) if marker else set()
    return "output" if marker and names <= files | {MARKER} else "foreign"


def check_out(out: Path | None, kind: str, force: bool = False) -> None:
    """Raise :class:`SimccError` when ``out`` cannot be used by a ``kind`` command
    (see the module); writes nothing."""
    if out is None:
        return
    if str(out).strip() == "":
        raise SimccError("--out: empty folder name")
    if out.exists() and not out.is_dir():
        raise SimccError(f"--out {out}: exists and is not a folder")
    state = folder_state(out)
    if state == "sweep" and kind != "sweep":
        raise SimccError(f"--out {out}: is a simcc sweep folder; give {kind} another folder")
    if state == "output" and kind == "sweep":
        raise SimccError(f"--out {out}: holds the output of a simcc run or comparison; "
                         "give the sweep another folder")
    if state == "foreign" and not force:
        raise SimccError(f"--out {out}: folder is not empty and holds files simcc did not "
                         "write; use an empty or new folder, or --force to write simcc's "
                         "files into it (same-named files are replaced, others kept)")
    records = out / "records"
    if state == "foreign" and records.exists() and not records.is_dir():
        raise SimccError(f"--out {out}: {records} is a file where simcc writes its records "
                         "folder; move it away")


def remove_stale_staging(out: Path) -> list[Path]:
    """Remove staging folders of ``out`` left by commands no longer running on this
    host; return them."""
    host = socket.gethostname()
    removed = []
    parent = out.parent if out.parent.exists() else None
    for path in parent.glob(f".{out.name}.simcc-staging.*") if parent else []:
        tail = path.name[len(f".{out.name}.simcc-staging."):].removesuffix(".old")
        parts = tail.rsplit(".", 2)
        if len(parts) == 3 and parts[0] == host and parts[1].isdigit() \
                and not _running(int(parts[1])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _probe(folder: Path) -> None:
    """Create and remove a file in ``folder``: it is writable."""
    handle, name = tempfile.mkstemp(prefix=".simcc-probe.", dir=folder)
    os.close(handle)
    os.unlink(name)


@contextmanager
def staged_output(out: Path | None, kind: str, force: bool = False) -> Iterator[Path | None]:
    """A staging folder for a ``kind`` command's output to ``out`` (None without
    ``out``). Checks ``out`` (:func:`check_out`) and that its location is writable
    first; when the block ends normally the staging folder replaces ``out`` (or, with
    ``--force`` on a foreign folder, its files are moved in); when it raises, the
    staging folder is removed and ``out`` is left as it was."""
    if out is None:
        yield None
        return
    check_out(out, kind, force)
    out = Path(os.path.abspath(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(out)
        staging = Path(tempfile.mkdtemp(
            prefix=f".{out.name}.simcc-staging.{socket.gethostname()}.{os.getpid()}.",
            dir=out.parent))
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; results are shared
        if out.exists():
            _probe(out)
    except OSError as error:
        raise SimccError(f"--out {out}: cannot write there ({error.strerror or error})"
                         ) from None
    try:
        yield staging
        _commit(staging, out, kind)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _commit(staging: Path, out: Path, kind: str) -> None:
    """Put the staged files in place (see :func:`staged_output`)."""
    state = folder_state(out)
    if state == "foreign":
        _merge(staging, out)
        return
    files = sorted(p.name for p in staging.iterdir())
    (staging / MARKER).write_text(json.dumps({"kind": kind, "simcc": _version(),
                                              "files": files}, indent=1) + "\n")
    if state == "empty":
        out.rmdir()
    if state == "output":
        old = out.with_name(f"{staging.name}.old")
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
        return
    staging.rename(out)


def _merge(source: Path, target: Path) -> None:
    """Move the files under ``source`` into ``target``, folder by folder, replacing
    files of the same names and keeping every other file of ``target``."""
    for entry in source.iterdir():
        destination = target / entry.name
        if entry.is_dir() and destination.is_dir() and not destination.is_symlink():
            _merge(entry, destination)
        elif destination.is_dir() and not destination.is_symlink():
            raise SimccError(f"--out {target}: {destination} is a folder, simcc "
                             "writes a file there; move it away")
        elif entry.is_dir() and destination.exists():
            raise SimccError(f"--out {target}: {destination} is a file, simcc writes a "
                             "folder there; move it away")
        else:
            os.replace(entry, destination)


def open_sweep_folder(out: Path, force: bool = False) -> Path:
    """Check ``out`` for a sweep (:func:`check_out`), create it, mark it as a sweep
    folder and check that it is writable; return it."""
    check_out(out, "sweep", force)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _probe(out)
        if folder_state(out) in ("empty", "sweep") and _marker(out) is None:
            (out / MARKER).write_text(json.dumps({"kind": "sweep", "simcc": _version()})
                                      + "\n")
    except OSError as error:
        raise SimccError(f"--out {out}: cannot write there ({error.strerror or error})"
                         ) from None
    return out
