"""The monitoring tests' world on their fixed day (2026-06-15), reused from tests/monitoring."""

from tests.monitoring.conftest import fast_passwords, fixed_today, media_root, mon  # noqa: F401
