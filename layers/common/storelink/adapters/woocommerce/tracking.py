"""Tracking on WooCommerce, whose core has no field for it.

Where the store runs WooCommerce's Shipment Tracking extension, tracking is one of its items: the customer sees it in
the Completed Order email and their account, and it is kept in the order's `_wc_shipment_tracking_items` meta, which
the order's REST body (and so its webhook) lists. storelink writes an item through the extension's own REST
namespace and reads the first item of a completed source order. A store without the extension answers its route
404 (`rest_no_route`), and the private order note the connector always writes is the only record there.
"""

from typing import Any

from storelink.domain.orders import Tracking

SHIPMENT_TRACKING_API = "/wp-json/wc-shipment-tracking/v3"
TRACKING_ITEMS_META = "_wc_shipment_tracking_items"
# The extension formats a custom provider's link with sprintf: %1$s is the tracking number.
_NUMBER_PLACEHOLDER = "%1$s"


def shipment_trackings_path(order_number: int) -> str:
    return f"/orders/{order_number}/shipment-trackings"


def tracking_item(tracking: Tracking) -> dict[str, str] | None:
    """The extension's item for a shipment, as a custom provider (storelink knows the carrier's name, not the
    extension's provider list); None without a tracking number, which the extension requires."""
    if not tracking.number:
        return None
    link = (tracking.url or "").replace("%", "%%")  # sprintf would read a URL's %xx escapes as conversions
    return {
        "tracking_number": tracking.number,
        "custom_tracking_provider": tracking.company or "Carrier",
        "custom_tracking_link": link,
    }


def _items(meta_value: Any) -> list[dict[str, Any]]:
    """The `_wc_shipment_tracking_items` meta's value: a list of items (absent without the extension)."""
    return [item for item in meta_value if isinstance(item, dict)] if isinstance(meta_value, list) else []


def tracking_of(tracking_items_meta: Any) -> Tracking:
    """The first shipment tracked on the order (core WooCommerce completes a whole order, so one shipment carries
    it all); no tracking when the extension is not there or nothing was tracked."""
    items = _items(tracking_items_meta)
    if not items:
        return Tracking()
    first = items[0]
    number = str(first.get("tracking_number") or "") or None
    link = str(first.get("custom_tracking_link") or "")
    return Tracking(
        company=first.get("custom_tracking_provider") or first.get("tracking_provider") or None,
        number=number,
        url=link.replace(_NUMBER_PLACEHOLDER, number or "").replace("%%", "%") or None,
    )


def already_tracked(tracking_items_meta: Any, tracking: Tracking) -> bool:
    """An earlier attempt (or the merchant) tracked this number on the order already: an item is not added twice."""
    return any(str(item.get("tracking_number")) == tracking.number for item in _items(tracking_items_meta))
