"""Reads that meet a damaged file ask the service for its full check (``PRAGMA quick_check``).

A plugin call's open makes only the cheap checks; the facade's read methods wear
:func:`_reports_damage`, which leaves the service's marker before the error goes on.
"""

from __future__ import annotations

import functools
import sqlite3
from typing import Any, Callable

from ..connection import reports_damage, request_integrity_check


def _reports_damage(method: Callable[..., Any]) -> Callable[..., Any]:
    """A read that meets a damaged file asks the service for its full check (the plugin's own
    open makes only the cheap checks), then raises as before."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if reports_damage(exc):
                request_integrity_check(self.path)
            raise

    return wrapper
