"""WooCommerce orders as storelink sees them, and storelink's order drafts as WooCommerce order bodies."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from storelink.adapters.woocommerce.ids import Item
from storelink.adapters.woocommerce.webhooks import SOURCE_IDENTIFIER_META, item_of
from storelink.domain.events import OrderLineSeen, RefundCreated, RefundedLine
from storelink.domain.orders import (
    Address,
    Customer,
    Order,
    OrderDraft,
    OrderLine,
    PushedFrom,
    SalesChannel,
    ShippingLine,
    TaxLine,
)

# Where an order storelink created keeps its tags (WooCommerce orders have none).
TAGS_META = "storelink_tags"
# Order meta WooCommerce sets through its own setters (WC_Data::update_meta_data on an internal key): the order's
# stock counts as reduced and its sales as recorded, so WooCommerce moves neither for it (docs/woocommerce.md).
STOCK_UNTOUCHED = ({"key": "_order_stock_reduced", "value": "yes"}, {"key": "_recorded_sales", "value": "yes"})


def sales_channel(created_via: str | None) -> SalesChannel:
    """WooCommerce's `created_via` → storelink's channel: the shop's checkout (classic or blocks) is the web."""
    via = (created_via or "").lower()
    if via in ("checkout", "store-api"):
        return SalesChannel.WEB
    if via == "admin":
        return SalesChannel.DRAFT
    if via == "rest-api":
        return SalesChannel.APP
    if "pos" in via:
        return SalesChannel.POS
    return SalesChannel.OTHER


def meta_value(body: dict[str, Any], key: str) -> Any:
    return next((meta.get("value") for meta in body.get("meta_data") or [] if meta.get("key") == key), None)


def _gmt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def order_of(body: dict[str, Any]) -> Order:
    pushed = PushedFrom.read(meta_value(body, SOURCE_IDENTIFIER_META))
    billing, shipping = body.get("billing") or {}, body.get("shipping") or {}
    created_at = _gmt(body.get("date_created_gmt"))
    if created_at is None:
        raise ValueError(f"order {body.get('id')} has no date_created_gmt")
    name = " ".join(part for part in (shipping.get("first_name"), shipping.get("last_name")) if part)
    return Order(
        order_id=str(body["id"]),
        name=f"#{body.get('number') or body['id']}",
        created_at=created_at,
        source_name=body.get("created_via"),
        channel=pushed.channel if pushed else sales_channel(body.get("created_via")),
        passed_through=pushed.stores if pushed else (),
        currency=body.get("currency") or "",
        customer=Customer(
            first_name=billing.get("first_name") or None,
            last_name=billing.get("last_name") or None,
            email=billing.get("email") or None,
            phone=billing.get("phone") or None,
        )
        if billing.get("email") or billing.get("first_name") or billing.get("last_name")
        else None,
        shipping_address=Address(
            name=name or None,
            address1=shipping.get("address_1") or None,
            address2=shipping.get("address_2") or None,
            city=shipping.get("city") or None,
            province_code=shipping.get("state") or None,
            country_code=shipping.get("country") or None,
            zip=shipping.get("postcode") or None,
            phone=shipping.get("phone") or None,
        )
        if shipping.get("address_1")
        else None,
        lines=tuple(
            OrderLine(
                line_id=str(line["id"]),
                title=line.get("name") or "",
                sku=line.get("sku") or None,
                variant_id=str(item_of(line["product_id"], line.get("variation_id") or 0))
                if line.get("product_id")
                else None,
                quantity=int(line["quantity"]),
                # Before discounts, per unit: what the line was sold at.
                unit_price=_money(line.get("subtotal")) / int(line["quantity"]) if line.get("quantity") else Decimal(0),
            )
            for line in body.get("line_items") or []
        ),
        shipping_lines=tuple(
            ShippingLine(title=s.get("method_title") or "", price=_money(s.get("total")))
            for s in body.get("shipping_lines") or []
        ),
        tax_lines=tuple(
            TaxLine(
                title=t.get("label") or "",
                rate=_money(t.get("rate_percent")) / 100,
                amount=_money(t.get("tax_total")) + _money(t.get("shipping_tax_total")),
            )
            for t in body.get("tax_lines") or []
        ),
        discount_codes=tuple(c["code"] for c in body.get("coupon_lines") or [] if c.get("code")),
        total_discounts=_money(body.get("discount_total")),
        total=_money(body.get("total")),
        tags=tuple(filter(None, str(meta_value(body, TAGS_META) or "").split(","))),
        financial_status=body.get("status"),
        fulfillment_status="fulfilled" if body.get("status") == "completed" else None,
        cancelled_at=_gmt(body.get("date_modified_gmt")) if body.get("status") == "cancelled" else None,
    )


def order_body(draft: OrderDraft) -> dict[str, Any]:
    """The order for a source: `processing` when approved (paid), `on-hold` while it awaits the source's approval;
    stock and sales untouched (STOCK_UNTOUCHED). WooCommerce computes taxes itself and takes coupons only by an
    existing code, so the destination's taxes and discounts come as fee lines, keeping the order's total."""
    lines: list[dict[str, Any]] = []
    for line in draft.lines:
        item = None if line.variant_id is None else Item.read(line.variant_id)
        total = str(line.unit_price * line.quantity)
        if item is None:
            lines.append({"name": line.title, "quantity": line.quantity, "subtotal": total, "total": total})
        else:
            lines.append(
                {
                    "product_id": item.product_id,
                    "variation_id": item.variation_id or 0,
                    "quantity": line.quantity,
                    "subtotal": total,
                    "total": total,
                }
            )
    fees = [{"name": f"Tax: {tax.title}", "tax_status": "none", "total": str(tax.amount)} for tax in draft.tax_lines]
    if draft.total_discounts:
        fees.append({"name": "Discount", "tax_status": "none", "total": str(-draft.total_discounts)})
    meta = [*STOCK_UNTOUCHED, {"key": TAGS_META, "value": ",".join(draft.tags)}]
    if draft.source_identifier:
        meta.append({"key": SOURCE_IDENTIFIER_META, "value": draft.source_identifier})
    body: dict[str, Any] = {
        "status": "processing" if draft.approved else "on-hold",
        "currency": draft.currency,
        "set_paid": draft.approved,
        "line_items": lines,
        "shipping_lines": [
            {"method_id": "storelink", "method_title": s.title, "total": str(s.price)} for s in draft.shipping_lines
        ],
        "fee_lines": fees,
        "meta_data": meta,
    }
    if draft.note:
        body["customer_note"] = draft.note
    if draft.customer:
        body["billing"] = {
            "first_name": draft.customer.first_name or "",
            "last_name": draft.customer.last_name or "",
            "email": draft.customer.email or "",
            "phone": draft.customer.phone or "",
        }
    if draft.shipping_address:
        address = draft.shipping_address
        first, _, last = (address.name or "").partition(" ")
        body["shipping"] = {
            "first_name": first,
            "last_name": last,
            "address_1": address.address1 or "",
            "address_2": address.address2 or "",
            "city": address.city or "",
            "state": address.province_code or "",
            "country": address.country_code or "",
            "postcode": address.zip or "",
        }
    return body


def refund_read(refund: RefundCreated, order: dict[str, Any], refunds: list[dict[str, Any]]) -> RefundCreated | None:
    """The refund `refund` names among the order's `refunds` (GET /orders/{id}/refunds), with its lines, what it
    restocked and its amount; None when it is gone. A refund's lines show negative quantities and totals, each
    naming its order line in `_refunded_item_id`. WooCommerce does not keep what one refund restocked, only the
    units restocked of each order line in all (`_restock_refunded_items`, raised by `api_restock` or the admin's
    "Restock refunded items"): they are counted against the line's refunds oldest first, so a refund is read the
    same whenever it is read, and a line's restocks are never counted twice (an earlier refund that restocked
    nothing, followed by one that did, is read as having given back nothing: short, never over)."""
    this = next((body for body in refunds if str(body["id"]) == refund.refund_id), None)
    if this is None:
        return None
    lines = {str(line["id"]): line for line in order.get("line_items") or []}
    earlier: dict[str, int] = {}
    for body in refunds:
        if int(body["id"]) < int(this["id"]):
            for line_id, units in refunded_units(body).items():
                earlier[line_id] = earlier.get(line_id, 0) + units
    restocked = []
    for line_id, units in refunded_units(this).items():
        line = lines.get(line_id) or {}
        left = int(meta_value(line, "_restock_refunded_items") or 0) - earlier.get(line_id, 0)
        if min(units, left) > 0 and line:
            restocked.append(
                OrderLineSeen(
                    line_id=line_id,
                    variant_id=str(item_of(line["product_id"], line.get("variation_id") or 0))
                    if line.get("product_id")
                    else None,
                    sku=line.get("sku") or None,
                    quantity=min(units, left),
                )
            )
    return refund.model_copy(
        update={
            "unread": False,
            "restocked": tuple(restocked),
            "lines": tuple(
                RefundedLine(
                    line_id=_refunded_line_id(line),
                    quantity=abs(int(line.get("quantity") or 0)),
                    subtotal=abs(_money(line.get("subtotal"))),
                )
                for line in this.get("line_items") or []
            ),
            "amount": abs(_money(this.get("amount"))),
        }
    )


def refunded_units(refund: dict[str, Any]) -> dict[str, int]:
    """The units a refund refunded of each order line."""
    units: dict[str, int] = {}
    for line in refund.get("line_items") or []:
        line_id = _refunded_line_id(line)
        units[line_id] = units.get(line_id, 0) + abs(int(line.get("quantity") or 0))
    return units


def _refunded_line_id(line: dict[str, Any]) -> str:
    return str(meta_value(line, "_refunded_item_id") or line.get("id"))
