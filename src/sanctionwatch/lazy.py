"""Names a package exports, imported on first use (PEP 562).

Used by the packages whose modules are slow to import (followthemoney, the matcher's tables,
networkx), which every ``sanctionwatch`` command would otherwise pay:
``__getattr__ = lazy_exports(__name__, {"Name": "module", ...}, globals())``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_exports(
    package: str, where: Mapping[str, str], namespace: MutableMapping[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.where[name]`` on first use of ``name``
    and keeps the value in ``namespace`` (the package's globals), so it is looked up once."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__


__all__ = ["lazy_exports"]
