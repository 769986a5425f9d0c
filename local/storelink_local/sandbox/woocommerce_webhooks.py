"""Webhooks of the sandbox WooCommerce store, delivered with WooCommerce's habits (class-wc-webhook.php).

- A change of a resource is queued once per webhook and resource while a delivery of it waits (WooCommerce's
  Action Scheduler finds the pending `woocommerce_deliver_webhook_async` action and adds none): rapid changes
  collapse into one delivery, whose body is the resource as it is when sent, not at the change.
- A deletion's body is `{"id": N}`. Bodies are PHP's JSON (wp_json_encode: compact, "/" written "\\/").
- Headers: X-WC-Webhook-Source (the site's home URL), -Topic, -Resource, -Event, -Signature (base64 of the
  HMAC-SHA256 of the raw body with the webhook's secret), -ID, -Delivery-ID: wp_hash(webhook id . current
  second), so two deliveries of one webhook in one second share it.
- Success is 200 to 302. A failure is never retried; it raises the webhook's failure count, and the failure
  that finds the count already above 5 disables the webhook (the 7th in a row); a success resets the count.
- Creating an active webhook sends an unsigned ping, form body `webhook_id=N`; its answer changes nothing.

Deliveries wait in the queue until `deliver_pending` runs them, in the order queued: the sandbox runs it after
each request and merchant action (as WP-Cron runs the queue after a page load), or a test runs it by hand.
"""

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from storelink_local.sandbox.clock import Clock
from storelink_local.sandbox.shopify_webhooks import signature  # the same base64 HMAC-SHA256 of the raw body
from storelink_local.sandbox.woocommerce_store import StoreError

RESOURCES = ("coupon", "customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")
STATUSES = ("active", "paused", "disabled")
MAX_FAILURES = 5  # woocommerce_max_webhook_delivery_failures
DELIVERY_TIMEOUT_S = 60.0  # WC_Webhook::deliver: MINUTE_IN_SECONDS


@dataclass
class Webhook:
    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    date_created: datetime
    date_modified: datetime
    failure_count: int = 0

    @property
    def resource(self) -> str:
        return self.topic.partition(".")[0]

    @property
    def event(self) -> str:
        return self.topic.partition(".")[2]


@dataclass(frozen=True)
class WooDelivery:
    """One POST to a delivery URL: a resource's delivery, or a ping (topic None, unsigned form body)."""

    webhook_id: int
    topic: str | None
    url: str
    headers: Mapping[str, str]
    body: bytes
    status_code: int | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 303

    def json(self) -> Any:
        return json.loads(self.body)


def php_json(payload: Any) -> bytes:
    """wp_json_encode's bytes: compact, non-ASCII as \\uXXXX, and "/" escaped as PHP's json_encode does."""
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()


class WebhookDispatcher:
    def __init__(
        self,
        clock: Clock,
        allocate: Callable[[], int],
        home_url: Callable[[], str],
        render: Callable[[str, int], dict[str, Any] | None],
        user_agent: str,
    ) -> None:
        self._clock = clock
        self._allocate = allocate
        self._home_url = home_url
        self._render = render  # (resource, id) -> the resource's REST JSON now, None once it is gone
        self._user_agent = user_agent
        self._lock = threading.RLock()
        self._webhooks: dict[int, Webhook] = {}
        self._pending: list[tuple[int, str, int]] = []  # (webhook id, event, resource id), in order
        self._deliveries: list[WooDelivery] = []
        self._salt = hashlib.sha256(str(id(self)).encode()).hexdigest()  # wp_hash's site salt

    # -- the webhooks, as /webhooks manages them ---------------------------------------------------

    def create(self, fields: Mapping[str, Any]) -> Webhook:
        topic = str(fields.get("topic", ""))
        url = str(fields.get("delivery_url", ""))
        _check_topic(topic)
        if not url.startswith(("http://", "https://")):
            raise StoreError(
                "woocommerce_rest_shop_webhook_invalid_delivery_url",
                "Webhook delivery URL must be a valid URL starting with http:// or https://.",
            )
        now = self._clock()
        webhook = Webhook(
            id=self._allocate(),
            name=str(fields.get("name") or f"Webhook created on {now:%b %d, %Y @ %I:%M %p}"),
            status=str(fields.get("status", "active")),
            topic=topic,
            delivery_url=url,
            secret=str(fields.get("secret") or hashlib.md5(url.encode()).hexdigest()),  # noqa: S324 - WC's default
            date_created=now,
            date_modified=now,
        )
        with self._lock:
            self._webhooks[webhook.id] = webhook
        if webhook.status == "active":
            self._ping(webhook)
        return webhook

    def update(self, webhook_id: int, fields: Mapping[str, Any]) -> Webhook:
        with self._lock:
            webhook = self.get(webhook_id)
            if "topic" in fields:
                _check_topic(str(fields["topic"]))
            for name in ("name", "status", "topic", "secret"):
                if name in fields:
                    setattr(webhook, name, str(fields[name]))
            webhook.date_modified = self._clock()
            return webhook

    def delete(self, webhook_id: int, *, force: bool) -> Webhook:
        if not force:
            raise StoreError("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
        with self._lock:
            webhook = self.get(webhook_id)
            del self._webhooks[webhook_id]
            return webhook

    def get(self, webhook_id: int) -> Webhook:
        with self._lock:
            webhook = self._webhooks.get(webhook_id)
            if webhook is None:
                raise StoreError("woocommerce_rest_shop_webhook_invalid_id", "ID is invalid.", 404)
            return webhook

    @property
    def webhooks(self) -> list[Webhook]:
        with self._lock:
            return list(self._webhooks.values())

    # -- deliveries -------------------------------------------------------------------------------

    @property
    def deliveries(self) -> list[WooDelivery]:
        with self._lock:
            return list(self._deliveries)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def changed(self, resource: str, event: str, resource_id: int) -> None:
        """WC_Webhook::process for every active webhook of the topic: queued unless already waiting."""
        with self._lock:
            for webhook in self._webhooks.values():
                entry = (webhook.id, event, resource_id)
                listens = webhook.status == "active" and webhook.topic == f"{resource}.{event}"
                if listens and entry not in self._pending:
                    self._pending.append(entry)

    def deliver_pending(self) -> list[WooDelivery]:
        """Runs the queue: each waiting delivery is sent once, its body read now."""
        with self._lock:
            due, self._pending = self._pending, []
        sent = []
        for webhook_id, event, resource_id in due:
            with self._lock:
                webhook = self._webhooks.get(webhook_id)
            if webhook is not None:
                sent.append(self._deliver(webhook, event, resource_id))
        return sent

    def _deliver(self, webhook: Webhook, event: str, resource_id: int) -> WooDelivery:
        rendered = None if event == "deleted" else self._render(webhook.resource, resource_id)
        body = php_json(rendered if rendered is not None else {"id": resource_id})
        delivery_id = hmac.new(
            self._salt.encode(), f"{webhook.id}{int(self._clock().timestamp())}".encode(), hashlib.md5
        ).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self._user_agent,
            "X-WC-Webhook-Source": f"{self._home_url()}/",
            "X-WC-Webhook-Topic": webhook.topic,
            "X-WC-Webhook-Resource": webhook.resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature(body, webhook.secret),
            "X-WC-Webhook-ID": str(webhook.id),
            "X-WC-Webhook-Delivery-ID": delivery_id,
        }
        delivery = self._post(webhook, webhook.topic, headers, body)
        with self._lock:
            if delivery.succeeded:
                webhook.failure_count = 0
            elif webhook.failure_count > MAX_FAILURES:
                webhook.status = "disabled"
            else:
                webhook.failure_count += 1
        return delivery

    def _ping(self, webhook: Webhook) -> None:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": self._user_agent}
        self._post(webhook, None, headers, f"webhook_id={webhook.id}".encode())

    def _post(self, webhook: Webhook, topic: str | None, headers: Mapping[str, str], body: bytes) -> WooDelivery:
        try:
            response = httpx.post(webhook.delivery_url, content=body, headers=dict(headers), timeout=DELIVERY_TIMEOUT_S)
            status_code, error = response.status_code, None
        except httpx.HTTPError as failure:
            status_code, error = None, f"{type(failure).__name__}: {failure}"
        delivery = WooDelivery(webhook.id, topic, webhook.delivery_url, headers, body, status_code, error)
        with self._lock:
            self._deliveries.append(delivery)
        return delivery


def _check_topic(topic: str) -> None:
    resource, _, event = topic.partition(".")
    if resource not in RESOURCES or event not in EVENTS:
        raise StoreError("woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid.")
