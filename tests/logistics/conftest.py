import pytest

from tests.logistics.fake_carrier import FakeCarrier, start


@pytest.fixture
def fake():
    """A local HTTP server standing in for a carrier (see `fake_carrier`)."""
    carrier = FakeCarrier()
    server, thread = start(carrier)
    yield carrier
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def short_carrier_timeout(settings):
    settings.RETOUR_LOGISTICS = {**settings.RETOUR_LOGISTICS, "HTTP_TIMEOUT": 1}
