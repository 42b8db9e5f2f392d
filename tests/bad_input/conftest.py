import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Many users are created here; the real hasher's cost proves nothing in these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
