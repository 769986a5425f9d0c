"""REST-shaped webhook bodies, as Shopify sends them for the topics the sandbox fires.

Field names follow the REST Admin resources (Order, Fulfillment, Refund, Product, Shop, InventoryLevel):
ids are integers (above 2**53 here, so a float-parsing receiver breaks), money is a string, statuses are
lower case, times carry the shop's UTC offset.
"""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from storelink_local.sandbox.shopify_orders import (
    Customer,
    Fulfillment,
    LineItem,
    MailingAddress,
    Order,
    Refund,
    money,
)
from storelink_local.sandbox.shopify_store import InventoryLevel, Product, Shop, legacy_id
from storelink_local.sandbox.shopify_webhooks import (
    FULFILLMENTS_CREATE,
    INVENTORY_LEVELS_UPDATE,
    ORDERS_CANCELLED,
    ORDERS_CREATE,
    ORDERS_UPDATED,
    REFUNDS_CREATE,
    WebhookEvent,
)

# Shopify reports webhook times in the shop's zone; a non-UTC offset catches clients that assume "Z".
SHOP_UTC_OFFSET = timezone(timedelta(hours=-5))

Payload = dict[str, Any]


def shop_time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SHOP_UTC_OFFSET).isoformat(timespec="seconds")


def _amount(amount: Decimal) -> str:
    return str(money(amount))


def _money_set(amount: Decimal, currency: str) -> Payload:
    value = {"amount": _amount(amount), "currency_code": currency}
    return {"shop_money": value, "presentment_money": dict(value)}


def _optional_id(value: str | None) -> int | None:
    return None if value is None else legacy_id(value)


def inventory_level_payload(level: InventoryLevel) -> Payload:
    return {
        "inventory_item_id": legacy_id(level.inventory_item_id),
        "location_id": legacy_id(level.location_id),
        "available": level.quantities["available"],
        "updated_at": shop_time(level.updated_at),
        "admin_graphql_api_id": level.id,
    }


def address_payload(address: MailingAddress | None) -> Payload | None:
    if address is None:
        return None
    return {
        "first_name": address.first_name,
        "last_name": address.last_name,
        "name": address.name,
        "company": address.company,
        "address1": address.address1,
        "address2": address.address2,
        "city": address.city,
        "province": address.province_code,
        "province_code": address.province_code,
        "country": address.country,
        "country_code": address.country_code,
        "zip": address.zip,
        "phone": address.phone,
    }


def customer_payload(customer: Customer | None) -> Payload | None:
    if customer is None:
        return None
    return {
        "id": legacy_id(customer.id),
        "email": customer.email,
        "phone": customer.phone,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "created_at": shop_time(customer.created_at),
        "updated_at": shop_time(customer.updated_at),
        "admin_graphql_api_id": customer.id,
    }


def line_item_payload(line: LineItem, currency: str) -> Payload:
    return {
        "id": legacy_id(line.id),
        "admin_graphql_api_id": line.id,
        "variant_id": _optional_id(line.variant_id),
        "product_id": _optional_id(line.product_id),
        "sku": line.sku,
        "title": line.title,
        "variant_title": line.variant_title,
        "name": line.name,
        "vendor": line.vendor,
        "quantity": line.quantity,
        "current_quantity": line.current_quantity,
        "fulfillable_quantity": line.unfulfilled_quantity,
        "fulfillment_status": _line_fulfillment_status(line),
        "price": _amount(line.price),
        "price_set": _money_set(line.price, currency),
        "total_discount": _amount(line.discount),
        "total_discount_set": _money_set(line.discount, currency),
        "requires_shipping": line.requires_shipping,
        "taxable": line.taxable,
        "gift_card": False,
        "grams": 0,
        "product_exists": line.product_id is not None,
        "properties": [],
        "tax_lines": [],
    }


def _line_fulfillment_status(line: LineItem) -> str | None:
    if line.fulfilled_quantity and line.fulfilled_quantity >= line.current_quantity:
        return "fulfilled"
    return "partial" if line.fulfilled_quantity else None


def fulfillment_payload(fulfillment: Fulfillment, order: Order) -> Payload:
    lines = {line.id: line for line in order.line_items}
    tracking = fulfillment.tracking[0] if fulfillment.tracking else None
    return {
        "id": legacy_id(fulfillment.id),
        "admin_graphql_api_id": fulfillment.id,
        "order_id": legacy_id(order.id),
        "name": fulfillment.name,
        "status": fulfillment.status.lower(),
        "service": "manual",
        "shipment_status": None,
        "location_id": legacy_id(fulfillment.location_id),
        "created_at": shop_time(fulfillment.created_at),
        "updated_at": shop_time(fulfillment.updated_at),
        "tracking_company": tracking.company if tracking else None,
        "tracking_number": tracking.number if tracking else None,
        "tracking_numbers": [info.number for info in fulfillment.tracking if info.number],
        "tracking_url": tracking.url if tracking else None,
        "tracking_urls": [info.url for info in fulfillment.tracking if info.url],
        "origin_address": {},
        "receipt": {},
        "line_items": [
            line_item_payload(lines[item.line_item_id], order.currency_code) | {"quantity": item.quantity}
            for item in fulfillment.line_items
        ],
    }


def refund_payload(refund: Refund, order: Order) -> Payload:
    lines = {line.id: line for line in order.line_items}
    return {
        "id": legacy_id(refund.id),
        "admin_graphql_api_id": refund.id,
        "order_id": legacy_id(order.id),
        "created_at": shop_time(refund.created_at),
        "processed_at": shop_time(refund.created_at),
        "note": refund.note,
        "restock": refund.restock,
        "user_id": None,
        "refund_line_items": [
            {
                "id": legacy_id(item.id),
                "line_item_id": legacy_id(item.line_item_id),
                "quantity": item.quantity,
                "restock_type": item.restock_type.lower(),
                "location_id": _optional_id(item.location_id),
                "subtotal": _amount(item.subtotal),
                "subtotal_set": _money_set(item.subtotal, order.currency_code),
                "total_tax": "0.00",
                "line_item": line_item_payload(lines[item.line_item_id], order.currency_code),
            }
            for item in refund.line_items
        ],
        # refundCreate's own transactions; a refund in the admin (or a cancellation's) one manual refund.
        "transactions": [
            {
                "id": legacy_id(transaction.id),
                "admin_graphql_api_id": transaction.id,
                "kind": "refund",
                "status": transaction.status.lower(),
                "amount": _amount(transaction.amount),
                "currency": order.currency_code,
                "gateway": transaction.gateway,
                "parent_id": _optional_id(transaction.parent_id),
                "order_id": legacy_id(order.id),
            }
            for transaction in refund.transactions
        ]
        or (
            []
            if not refund.amount
            else [
                {
                    "kind": "refund",
                    "status": "success",
                    "amount": _amount(refund.amount),
                    "currency": order.currency_code,
                    "gateway": "manual",
                    "order_id": legacy_id(order.id),
                }
            ]
        ),
        "order_adjustments": [],
        "duties": [],
    }


def order_payload(order: Order, customer: Customer | None) -> Payload:
    currency = order.currency_code
    display_status = order.fulfillment_status
    return {
        "id": legacy_id(order.id),
        "admin_graphql_api_id": order.id,
        "name": order.name,
        "number": order.number,
        "order_number": order.order_number,
        "email": order.email,
        "contact_email": order.email,
        "phone": order.phone,
        "created_at": shop_time(order.created_at),
        "processed_at": shop_time(order.processed_at),
        "updated_at": shop_time(order.updated_at),
        "cancelled_at": shop_time(order.cancelled_at),
        "cancel_reason": order.cancel_reason.lower() if order.cancel_reason else None,
        "closed_at": None,
        "confirmed": True,
        "test": order.test,
        "source_name": order.source_name,
        "source_identifier": order.source_identifier,
        "financial_status": order.financial_status.lower(),
        "fulfillment_status": {
            "FULFILLED": "fulfilled",
            "PARTIALLY_FULFILLED": "partial",
            "RESTOCKED": "restocked",
        }.get(display_status),
        "currency": currency,
        "presentment_currency": currency,
        "tags": ", ".join(order.tags),
        "note": order.note,
        "taxes_included": order.taxes_included,
        "total_line_items_price": _amount(order.line_items_total),
        "total_line_items_price_set": _money_set(order.line_items_total, currency),
        "subtotal_price": _amount(order.subtotal),
        "subtotal_price_set": _money_set(order.subtotal, currency),
        "total_discounts": _amount(order.total_discounts),
        "total_discounts_set": _money_set(order.total_discounts, currency),
        "total_shipping_price_set": _money_set(order.total_shipping, currency),
        "total_tax": _amount(order.total_tax),
        "total_tax_set": _money_set(order.total_tax, currency),
        "total_price": _amount(order.total_price),
        "total_price_set": _money_set(order.total_price, currency),
        "current_total_price": _amount(order.total_price - order.total_refunded),
        "discount_codes": [
            {
                "code": application.code,
                "amount": _amount(application.amount),
                "type": "shipping" if application.target_type == "SHIPPING_LINE" else application.value_type,
            }
            for application in order.discount_applications
        ],
        "discount_applications": [
            {
                "type": "discount_code",
                "code": application.code,
                "value": str(application.value),
                "value_type": application.value_type,
                "allocation_method": "across",
                "target_selection": "all",
                "target_type": application.target_type.lower(),
            }
            for application in order.discount_applications
        ],
        "tax_lines": [
            {
                "title": tax.title,
                "rate": float(tax.rate),
                "price": _amount(tax.price),
                "price_set": _money_set(tax.price, currency),
            }
            for tax in order.tax_lines
        ],
        "shipping_lines": [
            {
                "id": legacy_id(line.id),
                "title": line.title,
                "code": line.code,
                "source": line.source,
                "price": _amount(line.price),
                "price_set": _money_set(line.price, currency),
                "discounted_price": _amount(line.discounted_price),
                "discounted_price_set": _money_set(line.discounted_price, currency),
                "tax_lines": [],
            }
            for line in order.shipping_lines
        ],
        "line_items": [line_item_payload(line, currency) for line in order.line_items],
        "fulfillments": [fulfillment_payload(fulfillment, order) for fulfillment in order.fulfillments],
        "refunds": [refund_payload(refund, order) for refund in order.refunds],
        "customer": customer_payload(customer),
        "shipping_address": address_payload(order.shipping_address),
        "billing_address": address_payload(order.billing_address),
        "location_id": None,
        "user_id": None,
    }


def product_payload(product: Product, inventory_quantity: Callable[[str], int]) -> Payload:
    return {
        "id": legacy_id(product.id),
        "admin_graphql_api_id": product.id,
        "title": product.title,
        "handle": product.handle,
        "body_html": "",
        "vendor": product.vendor,
        "product_type": product.product_type,
        "status": product.status.lower(),
        "tags": ", ".join(product.tags),
        "created_at": shop_time(product.created_at),
        "updated_at": shop_time(product.updated_at),
        "published_at": shop_time(product.created_at),
        "variants": [
            {
                "id": legacy_id(variant.id),
                "admin_graphql_api_id": variant.id,
                "product_id": legacy_id(product.id),
                "title": variant.title,
                "sku": variant.sku,
                "barcode": variant.barcode,
                "price": _amount(variant.price),
                "position": variant.position,
                "inventory_policy": variant.inventory_policy.lower(),
                "inventory_item_id": legacy_id(variant.inventory_item_id),
                "inventory_quantity": inventory_quantity(variant.inventory_item_id),
                "created_at": shop_time(variant.created_at),
                "updated_at": shop_time(variant.updated_at),
            }
            for variant in product.variants
        ],
        "options": [],
        "images": [],
        "image": None,
    }


def shop_payload(shop: Shop) -> Payload:
    return {
        "id": legacy_id(shop.id),
        "name": shop.name,
        "domain": shop.myshopify_domain,
        "myshopify_domain": shop.myshopify_domain,
        "currency": shop.currency_code,
    }


# -- the events each change publishes -----------------------------------------------------------------


def level_events(levels: Iterable[InventoryLevel]) -> list[WebhookEvent]:
    return [WebhookEvent(INVENTORY_LEVELS_UPDATE, inventory_level_payload(level)) for level in levels]


def order_created_events(order: Order, customer: Customer | None) -> list[WebhookEvent]:
    return [WebhookEvent(ORDERS_CREATE, order_payload(order, customer))]


def fulfillment_events(fulfillment: Fulfillment, order: Order, customer: Customer | None) -> list[WebhookEvent]:
    return [
        WebhookEvent(FULFILLMENTS_CREATE, fulfillment_payload(fulfillment, order)),
        WebhookEvent(ORDERS_UPDATED, order_payload(order, customer)),
    ]


def refund_events(order: Order, refund: Refund, customer: Customer | None) -> list[WebhookEvent]:
    return [
        WebhookEvent(REFUNDS_CREATE, refund_payload(refund, order)),
        WebhookEvent(ORDERS_UPDATED, order_payload(order, customer)),
    ]


def cancel_events(order: Order, refund: Refund | None, customer: Customer | None) -> list[WebhookEvent]:
    events = [
        WebhookEvent(ORDERS_CANCELLED, order_payload(order, customer)),
        WebhookEvent(ORDERS_UPDATED, order_payload(order, customer)),
    ]
    if refund is not None:
        events.append(WebhookEvent(REFUNDS_CREATE, refund_payload(refund, order)))
    return events
