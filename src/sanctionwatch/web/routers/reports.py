"""``/api/reports/{name}``: a file of the reports folder (``serve --reports``), never one
outside it: ``..``, absolute paths and symbolic links that lead out are not found."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse

from sanctionwatch.web.deps import get_state
from sanctionwatch.web.security import DOSSIER_CSP
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["reports"])


def report_file(folder: Path, name: str) -> Path | None:
    """``folder/name`` when it is a regular file inside ``folder`` once every symbolic link is
    resolved; None otherwise."""
    if not name or "\x00" in name or name.startswith(("/", "\\")) or Path(name).is_absolute():
        return None
    if any(part in ("..", "") for part in name.replace("\\", "/").split("/")):
        return None
    root = folder.resolve()
    try:
        target = (root / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target


@router.get("/api/reports/{name:path}")
def report(name: str, state: Annotated[AppState, Depends(get_state)]) -> FileResponse:
    """A file from the reports folder (HTML reports are served with no script allowed)."""
    if state.reports_dir is None:
        raise HTTPException(404, "no reports folder (serve --reports DIR)")
    path = report_file(state.reports_dir, name)
    if path is None:
        raise HTTPException(404, f"no report {name!r}")
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = {}
    if media == "text/html":
        headers = {"Content-Security-Policy": DOSSIER_CSP, "X-Frame-Options": "SAMEORIGIN"}
    return FileResponse(path, media_type=media, headers=headers)
