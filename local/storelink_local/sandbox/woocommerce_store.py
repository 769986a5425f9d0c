"""The catalogue of the sandbox WooCommerce store: products, their variations, and their stock.

Variations are products with a parent, as in WooCommerce (one id sequence for both, and for orders). Each
creation, save and deletion is told to `notify` (resource, event, id), as WooCommerce's hooks tell webhooks.
Stock moves in two ways only, as in WooCommerce: an absolute `stock_quantity` written by the REST API or the
merchant, and `change_stock`, the single locked update (UPDATE ... SET stock = stock - n) that orders make.
Every save stamps `date_modified` on the shop's clock, and saving a variation re-saves its parent (WooCommerce
syncs the variable product's stock status and saves it), so `modified_after` finds both.
"""

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from storelink_local.sandbox.clock import Clock

StockOperation = Literal["set", "increase", "decrease"]
ProductType = Literal["simple", "variable", "variation"]
# Fields of the spec the sandbox keeps as given and echoes back, without meaning anything to it.
_KEPT_AS_GIVEN = ("description", "short_description", "slug", "weight", "tax_class", "tax_status", "shipping_class")


class StoreError(Exception):
    """A refusal WooCommerce answers with this code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class Meta:
    id: int
    key: str
    value: Any


@dataclass
class Product:
    """A product (simple or variable) or a variation (`parent_id` set)."""

    id: int
    type: ProductType
    name: str
    date_created: datetime
    date_modified: datetime
    parent_id: int = 0
    status: str = "publish"
    sku: str = ""
    global_unique_id: str = ""
    regular_price: str = ""
    manage_stock: bool = False
    stock_quantity: int | None = None
    backorders: str = "no"
    # Only meaningful when stock is not managed: a managed product's status follows its quantity.
    unmanaged_stock_status: str = "instock"
    total_sales: int = 0
    attributes: list[dict[str, Any]] = field(default_factory=list)
    meta_data: list[Meta] = field(default_factory=list)
    variation_ids: list[int] = field(default_factory=list)
    kept: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False

    @property
    def is_variation(self) -> bool:
        return self.type == "variation"


class Catalogue:
    """Products and variations behind one lock: each change is one atomic step, as a database row update is."""

    def __init__(
        self, clock: Clock, allocate: Callable[[], int], notify: Callable[[str, str, int], None] = lambda *_: None
    ) -> None:
        self._clock = clock
        self._allocate = allocate
        self._notify = notify  # (resource, event, id): what a webhook of that topic would hear
        self.lock = threading.RLock()
        self._products: dict[int, Product] = {}

    # -- reading ----------------------------------------------------------------------------------

    def get(self, product_id: int) -> Product | None:
        with self.lock:
            product = self._products.get(product_id)
            return None if product is None or product.deleted else product

    def products(self) -> list[Product]:
        """Products, not variations (as /products lists them)."""
        with self.lock:
            return [p for p in self._products.values() if not p.deleted and not p.is_variation]

    def all_products(self) -> list[Product]:
        """Products and variations."""
        with self.lock:
            return [p for p in self._products.values() if not p.deleted]

    def variations(self, parent_id: int) -> list[Product]:
        with self.lock:
            parent = self._products.get(parent_id)
            if parent is None:
                return []
            return [self._products[i] for i in parent.variation_ids if not self._products[i].deleted]

    def stock_status(self, product: Product) -> str:
        """Derived as WooCommerce derives it: a managed quantity above 0 is in stock, else on backorder when
        backorders are allowed, else out of stock; a variable product is in stock when a variation is."""
        with self.lock:
            if product.type == "variable" and not product.manage_stock:
                statuses = {self.stock_status(v) for v in self.variations(product.id)}
                for status in ("instock", "onbackorder"):
                    if status in statuses:
                        return status
                return "outofstock"
            stocked = self.stock_holder(product)
            if not stocked.manage_stock:
                return product.unmanaged_stock_status
            if (stocked.stock_quantity or 0) > 0:
                return "instock"
            return "onbackorder" if stocked.backorders != "no" else "outofstock"

    def stock_holder(self, product: Product) -> Product:
        """Whose stock a sale of `product` moves: a variation without its own stock uses its parent's when the
        parent manages stock (WooCommerce's get_stock_managed_by_id; the API shows manage_stock "parent")."""
        if product.is_variation and not product.manage_stock:
            parent = self._products.get(product.parent_id)
            if parent is not None and parent.manage_stock:
                return parent
        return product

    def managed_by_parent(self, product: Product) -> bool:
        return self.stock_holder(product) is not product

    # -- the merchant and the REST API ------------------------------------------------------------

    def create(
        self, kind: Literal["simple", "variable", "variation"], fields: Mapping[str, Any], parent_id: int = 0
    ) -> Product:
        with self.lock:
            now = self._clock()
            if kind == "variation":
                parent = self.get(parent_id)
                if parent is None or parent.type != "variable":
                    raise StoreError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
            product = Product(
                id=self._allocate(),
                type=kind,
                name=str(fields.get("name", "")),
                date_created=now,
                date_modified=now,
                parent_id=parent_id,
            )
            self._apply(product, fields)
            self._products[product.id] = product
            self._notify("product", "created", product.id)
            if kind == "variation":
                self._products[parent_id].variation_ids.append(product.id)
                self._saved(self._products[parent_id])
            return product

    def update(self, product_id: int, fields: Mapping[str, Any]) -> Product:
        """A REST update (or the merchant's edit): every field given is written as given; stock_quantity is an
        absolute overwrite, applied only when the product manages its stock, as WooCommerce's controller does."""
        with self.lock:
            product = self.get(product_id)
            if product is None:
                raise StoreError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
            self._apply(product, fields)
            self._saved(product)
            return product

    def delete(self, product_id: int) -> Product:
        with self.lock:
            product = self.get(product_id)
            if product is None:
                raise StoreError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
            product.deleted = True
            for variation_id in product.variation_ids:
                self._products[variation_id].deleted = True
            self._notify("product", "deleted", product.id)
            if product.is_variation:
                self._saved(self._products[product.parent_id])
            return product

    # -- orders -----------------------------------------------------------------------------------

    def change_stock(self, product: Product, quantity: int, operation: StockOperation) -> tuple[Product, int, int]:
        """wc_update_product_stock: one locked update of the stock holder's quantity, read and written under the
        same lock so no concurrent change is lost; returns the holder and its quantity before and after."""
        with self.lock:
            holder = self.stock_holder(product)
            before = holder.stock_quantity or 0
            after = {"set": quantity, "increase": before + quantity, "decrease": before - quantity}[operation]
            holder.stock_quantity = after
            self._saved(holder)
            return holder, before, after

    def record_sale(self, product_id: int, quantity: int) -> None:
        """update_product_sales: total_sales += quantity (negative: a sale taken back), on the product (a
        variation's parent), atomically."""
        with self.lock:
            product = self._products.get(product_id)
            if product is not None:
                product.total_sales += quantity

    # -- inside -----------------------------------------------------------------------------------

    def _apply(self, product: Product, fields: Mapping[str, Any]) -> None:
        self._check_unique(product, fields)
        for name in ("name", "status", "sku", "global_unique_id", "regular_price", "backorders"):
            if name in fields:
                setattr(product, name, "" if fields[name] is None else str(fields[name]))
        if "manage_stock" in fields:
            product.manage_stock = bool(fields["manage_stock"])
        if "stock_quantity" in fields and product.manage_stock:
            product.stock_quantity = int(fields["stock_quantity"])
        if product.manage_stock and product.stock_quantity is None:
            product.stock_quantity = 0
        if "stock_status" in fields and not product.manage_stock:
            product.unmanaged_stock_status = str(fields["stock_status"])
        if "attributes" in fields:
            product.attributes = [dict(attribute) for attribute in fields["attributes"]]
        if "meta_data" in fields:
            self._write_meta(product.meta_data, fields["meta_data"])
        for name in _KEPT_AS_GIVEN:
            if name in fields:
                product.kept[name] = fields[name]

    def _check_unique(self, product: Product, fields: Mapping[str, Any]) -> None:
        sku = fields.get("sku")
        if sku and any(p.sku == sku and p.id != product.id for p in self._live()):
            raise StoreError("product_invalid_sku", "Invalid or duplicated SKU.")
        gtin = fields.get("global_unique_id")
        taken = any(p.global_unique_id == gtin and p.id != product.id for p in self._live())
        if gtin and (taken or not re.fullmatch(r"[\d-]+", str(gtin))):
            raise StoreError("product_invalid_global_unique_id", "Invalid or duplicated GTIN, UPC, EAN or ISBN.")

    def _write_meta(self, meta: list[Meta], changes: Iterable[Mapping[str, Any]]) -> None:
        write_meta(meta, changes, self._allocate)

    def _live(self) -> Iterable[Product]:
        return (p for p in self._products.values() if not p.deleted)

    def _saved(self, product: Product) -> None:
        product.date_modified = self._clock()
        self._notify("product", "updated", product.id)
        if product.is_variation:
            parent = self._products.get(product.parent_id)
            if parent is not None:
                self._saved(parent)


def write_meta(meta: list[Meta], changes: Iterable[Mapping[str, Any]], allocate: Callable[[], int]) -> None:
    """WooCommerce's meta_data writes: an entry with an id updates that entry, one with a key replaces the key's
    value (adding it when absent); a null value deletes."""
    for change in changes:
        found = next(
            (m for m in meta if (m.id == change["id"] if "id" in change else m.key == change.get("key"))), None
        )
        if change.get("value") is None and "value" in change:
            if found is not None:
                meta.remove(found)
            continue
        if found is None:
            meta.append(Meta(allocate(), str(change.get("key", "")), change.get("value")))
        else:
            found.key = str(change.get("key", found.key))
            found.value = change.get("value", found.value)
