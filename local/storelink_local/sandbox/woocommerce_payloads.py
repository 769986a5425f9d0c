"""What the sandbox WooCommerce store answers: its objects as wc/v3 JSON (the same JSON its webhooks carry)."""

from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any

from storelink_local.sandbox.woocommerce_orders import CENT, Note, Order, Refund
from storelink_local.sandbox.woocommerce_store import Catalogue, Meta, Product
from storelink_local.sandbox.woocommerce_webhooks import Webhook

WOOCOMMERCE_VERSION = "10.3.0"


def wc_dates(name: str, moment: datetime | None, site_timezone: tzinfo) -> dict[str, str | None]:
    """`name` in the site's timezone and `name_gmt`, both without an offset, as WooCommerce writes dates."""
    if moment is None:
        return {name: None, f"{name}_gmt": None}
    return {
        name: moment.astimezone(site_timezone).replace(tzinfo=None).isoformat(timespec="seconds"),
        f"{name}_gmt": moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
    }


def meta_json(meta: list[Meta]) -> list[dict[str, Any]]:
    return [{"id": m.id, "key": m.key, "value": m.value} for m in meta]


def product_json(catalogue: Catalogue, product: Product, site_url: str, site_timezone: tzinfo) -> dict[str, Any]:
    """A product or a variation as GET /products/{id} (or /products/{parent}/variations/{id}) returns it."""
    stock_status = catalogue.stock_status(product)
    managed_by_parent = catalogue.managed_by_parent(product)
    holder = catalogue.stock_holder(product)
    payload: dict[str, Any] = {
        "id": product.id,
        **({"parent_id": product.parent_id} if product.is_variation else {"name": product.name}),
        "type": product.type,
        "status": product.status,
        "permalink": f"{site_url}/?p={product.id}",
        **wc_dates("date_created", product.date_created, site_timezone),
        **wc_dates("date_modified", product.date_modified, site_timezone),
        "sku": product.sku,
        "global_unique_id": product.global_unique_id,
        "price": product.regular_price,
        "regular_price": product.regular_price,
        "sale_price": "",
        "on_sale": False,
        "purchasable": product.regular_price != "",
        "manage_stock": "parent" if managed_by_parent else product.manage_stock,
        "stock_quantity": holder.stock_quantity if holder.manage_stock else None,
        "stock_status": stock_status,
        "backorders": holder.backorders,
        "backorders_allowed": holder.backorders != "no",
        "backordered": holder.manage_stock and (holder.stock_quantity or 0) < 0,
        "attributes": product.attributes,
        "meta_data": meta_json(product.meta_data),
        **product.kept,
    }
    if not product.is_variation:
        payload |= {"total_sales": product.total_sales, "variations": list(product.variation_ids), "parent_id": 0}
    return payload


def money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT)}"


def line_meta_json(meta: list[Meta]) -> list[dict[str, Any]]:
    # An order line's meta, internal keys (_reduced_stock) included, as wc/v3 shows it with display names.
    return [{**m, "display_key": m["key"], "display_value": m["value"]} for m in meta_json(meta)]


def order_json(order: Order, site_timezone: tzinfo) -> dict[str, Any]:
    """An order as GET /orders/{id} returns it."""
    shipping_total = sum((Decimal(str(line.get("total") or 0)) for line in order.shipping_lines), Decimal())
    return {
        "id": order.id,
        "parent_id": 0,
        "number": str(order.id),
        "order_key": f"wc_order_{order.id}",
        "created_via": order.created_via,
        "version": WOOCOMMERCE_VERSION,
        "status": order.status,
        "currency": order.currency,
        **wc_dates("date_created", order.date_created, site_timezone),
        **wc_dates("date_modified", order.date_modified, site_timezone),
        **wc_dates("date_paid", order.date_paid, site_timezone),
        **wc_dates("date_completed", order.date_completed, site_timezone),
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": money(shipping_total),
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total": money(order.total),
        "total_tax": "0.00",
        "prices_include_tax": False,
        "customer_id": 0,
        "customer_note": "",
        "billing": {},
        "shipping": {},
        "payment_method": "",
        "payment_method_title": "",
        "transaction_id": "",
        **order.kept,
        "meta_data": meta_json(order.meta_data),
        "line_items": [
            {
                "id": line.id,
                "name": line.name,
                "product_id": line.product_id,
                "variation_id": line.variation_id,
                "quantity": line.quantity,
                "tax_class": "",
                "subtotal": money(line.total),
                "subtotal_tax": "0.00",
                "total": money(line.total),
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": line_meta_json(line.meta_data),
                "sku": line.sku,
                "price": float(line.price),
            }
            for line in order.line_items
        ],
        "tax_lines": [],
        "shipping_lines": order.shipping_lines,
        "fee_lines": order.fee_lines,
        "coupon_lines": [],
        "refunds": [{"id": r.id, "reason": r.reason, "total": f"-{money(r.amount)}"} for r in order.refunds],
        "set_paid": False,
    }


def note_json(note: Note, site_timezone: tzinfo) -> dict[str, Any]:
    return {
        "id": note.id,
        "author": "system" if not note.added_by_user else "storelink",
        **wc_dates("date_created", note.date_created, site_timezone),
        "note": note.note,
        "customer_note": note.customer_note,
    }


def refund_json(refund: Refund, order: Order, site_timezone: tzinfo) -> dict[str, Any]:
    lines = []
    for line_id, quantity, total in refund.lines:
        line = order.line(line_id)
        lines.append(
            {
                "id": line_id,
                "name": line.name if line else "",
                "product_id": line.product_id if line else 0,
                "variation_id": line.variation_id if line else 0,
                "quantity": -quantity,
                "subtotal": f"-{money(total)}",
                "total": f"-{money(total)}",
                "meta_data": [{"key": "_refunded_item_id", "value": str(line_id)}],
            }
        )
    return {
        "id": refund.id,
        **wc_dates("date_created", refund.date_created, site_timezone),
        "amount": money(refund.amount),
        "reason": refund.reason,
        "refunded_by": 1,
        "refunded_payment": refund.refunded_payment,
        "meta_data": meta_json(refund.meta_data),
        "line_items": lines,
    }


def webhook_json(webhook: Webhook, site_timezone: tzinfo) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "name": webhook.name,
        "status": webhook.status,
        "topic": webhook.topic,
        "resource": webhook.resource,
        "event": webhook.event,
        "hooks": [f"woocommerce_{webhook.event}_{webhook.resource}"],
        "delivery_url": webhook.delivery_url,
        "secret": webhook.secret,
        **wc_dates("date_created", webhook.date_created, site_timezone),
        **wc_dates("date_modified", webhook.date_modified, site_timezone),
    }
