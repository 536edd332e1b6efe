"""Helpers shared by the benchmark scripts (imported as a sibling module: each script is run
as ``python benchmarks/NAME.py``, which puts this folder first on ``sys.path``)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def git_commit() -> str:
    """The checked-out commit, read from ``.git`` (no git process is started)."""
    git = ROOT / ".git"
    try:
        common = git
        if git.is_file():  # a worktree: ``gitdir: /repo/.git/worktrees/NAME``
            git = Path(git.read_text().split(":", 1)[1].strip())
            common = (git / (git / "commondir").read_text().strip()).resolve() \
                if (git / "commondir").is_file() else git
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:12]
        ref = head[5:]
        for base in (git, common):
            loose = base / ref
            if loose.is_file():
                return loose.read_text().strip()[:12]
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split()[0][:12]
    except OSError:
        pass
    return "unknown"
