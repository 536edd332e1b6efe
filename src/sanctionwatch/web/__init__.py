"""The web workspace and HTTP API over a store (``sanctionwatch serve``; docs/web.md)."""

from sanctionwatch.web.app import create_app

__all__ = ["create_app"]
