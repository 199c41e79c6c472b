"""SMS through Twilio's Messages API (or any service speaking it).

`POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded `To`, `From`, `Body`, HTTP
basic auth with the account SID and auth token; 201 answers a JSON message resource with `sid`.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from retour.notifications.adapters.base import PermanentFailure, SentMessage, TemporaryFailure


@dataclass(frozen=True)
class TwilioGateway:
    account_sid: str
    auth_token: str
    sender: str
    base_url: str = "https://api.twilio.com"
    timeout: float = 10
    name: str = "twilio"

    def send(self, *, to: str, body: str, idempotency_key: str) -> SentMessage:
        url = f"{self.base_url.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        form = urllib.parse.urlencode({"To": to, "From": self.sender, "Body": body}).encode()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - https (or a test's local server)
            url,
            data=form,
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                # Twilio ignores unknown headers; gateways that honour it deduplicate on it.
                "I-Twilio-Idempotency-Token": idempotency_key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                text = response.read(4000).decode("utf-8", "replace")
                status = response.status
        except urllib.error.HTTPError as exc:
            text = exc.read(4000).decode("utf-8", "replace")
            if exc.code == 429 or exc.code >= 500:
                raise TemporaryFailure(f"HTTP {exc.code}: {text[:200]}") from exc
            raise PermanentFailure(f"HTTP {exc.code}: {text[:200]}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        try:
            sid = json.loads(text).get("sid", "")
        except ValueError:
            sid = ""
        return SentMessage(provider_id=sid, status_code=status, response=text[:500])
