import pytest


@pytest.fixture
def static_files(settings):
    """The portal's pages without a collected static manifest (as in tests/portal)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
