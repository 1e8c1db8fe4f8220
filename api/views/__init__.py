"""Viewsets of /api/v1/, one module per area; api/urls.py routes them."""
