import pytest


@pytest.fixture
def static_files(plain_static_files):
    """The portal's pages (as in tests/portal)."""
