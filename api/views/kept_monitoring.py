"""Endpoints of kept records (see api/urls.py KEPT_MODULES)."""

ROUTES: list = []
