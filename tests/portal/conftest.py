import pytest


@pytest.fixture(autouse=True)
def _plain_static_files(settings, tmp_path):
    """Static files through the finders (no collected manifest in tests); uploads in tmp."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
