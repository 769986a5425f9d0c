"""ShopWired orders as storelink sees them, and storelink's order drafts as ShopWired order bodies.

ShopWired orders have no tags and no source identifier: an order storelink creates keeps both in its notes, one
line each, under storelink's own labels (assumed to be the merchant's private notes: docs/shopwired.md)."""

from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from storelink.adapters.shopwired.ids import Variant
from storelink.domain.events import RefundCreated, RefundedLine
from storelink.domain.orders import Address, Customer, Order, OrderDraft, PushedFrom, SalesChannel, ShippingLine
from storelink.domain.orders import OrderLine as Line
from storelink.errors import StoreRejected

TAGS_LABEL = "storelink tags: "
SOURCE_LABEL = "storelink source: "
# Where a refund storelink made keeps its key: in its description, between these.
KEY_OPEN, KEY_CLOSE = "[storelink ", "]"
# What an order storelink creates is delivered at when the draft names no shipping (ShopWired needs a rate).
NO_DELIVERY = {"name": "Delivered by the selling store", "price": 0}


def labelled(notes: str | None, label: str) -> str | None:
    return next((line.removeprefix(label) for line in (notes or "").splitlines() if line.startswith(label)), None)


def created_at(body: dict[str, Any]) -> datetime:
    """ShopWired's dates are RFC 2822 (`Mon, 23 Nov 2015 18:42:29 +0000`)."""
    return parsedate_to_datetime(str(body["created"])).astimezone(UTC)


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def order_of(body: dict[str, Any], currency: str) -> Order:
    pushed = PushedFrom.read(labelled(body.get("notes"), SOURCE_LABEL))
    status = body.get("status") or {}
    billing, shipping = body.get("billingAddress") or {}, body.get("shippingAddress") or {}
    rate = body.get("deliveryRate") or {}
    return Order(
        order_id=str(body["id"]),
        name=f"#{body.get('reference') or body['id']}",
        created_at=created_at(body),
        source_name="shopwired",
        # ShopWired does not say which channel an order came through: its own orders are its web shop's.
        channel=pushed.channel if pushed else SalesChannel.WEB,
        passed_through=pushed.stores if pushed else (),
        currency=currency,
        customer=Customer(first_name=billing.get("name") or None, email=billing.get("emailAddress") or None)
        if billing.get("name") or billing.get("emailAddress")
        else None,
        shipping_address=Address(
            name=shipping.get("name") or None,
            address1=shipping.get("addressLine1") or None,
            address2=shipping.get("addressLine2") or None,
            city=shipping.get("city") or None,
            province_code=shipping.get("province") or shipping.get("state") or None,
            country_code=shipping.get("country") or None,
            zip=shipping.get("postcode") or None,
            phone=shipping.get("telephone") or None,
        )
        if shipping.get("addressLine1")
        else None,
        lines=tuple(
            Line(
                line_id=str(line["id"]),
                title=line.get("title") or "",
                sku=line.get("sku") or None,
                variant_id=str(Variant(int(line["productId"]), line.get("variationId")))
                if line.get("productId")
                else None,
                quantity=int(line["quantity"]),
                unit_price=_money(line.get("price")),
            )
            for line in body.get("products") or []
        ),
        shipping_lines=(ShippingLine(title=rate.get("name") or "", price=_money(rate.get("price"))),) if rate else (),
        total=_money(body.get("total")),
        tags=tuple(filter(None, (labelled(body.get("notes"), TAGS_LABEL) or "").split(","))),
        financial_status=status.get("type"),
        fulfillment_status="fulfilled" if status.get("type") == "shipped" else None,
        # ShopWired does not date a status change: a cancelled order is dated by its creation.
        cancelled_at=created_at(body) if status.get("type") == "cancelled" else None,
    )


def order_body(draft: OrderDraft, status_id: int) -> dict[str, Any]:
    """The order to create: its lines by SKU (ShopWired's stock is a SKU's), a delivery rate (ShopWired needs one),
    no vouchers or gift cards (it refuses them), storelink's tags and source in the notes."""
    unnamed = [line.line_id for line in draft.lines if not line.sku]
    if unnamed:
        raise StoreRejected(f"ShopWired orders name products by SKU: lines {', '.join(unnamed)} have none")
    shipping = draft.shipping_lines[0] if draft.shipping_lines else None
    notes = [f"{TAGS_LABEL}{','.join(draft.tags)}"]
    if draft.source_identifier:
        notes.append(f"{SOURCE_LABEL}{draft.source_identifier}")
    if draft.note:
        notes.append(draft.note)
    body: dict[str, Any] = {
        "status": status_id,
        "products": [
            {"sku": line.sku, "quantity": line.quantity, "price": float(line.unit_price)} for line in draft.lines
        ],
        "deliveryRate": {"name": shipping.title, "price": float(shipping.price)} if shipping else NO_DELIVERY,
        "notes": "\n".join(notes),
    }
    address = draft.shipping_address
    if address is not None:
        body["shippingAddress"] = {
            "name": address.name or "",
            "addressLine1": address.address1 or "",
            "addressLine2": address.address2 or "",
            "city": address.city or "",
            "province": address.province_code or "",
            "postcode": address.zip or "",
            "country": address.country_code or "",
            "telephone": address.phone or "",
        }
    if draft.customer is not None:
        name = " ".join(part for part in (draft.customer.first_name, draft.customer.last_name) if part)
        body["billingAddress"] = {"name": name, "emailAddress": draft.customer.email or ""}
    return body


def refund_key(refund: dict[str, Any]) -> str | None:
    reason = str(refund.get("description") or "")
    start = reason.rfind(KEY_OPEN)
    if start < 0 or not reason.endswith(KEY_CLOSE):
        return None
    return reason[start + len(KEY_OPEN) : -len(KEY_CLOSE)]


def refund_read(event: RefundCreated, order: dict[str, Any]) -> RefundCreated | None:
    """The refund's lines and money as the order shows them; ShopWired's refunds restock nothing (assumed)."""
    found = next((r for r in order.get("refunds") or [] if str(r["id"]) == event.refund_id), None)
    if found is None:
        return None
    prices = {str(line["id"]): _money(line.get("price")) for line in order.get("products") or []}
    lines = tuple(
        RefundedLine(
            line_id=str(line["id"]),
            quantity=int(line["quantity"]),
            subtotal=prices.get(str(line["id"]), Decimal(0)) * int(line["quantity"]),
        )
        for line in found.get("products") or []
    )
    return event.model_copy(update={"lines": lines, "amount": _money(found.get("amount")), "unread": False})
