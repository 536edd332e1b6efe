"""The web application: ``create_app(store_path, token=..., reports_dir=...)``.

One FastAPI app per store: the HTTP JSON API (``/api/*``, the yente-compatible ``/match``;
the OpenAPI document at ``/openapi.json``) and the browser UI (``/`` and ``/static``).
FastAPI's ``/docs`` and ``/redoc`` pages are off: they load their scripts from a CDN and run
inline script, which the offline use and the CSP both rule out. Creating it changes nothing
process-wide and opens nothing: the store is opened when requests come
(:mod:`sanctionwatch.web.state`). ``sanctionwatch serve`` runs it with uvicorn.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from sanctionwatch.web.security import SecurityMiddleware, csp
from sanctionwatch.web.state import AppState

STATIC = Path(__file__).parent / "static"


def create_app(store_path: str | Path, *, token: str | None = None,
               reports_dir: Path | None = None, token_user: str = "analyst",
               tiles_url: str | None = None, warm: bool = False) -> FastAPI:
    """The app serving the store at ``store_path``. With ``token`` every ``/api`` and
    ``/match`` request needs ``Authorization: Bearer TOKEN`` and reviews are signed
    ``token_user``; without, reviews are signed ``local`` (loopback only: ``serve`` refuses
    another bind). ``reports_dir``: the folder ``/api/reports/{name}`` serves from.
    ``tiles_url``: an online raster tile layer (``https://host/{z}/{x}/{y}.png``) the UI may
    show over the offline basemap; its origin is added to the CSP (``ValueError`` when the
    template is malformed). ``warm``: build the entity graph, the risk ranking and the
    screening index in a background thread at start-up, so that the first alert queue or
    screening does not wait for them (seconds on a real store)."""
    from sanctionwatch.web.routers import (
        alerts,
        entities,
        events,
        exports,
        fishing,
        meta,
        petroleum,
        reports,
        runs,
        screening,
        shipments,
        vessels,
    )

    state = AppState(store_path, token=token, token_user=token_user, reports_dir=reports_dir)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm:
            threading.Thread(target=_warm, args=(state,), daemon=True,
                             name="sanctionwatch-warm").start()
        yield

    app = FastAPI(
        title="sanctionwatch", version=_version(), docs_url=None, redoc_url=None,
        lifespan=lifespan,
        description="Events, vessels, alerts, screening (yente-compatible /match), entities "
                    "and exports over a sanctionwatch store. See docs/web.md.")
    app.state.sw = state
    for r in (meta, events, vessels, alerts, screening, entities, runs, exports, reports,
              shipments, petroleum, fishing):
        app.include_router(r.router)
    app.add_exception_handler(FileNotFoundError, _no_store)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_middleware(SecurityMiddleware, token=token or None, policy=csp(tiles_url))

    @app.get("/api/config", tags=["meta"])
    def config() -> dict[str, Any]:
        """What the UI needs to know of the server: the online tile layer, if any."""
        return {"tiles_url": tiles_url or None}

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


def _warm(state: AppState) -> None:
    """Build the derived data once; a failure here is the first request's to report."""
    from sanctionwatch.screening.screen import NoListsLoaded

    with suppress(NoListsLoaded, FileNotFoundError, ValueError):
        state.risks()
        state.lists()


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
