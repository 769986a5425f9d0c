"""Webhook subscriptions and deliveries of the sandbox Shopify store.

Deliveries are synchronous, in the thread that made the change and after the store's lock is released,
so a test sees them as soon as the call that caused them returns, and a receiver may call back into the
sandbox. Every delivery is recorded; `redeliver` re-sends one unchanged, as Shopify's retries do (same
body, same signature, same X-Shopify-Webhook-Id).
"""

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx

INVENTORY_LEVELS_UPDATE = "inventory_levels/update"
TOPICS = frozenset({INVENTORY_LEVELS_UPDATE})
# Shopify gives a webhook handler about five seconds.
DELIVERY_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class WebhookDelivery:
    topic: str
    url: str
    webhook_id: str
    event_id: str
    headers: Mapping[str, str]
    body: bytes
    status_code: int | None
    error: str | None

    def json(self) -> Any:
        return json.loads(self.body)


def signature(body: bytes, secret: str) -> str:
    """X-Shopify-Hmac-Sha256: base64 of the HMAC-SHA256 of the raw body bytes."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class WebhookDispatcher:
    def __init__(self, shop_domain: str, secret: str, api_version: str) -> None:
        self._shop_domain = shop_domain
        self._secret = secret
        self._api_version = api_version
        self._lock = threading.Lock()
        self._subscriptions: list[tuple[str, str]] = []
        self._deliveries: list[WebhookDelivery] = []

    def subscribe(self, topic: str, url: str) -> None:
        if topic not in TOPICS:
            raise ValueError(f"the sandbox does not deliver {topic!r}; it delivers {sorted(TOPICS)}")
        with self._lock:
            self._subscriptions.append((topic, url))

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._deliveries)

    def publish(self, topic: str, payload: Mapping[str, Any]) -> list[WebhookDelivery]:
        """One event: the same body to every subscriber of the topic, each delivery with its own id."""
        with self._lock:
            urls = [url for subscribed, url in self._subscriptions if subscribed == topic]
        body = json.dumps(payload, separators=(",", ":")).encode()
        event_id = str(uuid.uuid4())
        triggered_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return [self._send(topic, url, body, event_id, triggered_at) for url in urls]

    def redeliver(self, delivery: WebhookDelivery) -> WebhookDelivery:
        status_code, error = self._post(delivery.url, delivery.headers, delivery.body)
        return self._record(replace(delivery, status_code=status_code, error=error))

    def _send(self, topic: str, url: str, body: bytes, event_id: str, triggered_at: str) -> WebhookDelivery:
        webhook_id = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signature(body, self._secret),
            "X-Shopify-Shop-Domain": self._shop_domain,
            "X-Shopify-API-Version": self._api_version,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Triggered-At": triggered_at,
        }
        status_code, error = self._post(url, headers, body)
        return self._record(
            WebhookDelivery(
                topic=topic,
                url=url,
                webhook_id=webhook_id,
                event_id=event_id,
                headers=headers,
                body=body,
                status_code=status_code,
                error=error,
            )
        )

    def _post(self, url: str, headers: Mapping[str, str], body: bytes) -> tuple[int | None, str | None]:
        """(status code, None) once the receiver answers; (None, what failed) when it cannot be reached."""
        try:
            response = httpx.post(url, content=body, headers=dict(headers), timeout=DELIVERY_TIMEOUT_S)
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}"
        return response.status_code, None

    def _record(self, delivery: WebhookDelivery) -> WebhookDelivery:
        with self._lock:
            self._deliveries.append(delivery)
        return delivery
