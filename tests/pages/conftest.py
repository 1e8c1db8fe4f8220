import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The world fixture creates six users; PBKDF2 made each test wait about two seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
