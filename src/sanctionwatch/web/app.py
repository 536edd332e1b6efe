"""The web application: ``create_app(store_path, token=..., reports_dir=...)``.

One FastAPI app per store: the HTTP JSON API (``/api/*``, the yente-compatible ``/match``;
OpenAPI at ``/openapi.json``, browsable at ``/docs``) and the browser UI (``/`` and
``/static``). Creating it changes nothing process-wide and opens nothing: the store is opened
per request (:mod:`sanctionwatch.web.state`). ``sanctionwatch serve`` runs it with uvicorn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from sanctionwatch.web.security import SecurityMiddleware
from sanctionwatch.web.state import AppState

STATIC = Path(__file__).parent / "static"


def create_app(store_path: str | Path, *, token: str | None = None,
               reports_dir: Path | None = None, token_user: str = "analyst") -> FastAPI:
    """The app serving the store at ``store_path``. With ``token`` every ``/api`` and
    ``/match`` request needs ``Authorization: Bearer TOKEN`` and reviews are signed
    ``token_user``; without, reviews are signed ``local`` (loopback only: ``serve`` refuses
    another bind). ``reports_dir``: the folder ``/api/reports/{name}`` serves from."""
    from sanctionwatch.web.routers import (
        alerts,
        entities,
        events,
        exports,
        meta,
        reports,
        runs,
        screening,
        vessels,
    )

    app = FastAPI(
        title="sanctionwatch", version=_version(),
        description="Events, vessels, alerts, screening (yente-compatible /match), entities "
                    "and exports over a sanctionwatch store. See docs/web.md.")
    app.state.sw = AppState(store_path, token=token, token_user=token_user,
                            reports_dir=reports_dir)
    for r in (meta, events, vessels, alerts, screening, entities, runs, exports, reports):
        app.include_router(r.router)
    app.add_exception_handler(FileNotFoundError, _no_store)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_middleware(SecurityMiddleware, token=token or None)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        page = STATIC / "index.html"
        if not page.is_file():
            raise HTTPException(404, "the web UI is not installed (src/sanctionwatch/web/"
                                     "static/index.html)")
        return FileResponse(page, media_type="text/html")

    if STATIC.is_dir():  # the UI's files (web-ui); without them /static/* is not found
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sanctionwatch")
    except PackageNotFoundError:
        return "0"


async def _no_store(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for e in exc.errors():
        where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "body", "path"))
        parts.append(f"{where}: {e.get('msg')}" if where else str(e.get("msg")))
    detail: Any = "; ".join(parts) or "invalid request"
    return JSONResponse({"detail": detail}, status_code=422)


__all__ = ["create_app"]
