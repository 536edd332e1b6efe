"""A run's work folder (``.sanctionwatch-work-RUN_ID``) and the cleaning of those of killed runs.

Each work folder holds ``owner.json``: the host, process id and process start time of the run
that owns it. A run that ends removes its folder; a run killed (power cut, ``kill -9``, out
of memory) cannot, so every run starts by removing the work folders beside its own whose
owner is no longer alive on this host. A folder owned by a live process, or by another host
(a shared disk), is left alone; a folder without ``owner.json`` (written by a version before
this file existed) is removed once it is older than :data:`UNOWNED_AGE_S`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path

PREFIX = ".sanctionwatch-work-"
OWNER = "owner.json"
UNOWNED_AGE_S = 3600.0
"""Age after which a work folder with no owner file is taken as abandoned."""


class OutputNotWritable(ValueError):
    """The output folder cannot be created or written."""


def check_out_dir(out: Path) -> None:
    """Create ``out`` if needed and make sure this process can write in it; else
    :class:`OutputNotWritable` naming the cause (before any work is done)."""
    if out.exists() and not out.is_dir():
        raise OutputNotWritable(f"{out}: --out is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputNotWritable(
            f"{out}: cannot create the output folder: {exc.strerror or exc}") from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputNotWritable(f"{out}: cannot write in the output folder: permission denied")


def _start_time(pid: int) -> str | None:
    """The start time of process ``pid`` as the kernel counts it (Linux), to tell a live
    owner from a new process that got the same id; None where /proc cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's live process
    now = _start_time(pid)
    return started is None or now is None or now == started


def make_work_dir(parent: Path, run_id: str) -> Path:
    """Create the run's work folder in ``parent``, recording this process as its owner."""
    work = parent / f"{PREFIX}{run_id}"
    work.mkdir()
    owner = {"host": socket.gethostname(), "pid": os.getpid(),
             "started": _start_time(os.getpid())}
    (work / OWNER).write_text(json.dumps(owner))
    return work


def clean_stale_work_dirs(parent: Path) -> list[Path]:
    """Remove the work folders in ``parent`` left by runs that are no longer running
    (see the module docstring); the folders removed."""
    removed: list[Path] = []
    host = socket.gethostname()
    try:
        candidates = sorted(p for p in parent.glob(f"{PREFIX}*") if p.is_dir())
    except OSError:
        return removed
    for folder in candidates:
        try:
            owner = json.loads((folder / OWNER).read_text())
            stale = owner.get("host") == host and not _alive(int(owner["pid"]),
                                                             owner.get("started"))
        except FileNotFoundError:
            try:
                stale = time.time() - folder.stat().st_mtime > UNOWNED_AGE_S
            except OSError:
                continue
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable owner: not ours to judge
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                removed.append(folder)
    return removed


__all__ = ["OWNER", "PREFIX", "UNOWNED_AGE_S", "OutputNotWritable", "check_out_dir",
           "clean_stale_work_dirs", "make_work_dir"]
