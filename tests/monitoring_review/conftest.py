"""The monitoring tests' fixtures (a fixed today, 2026-06-15; the world with exited households
A and B), shared with the yearly review's tests."""

from tests.monitoring.conftest import fast_passwords, fixed_today, media_root, mon  # noqa: F401
