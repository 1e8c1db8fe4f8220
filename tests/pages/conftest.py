import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The world fixture creates six users; PBKDF2 made each test wait about two seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded photos go to a temporary folder, never into the checkout."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login
