"""Excel imports of kept records: the framework is base.py (read its docstring), each kind is
one module here that calls `register_sheet`; `services.py` stores and applies the uploads."""
