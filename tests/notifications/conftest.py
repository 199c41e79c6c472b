import pytest

from tests.notifications.servers import FakeTwilio, Receiver, SmtpSink


@pytest.fixture
def smtp(settings):
    """A real SMTP server; Django's SMTP backend pointed at it."""
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield sink


@pytest.fixture
def fast_retries(settings):
    """Retries due at once (backoff of 0 s), so a test can run them without waiting."""
    settings.RETOUR_JOBS = {**settings.RETOUR_JOBS, "BACKOFF_BASE": 0, "MAX_ATTEMPTS": 4}


@pytest.fixture
def receiver():
    rec = Receiver()
    yield rec
    if hasattr(rec, "server"):
        rec.stop()


@pytest.fixture
def twilio(settings):
    fake = FakeTwilio()
    base_url = fake.start()
    settings.RETOUR_SMS = {
        "BASE_URL": base_url,
        "ACCOUNT": fake.account,
        "TOKEN": fake.token,
        "FROM": "+33600000000",
    }
    yield fake
    fake.stop()


@pytest.fixture
def push_service(settings):
    """A real Web Push service on 127.0.0.1 (tests/notifications/push_service.py); subscriptions
    may point at loopback http in tests only."""
    from tests.notifications.push_service import PushService

    settings.RETOUR_PUSH = {**settings.RETOUR_PUSH, "ALLOW_LOOPBACK": True}
    service = PushService()
    service.start()
    yield service
    service.stop()
