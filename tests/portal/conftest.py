import pytest


@pytest.fixture(autouse=True)
def _plain_static_files(plain_static_files):
    """Every portal test renders pages: see `plain_static_files`."""
