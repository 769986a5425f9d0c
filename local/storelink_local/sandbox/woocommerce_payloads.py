"""What the sandbox WooCommerce store answers: its objects as wc/v3 JSON (the same JSON its webhooks carry)."""

from datetime import UTC, datetime, tzinfo
from typing import Any

from storelink_local.sandbox.woocommerce_store import Catalogue, Meta, Product


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
