"""WooCommerce's Shipment Tracking extension, for a sandbox store that has it installed.

Its REST namespace `wc-shipment-tracking/v3` lists and adds an order's tracking items
(`/orders/{order_id}/shipment-trackings`): an item needs a tracking number and either a provider from the
extension's list or a custom provider with its link. Items are kept in the order's `_wc_shipment_tracking_items`
meta, which the order's wc/v3 body lists; adding one saves only the meta (no order.updated delivery, no new
`date_modified`). A store without the extension answers the namespace `rest_no_route`.
"""

import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from storelink_local.sandbox.server import Reply
from storelink_local.sandbox.woocommerce_orders import OrderBook
from storelink_local.sandbox.woocommerce_store import StoreError, write_meta

SHIPMENT_TRACKING_PREFIX = "/wp-json/wc-shipment-tracking/v3"
TRACKING_ITEMS_META = "_wc_shipment_tracking_items"
_ORDER_TRACKINGS = re.compile(r"/orders/(\d+)/shipment-trackings/?")
# The extension's own providers, a few of its list: an item names one of them or a custom provider.
_PROVIDERS = {"USPS": "https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1=%1$s", "DHL": ""}

ErrorReply = Callable[..., Reply]


def serve_shipment_tracking(
    orders: OrderBook,
    allocate: Callable[[], int],
    now: Callable[[], datetime],
    method: str,
    path: str,
    body: Any,
    error_reply: ErrorReply,
) -> Reply | None:
    """The extension's answer to an authenticated request under its namespace; None for a route it does not have."""
    matched = _ORDER_TRACKINGS.fullmatch(path)
    if matched is None or method not in ("GET", "POST"):
        return None
    try:
        if method == "GET":
            return Reply.json(200, [_item_json(item) for item in tracking_items(orders, int(matched[1]))])
        item = add_tracking_item(orders, allocate, now, int(matched[1]), body if isinstance(body, dict) else {})
    except StoreError as refused:
        return error_reply(refused.code, refused.message, refused.status)
    return Reply.json(201, _item_json(item))


def tracking_items(orders: OrderBook, order_id: int) -> list[dict[str, Any]]:
    order = orders.get(order_id)
    return list(next((m.value for m in order.meta_data if m.key == TRACKING_ITEMS_META), None) or [])


def add_tracking_item(
    orders: OrderBook, allocate: Callable[[], int], now: Callable[[], datetime], order_id: int, fields: dict[str, Any]
) -> dict[str, Any]:
    """Adds an item as the extension does (its REST route, or the merchant's panel on the order screen)."""
    items = tracking_items(orders, order_id)
    if not fields.get("tracking_number"):
        raise StoreError("rest_missing_callback_param", "Missing parameter(s): tracking_number", 400)
    provider = str(fields.get("tracking_provider") or "")
    custom = str(fields.get("custom_tracking_provider") or "")
    if provider and provider not in _PROVIDERS:
        raise StoreError("woocommerce_rest_invalid_provider", f"Unknown tracking provider {provider}.", 400)
    if not provider and not custom:
        raise StoreError("rest_missing_callback_param", "Missing parameter(s): custom_tracking_provider", 400)
    number = str(fields["tracking_number"])
    item = {
        "tracking_provider": provider,
        "custom_tracking_provider": custom,
        "custom_tracking_link": str(fields.get("custom_tracking_link") or ""),
        "tracking_number": number,
        "date_shipped": str(int(now().timestamp())),
        "tracking_id": hashlib.md5(f"{number}{provider}{custom}".encode(), usedforsecurity=False).hexdigest(),
    }
    with orders.lock:
        write_meta(orders.get(order_id).meta_data, [{"key": TRACKING_ITEMS_META, "value": [*items, item]}], allocate)
    return item


def _item_json(item: dict[str, Any]) -> dict[str, Any]:
    link_format = _PROVIDERS.get(item["tracking_provider"]) or item["custom_tracking_link"]
    return {
        "tracking_id": item["tracking_id"],
        "tracking_provider": item["tracking_provider"] or item["custom_tracking_provider"],
        "tracking_link": link_format.replace("%1$s", item["tracking_number"]).replace("%%", "%"),
        "tracking_number": item["tracking_number"],
        "date_shipped": datetime.fromtimestamp(int(item["date_shipped"])).strftime("%Y-%m-%d"),
    }
