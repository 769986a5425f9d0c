"""Webhooks of the sandbox ShopWired account, delivered with ShopWired's habits (help.shopwired.co.uk, API >
Webhooks; what the text leaves open is marked assumed, docs/shopwired.md):

- At most 10 webhooks per topic; the URL must be valid (ShopWired wants HTTPS; the sandbox takes the local
  runtime's http:// too).
- A new webhook first receives a verification request `{timestamp, verificationToken}`; it is verified when
  answered 200 with the token's HMAC-SHA256 (hex, with the account's webhook secret) as the body, or as a JSON
  body's `verificationToken` (assumed). Deliveries go only to verified webhooks (assumed).
- A delivery's body is `{timestamp, event: {id, businessId, createdAt, topic, subjectId, data}}`, timestamps as
  RFC 2822 dates; `X-ShopWired-Signature` is the hex HMAC-SHA256 of the raw body with the webhook secret.
- A handler has 5 s, and only 200 counts. A failed delivery is tried again hourly for 24 hours (on the
  sandbox's clock: `deliver_due` sends what is due); after 24 failed attempts in a row the webhook is disabled.
"""

import hashlib
import hmac
import itertools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx

from storelink_local.sandbox.clock import Clock
from storelink_local.sandbox.shopwired_store import StoreError

TOPICS = (
    "order.created",
    "order.updated",
    "order.status_changed",
    "order.finalized",
    "order.refund.created",
    "product.created",
    "product.updated",
    "product.deleted",
    "product.stock_changed",
)
WEBHOOKS_PER_TOPIC = 10
HANDLER_SECONDS = 5.0
RETRY_EVERY = timedelta(hours=1)
RETRY_FOR = timedelta(hours=24)
FAILURES_BEFORE_DISABLED = 24


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment).replace("-0000", "+0000")


@dataclass
class Webhook:
    id: int
    topic: str
    url: str
    verified: bool = False
    enabled: bool = True
    failures: int = 0

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "topic": self.topic, "url": self.url, "verified": self.verified, "enabled": self.enabled}


@dataclass(frozen=True)
class ShopWiredDelivery:
    """One POST to a webhook's URL: an event (topic set) or a verification request (topic None)."""

    webhook_id: int
    topic: str | None
    url: str
    headers: Mapping[str, str]
    body: bytes
    status_code: int | None
    error: str | None
    attempt: int

    @property
    def succeeded(self) -> bool:
        return self.status_code == 200

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Pending:
    webhook_id: int
    body: bytes
    topic: str
    first_at: datetime
    due_at: datetime
    attempts: int = 0


class WebhookDispatcher:
    def __init__(self, clock: Clock, business_id: int, secret: Callable[[], str]) -> None:
        self._clock = clock
        self._business_id = business_id
        self._secret = secret  # the account's webhook secret, as it is now
        self._lock = threading.RLock()
        self._webhooks: dict[int, Webhook] = {}
        self._pending: list[_Pending] = []
        self._deliveries: list[ShopWiredDelivery] = []
        self._ids = itertools.count(500)
        self._event_ids = itertools.count(90000)

    # -- /webhooks ---------------------------------------------------------------------------------

    def create(self, fields: Mapping[str, Any]) -> Webhook:
        topic, url = str(fields.get("topic", "")), str(fields.get("url", ""))
        if topic not in TOPICS:
            raise StoreError(422, f"The topic {topic!r} does not exist.")
        if not url.startswith(("https://", "http://")):
            raise StoreError(422, "The URL must be a valid URL using HTTPS.")
        with self._lock:
            if sum(1 for w in self._webhooks.values() if w.topic == topic) >= WEBHOOKS_PER_TOPIC:
                raise StoreError(422, f"There can be at most {WEBHOOKS_PER_TOPIC} webhooks for the topic {topic}.")
            webhook = Webhook(next(self._ids), topic, url)
            self._webhooks[webhook.id] = webhook
        self.verify(webhook)
        return webhook

    def update(self, webhook_id: int, fields: Mapping[str, Any]) -> Webhook:
        with self._lock:
            webhook = self.get(webhook_id)
            if "topic" in fields and fields["topic"] not in TOPICS:
                raise StoreError(422, f"The topic {fields['topic']!r} does not exist.")
            moved = any(name in fields and fields[name] != getattr(webhook, name) for name in ("topic", "url"))
            webhook.topic = str(fields.get("topic", webhook.topic))
            webhook.url = str(fields.get("url", webhook.url))
        if moved:
            self.verify(webhook)
        return webhook

    def delete(self, webhook_id: int) -> None:
        with self._lock:
            self.get(webhook_id)
            del self._webhooks[webhook_id]
            self._pending = [p for p in self._pending if p.webhook_id != webhook_id]

    def get(self, webhook_id: int) -> Webhook:
        with self._lock:
            found = self._webhooks.get(webhook_id)
            if found is None:
                raise StoreError(404, "Webhook not found.")
            return found

    @property
    def webhooks(self) -> list[Webhook]:
        with self._lock:
            return list(self._webhooks.values())

    def verify(self, webhook: Webhook) -> None:
        """Sends the verification request; the webhook is verified when answered with the token's HMAC."""
        token = hashlib.sha256(f"{webhook.id}:{self._clock().isoformat()}".encode()).hexdigest()[:32]
        body = json.dumps({"timestamp": rfc2822(self._clock()), "verificationToken": token}).encode()
        delivery, response = self._post(webhook, None, body, attempt=1)
        expected = sign(token.encode(), self._secret())
        webhook.verified = delivery.succeeded and _answers(response, expected)
        if webhook.verified:
            webhook.enabled, webhook.failures = True, 0

    def disable(self, webhook_id: int) -> None:
        with self._lock:
            self.get(webhook_id).enabled = False

    # -- deliveries -------------------------------------------------------------------------------

    @property
    def deliveries(self) -> list[ShopWiredDelivery]:
        with self._lock:
            return list(self._deliveries)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def occurred(self, topic: str, subject_id: int, data: dict[str, Any]) -> None:
        """An event: one delivery queued for each verified, enabled webhook of its topic."""
        now = self._clock()
        event = {
            "id": next(self._event_ids),
            "businessId": self._business_id,
            "createdAt": rfc2822(now),
            "topic": topic,
            "subjectId": subject_id,
            "data": data,
        }
        with self._lock:
            for webhook in self._webhooks.values():
                if webhook.topic == topic and webhook.verified and webhook.enabled:
                    body = json.dumps({"timestamp": rfc2822(now), "event": event}).encode()
                    self._pending.append(_Pending(webhook.id, body, topic, now, now))

    def deliver_due(self) -> list[ShopWiredDelivery]:
        """Sends every delivery due by the clock: new ones, and failed ones whose hour has come."""
        now = self._clock()
        with self._lock:
            due = [p for p in self._pending if p.due_at <= now]
            self._pending = [p for p in self._pending if p.due_at > now]
        sent, again = [], []
        for pending in due:
            with self._lock:
                webhook = self._webhooks.get(pending.webhook_id)
            if webhook is None or not webhook.enabled:
                continue
            pending.attempts += 1
            delivery, _ = self._post(webhook, pending.topic, pending.body, pending.attempts)
            sent.append(delivery)
            with self._lock:
                if delivery.succeeded:
                    webhook.failures = 0
                    continue
                webhook.failures += 1
                if webhook.failures >= FAILURES_BEFORE_DISABLED:
                    webhook.enabled = False
                    continue
            pending.due_at = now + RETRY_EVERY
            if pending.due_at - pending.first_at <= RETRY_FOR:
                again.append(pending)
        with self._lock:
            self._pending.extend(again)
        return sent

    def _post(
        self, webhook: Webhook, topic: str | None, body: bytes, attempt: int
    ) -> tuple[ShopWiredDelivery, httpx.Response | None]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "ShopWired-Webhooks",
            "X-ShopWired-Signature": sign(body, self._secret()),
        }
        response: httpx.Response | None = None
        try:
            response = httpx.post(webhook.url, content=body, headers=headers, timeout=HANDLER_SECONDS)
            status_code, error = response.status_code, None
        except httpx.HTTPError as failure:
            status_code, error = None, f"{type(failure).__name__}: {failure}"
        delivery = ShopWiredDelivery(webhook.id, topic, webhook.url, headers, body, status_code, error, attempt)
        with self._lock:
            self._deliveries.append(delivery)
        return delivery, response


def _answers(response: httpx.Response | None, expected: str) -> bool:
    if response is None:
        return False
    text = response.text.strip()
    if hmac.compare_digest(text.encode(), expected.encode()):
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    answered = body.get("verificationToken") if isinstance(body, dict) else None
    return isinstance(answered, str) and hmac.compare_digest(answered.encode(), expected.encode())
