"""Serializers of /api/v1/, one module per area. Read serializers describe a row as the pages
show it (names next to ids, masked ID numbers); write serializers only parse and type-check the
body, refuse unknown fields, and hand the values to the same service the page form calls."""
