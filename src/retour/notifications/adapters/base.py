"""What a text-message (SMS or push) provider must do for the notifications dispatcher."""

from dataclasses import dataclass
from typing import Protocol


class TemporaryFailure(Exception):
    """Worth trying again later (network, 5xx, rate limit)."""


class PermanentFailure(Exception):
    """Trying again will not help (invalid number, refused credentials)."""


class SubscriptionGone(PermanentFailure):
    """The push service no longer knows this subscription (404, 410): forget it."""


@dataclass(frozen=True)
class SentMessage:
    provider_id: str
    status_code: int
    response: str = ""


class MessageGateway(Protocol):
    name: str

    def send(self, *, to: str, body: str, idempotency_key: str) -> SentMessage:
        """Send `body` to `to`; raise TemporaryFailure or PermanentFailure."""
