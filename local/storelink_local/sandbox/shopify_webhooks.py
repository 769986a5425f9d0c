"""Webhook subscriptions and deliveries of the sandbox Shopify store.

Deliveries are synchronous, in the thread that made the change and after the store's lock is released,
so a test sees them as soon as the call that caused them returns, and a receiver may call back into the
sandbox. Every delivery is recorded; `redeliver` re-sends one unchanged, as Shopify's retries do (same
body, same signature, same X-Shopify-Webhook-Id). Subscriptions come from the Admin API
(webhookSubscriptionCreate) or from a test (`subscribe`); both are the same records.
"""

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from storelink_local.sandbox.clock import Clock, system_clock

INVENTORY_LEVELS_UPDATE = "inventory_levels/update"
ORDERS_CREATE = "orders/create"
ORDERS_UPDATED = "orders/updated"
ORDERS_CANCELLED = "orders/cancelled"
FULFILLMENTS_CREATE = "fulfillments/create"
REFUNDS_CREATE = "refunds/create"
PRODUCTS_CREATE = "products/create"
PRODUCTS_UPDATE = "products/update"
APP_UNINSTALLED = "app/uninstalled"
# The Admin API's WebhookSubscriptionTopic values of the topics the sandbox fires.
TOPIC_ENUMS = {
    "INVENTORY_LEVELS_UPDATE": INVENTORY_LEVELS_UPDATE,
    "ORDERS_CREATE": ORDERS_CREATE,
    "ORDERS_UPDATED": ORDERS_UPDATED,
    "ORDERS_CANCELLED": ORDERS_CANCELLED,
    "FULFILLMENTS_CREATE": FULFILLMENTS_CREATE,
    "REFUNDS_CREATE": REFUNDS_CREATE,
    "PRODUCTS_CREATE": PRODUCTS_CREATE,
    "PRODUCTS_UPDATE": PRODUCTS_UPDATE,
    "APP_UNINSTALLED": APP_UNINSTALLED,
}
TOPICS = frozenset(TOPIC_ENUMS.values())
# Shopify gives a webhook handler about five seconds.
DELIVERY_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class WebhookEvent:
    """Something that happened in the shop, published once it is committed."""

    topic: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class WebhookSubscription:
    id: str
    topic: str
    url: str
    created_at: datetime
    updated_at: datetime

    @property
    def topic_enum(self) -> str:
        return next(name for name, topic in TOPIC_ENUMS.items() if topic == self.topic)


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
    def __init__(
        self,
        shop_domain: str,
        secret: str,
        api_version: str,
        allocate: Callable[[], int],
        clock: Clock = system_clock,
    ) -> None:
        self._shop_domain = shop_domain
        self._secret = secret
        self.api_version = api_version
        self._allocate = allocate
        self._clock = clock
        self._lock = threading.Lock()
        self._subscriptions: dict[str, WebhookSubscription] = {}
        self._deliveries: list[WebhookDelivery] = []

    def subscribe(self, topic: str, url: str) -> WebhookSubscription:
        if topic not in TOPICS:
            raise ValueError(f"the sandbox does not deliver {topic!r}; it delivers {sorted(TOPICS)}")
        now = self._clock()
        subscription = WebhookSubscription(
            id=f"gid://shopify/WebhookSubscription/{self._allocate()}",
            topic=topic,
            url=url,
            created_at=now,
            updated_at=now,
        )
        with self._lock:
            self._subscriptions[subscription.id] = subscription
        return subscription

    def unsubscribe(self, subscription_id: str) -> bool:
        with self._lock:
            return self._subscriptions.pop(subscription_id, None) is not None

    def unsubscribe_all(self) -> None:
        with self._lock:
            self._subscriptions.clear()

    @property
    def subscriptions(self) -> list[WebhookSubscription]:
        with self._lock:
            return list(self._subscriptions.values())

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._deliveries)

    def publish(self, topic: str, payload: Mapping[str, Any]) -> list[WebhookDelivery]:
        """One event: the same body to every subscriber of the topic, each delivery with its own id."""
        with self._lock:
            urls = [subscription.url for subscription in self._subscriptions.values() if subscription.topic == topic]
        body = json.dumps(payload, separators=(",", ":")).encode()
        event_id = str(uuid.uuid4())
        triggered_at = self._clock().astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return [self._send(topic, url, body, event_id, triggered_at) for url in urls]

    def use_secret(self, secret: str) -> None:
        """Sign from now on with another secret (an app's client secret replacing a custom app's secret)."""
        self._secret = secret

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
            "X-Shopify-API-Version": self.api_version,
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
