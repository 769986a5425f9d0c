"""The sandbox Shopify store's data: shop, locations, products, variants, inventory items and levels.

Everything lives in memory behind one lock; readers get frozen snapshots, so GraphQL resolvers and
webhook deliveries never touch shared state outside the lock. Changes return the levels they changed,
which the caller turns into webhooks once the lock is released. Orders live in the order book
(shopify_orders), which moves stock through this store under the same lock.
"""

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from storelink_local.sandbox.clock import Clock, system_clock

GID_PREFIX = "gid://shopify/"
# The first id is 2**53 + 1: not representable as a float, so a client that parses ids as floats breaks.
FIRST_NUMBER = 2**53 + 1

# Quantity names an InventoryLevel answers for; only `available` and `on_hand` can be set.
QUANTITY_NAMES = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)
SETTABLE_NAMES = frozenset({"available", "on_hand"})
# shopify.dev, "Manage inventory quantities and states": the reasons an inventory change may give.
REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_canceled",
        "movement_created",
        "movement_received",
        "movement_updated",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)
MAX_QUANTITY = 1_000_000_000
# shopify.dev, InventoryAdjustQuantitiesUserErrorCode: adjusted quantities stay within ±2,000,000,000, and
# "a ledger document URI is required except when adjusting available".
ADJUSTABLE_NAMES = ("available", "damaged", "incoming", "quality_control", "reserved", "safety_stock")
MAX_ADJUSTED_QUANTITY = 2_000_000_000
# The states counted in on_hand besides available and committed.
UNAVAILABLE_NAMES = frozenset({"damaged", "quality_control", "reserved", "safety_stock"})
PRODUCT_STATUSES = frozenset({"ACTIVE", "ARCHIVED", "DRAFT"})
VARIANT_KEYS = frozenset(
    {"sku", "barcode", "tracked", "title", "price", "inventory_policy", "requires_components", "components"}
)
CURRENCY = "USD"
CENT = Decimal("0.01")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_APP_GID = re.compile(r"gid://[^/\s]+/[^/\s]+/\S+")


def gid(type_name: str, number: int) -> str:
    return f"{GID_PREFIX}{type_name}/{number}"


def level_gid(level_number: int, item_number: int) -> str:
    # Shopify's InventoryLevel ids carry the item as a query string; the number is the level's own.
    return f"{gid('InventoryLevel', level_number)}?inventory_item_id={item_number}"


def parse_gid(value: str) -> tuple[str, int] | None:
    """`gid://shopify/<Type>/<number>[?...]` → (Type, number); None for anything else."""
    if not value.startswith(GID_PREFIX):
        return None
    type_name, _, rest = value.removeprefix(GID_PREFIX).partition("/")
    number = rest.partition("?")[0]
    if not type_name or not number.isdigit():
        return None
    return type_name, int(number)


def legacy_id(value: str | int) -> int:
    """The number in a Shopify global id (or the number itself): what REST payloads carry."""
    if isinstance(value, int):
        return value
    parsed = parse_gid(value)
    if parsed is None:
        raise ValueError(f"not a Shopify global id: {value!r}")
    return parsed[1]


@dataclass(frozen=True)
class Shop:
    id: str
    name: str
    myshopify_domain: str
    currency_code: str


@dataclass(frozen=True)
class Location:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class VariantComponent:
    """One component of a bundle variant (Shopify's ProductVariantComponent)."""

    id: str
    variant_id: str
    quantity: int


@dataclass(frozen=True)
class Variant:
    id: str
    product_id: str
    title: str
    sku: str | None
    barcode: str | None
    inventory_item_id: str
    position: int
    price: Decimal
    inventory_policy: str
    requires_components: bool
    components: tuple[VariantComponent, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    variants: tuple[Variant, ...]
    handle: str
    status: str
    vendor: str
    product_type: str
    tags: tuple[str, ...]
    combined_listing_role: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class InventoryItem:
    id: str
    variant_id: str
    sku: str | None
    tracked: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class InventoryLevel:
    id: str
    inventory_item_id: str
    location_id: str
    quantities: Mapping[str, int]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class InventoryChange:
    name: str
    delta: int
    quantity_after_change: int
    inventory_item_id: str
    location_id: str


@dataclass(frozen=True)
class InventoryAdjustmentGroup:
    id: str
    reason: str
    reference_document_uri: str | None
    created_at: datetime
    changes: tuple[InventoryChange, ...]


@dataclass(frozen=True)
class UserError:
    code: str | None
    field: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class QuantityInput:
    """One entry of `inventorySetQuantities(input: {quantities})`, ids as given by the client."""

    inventory_item_id: str
    location_id: str
    quantity: int
    # None is the client's explicit null: no compare-and-swap for this entry.
    change_from_quantity: int | None


@dataclass(frozen=True)
class SetQuantitiesRequest:
    name: str
    reason: str
    reference_document_uri: str | None
    quantities: tuple[QuantityInput, ...]


@dataclass(frozen=True)
class ChangeInput:
    """One entry of `inventoryAdjustQuantities(input: {changes})`, ids as given by the client."""

    inventory_item_id: str
    location_id: str
    delta: int
    ledger_document_uri: str | None


@dataclass(frozen=True)
class AdjustQuantitiesRequest:
    name: str
    reason: str
    reference_document_uri: str | None
    changes: tuple[ChangeInput, ...]


class IdempotencyKeyReused(Exception):
    """The idempotency key came before with other parameters."""


@dataclass(frozen=True)
class InventoryOutcome:
    group: InventoryAdjustmentGroup | None
    user_errors: tuple[UserError, ...]
    changed_levels: tuple[InventoryLevel, ...]


@dataclass
class _LevelRecord:
    number: int
    item: int
    location: int
    quantities: dict[str, int]
    created_at: datetime
    updated_at: datetime

    def view(self) -> InventoryLevel:
        return InventoryLevel(
            id=level_gid(self.number, self.item),
            inventory_item_id=gid("InventoryItem", self.item),
            location_id=gid("Location", self.location),
            quantities=MappingProxyType(dict(self.quantities)),
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


@dataclass
class _ItemRecord:
    number: int
    variant: int
    tracked: bool
    created_at: datetime
    updated_at: datetime
    levels: dict[int, _LevelRecord] = field(default_factory=dict)


@dataclass
class _VariantRecord:
    number: int
    product: int
    title: str
    sku: str | None
    barcode: str | None
    item: int
    position: int
    price: Decimal
    inventory_policy: str
    requires_components: bool
    # (component number, component variant number, quantity)
    components: list[tuple[int, int, int]]
    created_at: datetime
    updated_at: datetime

    def view(self) -> Variant:
        return Variant(
            id=gid("ProductVariant", self.number),
            product_id=gid("Product", self.product),
            title=self.title,
            sku=self.sku,
            barcode=self.barcode,
            inventory_item_id=gid("InventoryItem", self.item),
            position=self.position,
            price=self.price,
            inventory_policy=self.inventory_policy,
            requires_components=self.requires_components,
            components=tuple(
                VariantComponent(
                    id=gid("ProductVariantComponent", number),
                    variant_id=gid("ProductVariant", variant),
                    quantity=quantity,
                )
                for number, variant, quantity in self.components
            ),
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


@dataclass
class _ProductRecord:
    number: int
    title: str
    variants: list[int]
    handle: str
    status: str
    vendor: str
    product_type: str
    tags: tuple[str, ...]
    combined_listing_role: str | None
    created_at: datetime
    updated_at: datetime


def _error(code: str, path: Sequence[str | int], message: str) -> UserError:
    return UserError(code=code, field=tuple(str(part) for part in path), message=message)


class ShopifyStore:
    """One shop's catalogue and stock. Every public method is atomic under the store's lock.

    The lock is re-entrant and public: the order book holds it across a check and the stock moves that
    follow, so an order never claims units another request took in between.
    """

    def __init__(self, shop_domain: str, shop_name: str, clock: Clock = system_clock) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self._next_number = FIRST_NUMBER
        self.shop = Shop(
            id=gid("Shop", self.allocate()), name=shop_name, myshopify_domain=shop_domain, currency_code=CURRENCY
        )
        self._locations: dict[int, Location] = {}
        self._products: dict[int, _ProductRecord] = {}
        self._variants: dict[int, _VariantRecord] = {}
        self._items: dict[int, _ItemRecord] = {}
        self._levels: dict[int, _LevelRecord] = {}
        self._idempotent_results: dict[tuple[str, str], tuple[object, InventoryOutcome]] = {}

    def allocate(self) -> int:
        """A fresh number for any object of the shop (ids never repeat across types, as in Shopify)."""
        with self.lock:
            number = self._next_number
            self._next_number += 1
            return number

    # -- merchant actions -------------------------------------------------------------------------

    def add_location(self, name: str) -> Location:
        with self.lock:
            number = self.allocate()
            location = Location(id=gid("Location", number), name=name, created_at=self.clock())
            self._locations[number] = location
            return location

    def add_product(
        self,
        title: str,
        variants: Iterable[Mapping[str, object]],
        stock: Mapping[str | int, int],
        *,
        status: str = "ACTIVE",
        vendor: str = "",
        product_type: str = "",
        tags: Iterable[str] = (),
        combined_listing_role: str | None = None,
    ) -> Product:
        if status not in PRODUCT_STATUSES:
            raise ValueError(f"a product's status is one of {sorted(PRODUCT_STATUSES)}, not {status!r}")
        if combined_listing_role not in (None, "PARENT", "CHILD"):
            raise ValueError(f"a combined listing role is PARENT or CHILD, not {combined_listing_role!r}")
        with self.lock:
            stock_numbers = {self._known_location(location): qty for location, qty in stock.items()}
            now = self.clock()
            product = _ProductRecord(
                number=self.allocate(),
                title=title,
                variants=[],
                handle=_handle(title),
                status=status,
                vendor=vendor,
                product_type=product_type,
                tags=tuple(tags),
                combined_listing_role=combined_listing_role,
                created_at=now,
                updated_at=now,
            )
            specs = list(variants)
            for spec in specs:
                _check_variant_spec(spec)
            self._products[product.number] = product
            for position, spec in enumerate(specs, start=1):
                self._add_variant(product, position, spec, stock_numbers)
            return self._product_view(product)

    def _add_variant(
        self, product: _ProductRecord, position: int, spec: Mapping[str, object], stock: Mapping[int, int]
    ) -> None:
        now = self.clock()
        variant_number, item_number = self.allocate(), self.allocate()
        item = _ItemRecord(
            number=item_number,
            variant=variant_number,
            tracked=bool(spec.get("tracked", True)),
            created_at=now,
            updated_at=now,
        )
        for location, available in stock.items():
            level = _LevelRecord(
                number=self.allocate(),
                item=item_number,
                location=location,
                quantities=dict.fromkeys(QUANTITY_NAMES, 0) | {"available": available, "on_hand": available},
                created_at=now,
                updated_at=now,
            )
            item.levels[location] = level
            self._levels[level.number] = level
        components = [
            (self.allocate(), self._known_variant(variant_id), int(quantity))
            for variant_id, quantity in _components(spec).items()
        ]
        requires_components = spec.get("requires_components", bool(components))
        self._items[item_number] = item
        self._variants[variant_number] = _VariantRecord(
            number=variant_number,
            product=product.number,
            title=str(spec.get("title", f"Variant {position}")),
            sku=_optional_str(spec, "sku"),
            barcode=_optional_str(spec, "barcode"),
            item=item_number,
            position=position,
            price=_price(spec.get("price", "0.00")),
            inventory_policy=_inventory_policy(spec.get("inventory_policy", "DENY")),
            requires_components=bool(requires_components),
            components=components,
            created_at=now,
            updated_at=now,
        )
        product.variants.append(variant_number)

    def update_variant(self, variant_id: str | int, changes: Mapping[str, object]) -> Product:
        """The merchant edits a variant's sku, barcode, title, price or inventory policy."""
        unknown = set(changes) - {"sku", "barcode", "title", "price", "inventory_policy"}
        if unknown:
            raise TypeError(f"a variant update cannot change {sorted(unknown)}")
        with self.lock:
            variant = self._variants[self._known_variant(variant_id)]
            if "sku" in changes:
                variant.sku = _optional_str(changes, "sku")
            if "barcode" in changes:
                variant.barcode = _optional_str(changes, "barcode")
            if "title" in changes:
                variant.title = str(changes["title"])
            if "price" in changes:
                variant.price = _price(changes["price"])
            if "inventory_policy" in changes:
                variant.inventory_policy = _inventory_policy(changes["inventory_policy"])
            product = self._products[variant.product]
            variant.updated_at = product.updated_at = self.clock()
            return self._product_view(product)

    def delete_product(self, number: int) -> bool:
        """The product goes with its variants, their inventory items and levels; False when there is no such
        product. Orders keep their lines, which no longer name a variant."""
        with self.lock:
            product = self._products.pop(number, None)
            if product is None:
                return False
            for variant_number in product.variants:
                item = self._items.pop(self._variants.pop(variant_number).item)
                for level in item.levels.values():
                    del self._levels[level.number]
            return True

    def set_available(
        self, inventory_item_id: str | int, location_id: str | int, quantity: int
    ) -> InventoryLevel | None:
        """The merchant sets `available` in the admin; returns the level if it changed."""
        with self.lock:
            level = self._stocked_level(inventory_item_id, location_id)
            changes = self._set(level, "available", quantity)
            return level.view() if changes else None

    def available(self, inventory_item_id: str | int, location_id: str | int) -> int:
        return self.quantity(inventory_item_id, location_id, "available")

    def quantity(self, inventory_item_id: str | int, location_id: str | int, name: str) -> int:
        with self.lock:
            return self._stocked_level(inventory_item_id, location_id).quantities[name]

    def _known_location(self, location_id: str | int) -> int:
        number = legacy_id(location_id)
        if number not in self._locations:
            raise KeyError(f"no location {location_id!r} in this shop")
        return number

    def _known_variant(self, variant_id: str | int) -> int:
        number = legacy_id(variant_id)
        if number not in self._variants:
            raise KeyError(f"no variant {variant_id!r} in this shop")
        return number

    def _stocked_level(self, inventory_item_id: str | int, location_id: str | int) -> _LevelRecord:
        item = self._items.get(legacy_id(inventory_item_id))
        location = self._known_location(location_id)
        if item is None:
            raise KeyError(f"no inventory item {inventory_item_id!r} in this shop")
        if location not in item.levels:
            raise KeyError(f"inventory item {inventory_item_id!r} is not stocked at {location_id!r}")
        return item.levels[location]

    # -- stock moves by orders (the order book holds the lock around them) ------------------------

    def stocking(self, item_number: int) -> list[tuple[int, int]]:
        """(location number, available) where the item is stocked, oldest location first."""
        with self.lock:
            item = self._items.get(item_number)
            if item is None:
                return []
            return [(location, item.levels[location].quantities["available"]) for location in sorted(item.levels)]

    def shift(self, item_number: int, location_number: int, deltas: Sequence[tuple[str, int]]) -> InventoryLevel | None:
        """Moves quantities by the deltas; the level when `available` changed (a webhook's worth)."""
        with self.lock:
            level = self._stocked_level(item_number, location_number)
            changes = self._shift(level, deltas)
            return level.view() if any(change.name == "available" for change in changes) else None

    # -- reads (snapshots) ------------------------------------------------------------------------

    def location(self, number: int) -> Location | None:
        with self.lock:
            return self._locations.get(number)

    def locations(self) -> list[Location]:
        with self.lock:
            return [self._locations[number] for number in sorted(self._locations)]

    def product(self, number: int) -> Product | None:
        with self.lock:
            product = self._products.get(number)
            return None if product is None else self._product_view(product)

    def products(self) -> list[Product]:
        with self.lock:
            return [self._product_view(self._products[number]) for number in sorted(self._products)]

    def _product_view(self, product: _ProductRecord) -> Product:
        variants = tuple(self._variants[number].view() for number in product.variants)
        return Product(
            id=gid("Product", product.number),
            title=product.title,
            variants=variants,
            handle=product.handle,
            status=product.status,
            vendor=product.vendor,
            product_type=product.product_type,
            tags=product.tags,
            combined_listing_role=product.combined_listing_role,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )

    def variant(self, number: int) -> Variant | None:
        with self.lock:
            variant = self._variants.get(number)
            return None if variant is None else variant.view()

    def variants(self) -> list[Variant]:
        with self.lock:
            return [self._variants[number].view() for number in sorted(self._variants)]

    def inventory_item(self, number: int) -> InventoryItem | None:
        with self.lock:
            item = self._items.get(number)
            if item is None:
                return None
            return InventoryItem(
                id=gid("InventoryItem", item.number),
                variant_id=gid("ProductVariant", item.variant),
                sku=self._variants[item.variant].sku,
                tracked=item.tracked,
                created_at=item.created_at,
                updated_at=item.updated_at,
            )

    def inventory_level(self, number: int) -> InventoryLevel | None:
        with self.lock:
            level = self._levels.get(number)
            return None if level is None else level.view()

    def level_at(self, item_number: int, location_number: int) -> InventoryLevel | None:
        with self.lock:
            item = self._items.get(item_number)
            level = None if item is None else item.levels.get(location_number)
            return None if level is None else level.view()

    def levels_of_item(self, item_number: int) -> list[InventoryLevel]:
        with self.lock:
            item = self._items.get(item_number)
            levels = [] if item is None else item.levels.values()
            return [level.view() for level in sorted(levels, key=lambda level: level.number)]

    def levels_at_location(self, location_number: int) -> list[InventoryLevel]:
        with self.lock:
            levels = (level for level in self._levels.values() if level.location == location_number)
            return [level.view() for level in sorted(levels, key=lambda level: level.number)]

    # -- inventorySetQuantities and inventoryAdjustQuantities -------------------------------------

    def set_quantities(self, request: SetQuantitiesRequest, idempotency_key: str) -> InventoryOutcome:
        """Shopify 2026-10 `inventorySetQuantities`: every check first, then all changes or none.

        shopify.dev: a changeFromQuantity that does not match makes "the mutation fail" with
        CHANGE_FROM_QUANTITY_STALE, so one stale entry leaves every level as it was. A retry with the
        same idempotency key gets the original result and changes nothing more.
        """
        return self._once("inventorySetQuantities", idempotency_key, request, lambda: self._set_quantities(request))

    def adjust_quantities(self, request: AdjustQuantitiesRequest, idempotency_key: str) -> InventoryOutcome:
        """Shopify 2026-10 `inventoryAdjustQuantities`: deltas, every check first, then all or none."""
        return self._once(
            "inventoryAdjustQuantities", idempotency_key, request, lambda: self._adjust_quantities(request)
        )

    def _once(self, mutation: str, key: str, request: object, run: Callable[[], InventoryOutcome]) -> InventoryOutcome:
        with self.lock:
            earlier = self._idempotent_results.get((mutation, key))
            if earlier is not None:
                original_request, outcome = earlier
                if original_request != request:
                    raise IdempotencyKeyReused(key)
                return InventoryOutcome(group=outcome.group, user_errors=outcome.user_errors, changed_levels=())
            outcome = run()
            self._idempotent_results[(mutation, key)] = (request, outcome)
            return outcome

    def _set_quantities(self, request: SetQuantitiesRequest) -> InventoryOutcome:
        errors = self._input_errors(request.reason, request.reference_document_uri)
        if request.name not in SETTABLE_NAMES:
            errors.insert(
                0,
                _error("INVALID_NAME", ["input", "name"], "The quantity name must be either 'available' or 'on_hand'."),
            )
        targets: list[tuple[_LevelRecord, QuantityInput]] = []
        seen: set[tuple[int, int]] = set()
        for index, entry in enumerate(request.quantities):
            level = self._check_quantity(index, entry, request.name, seen, errors)
            if level is not None:
                targets.append((level, entry))
        if errors:
            return InventoryOutcome(group=None, user_errors=tuple(errors), changed_levels=())
        return self._group(
            request.reason,
            request.reference_document_uri,
            [(level, self._set(level, request.name, entry.quantity)) for level, entry in targets],
        )

    def _adjust_quantities(self, request: AdjustQuantitiesRequest) -> InventoryOutcome:
        errors = []
        if request.name not in ADJUSTABLE_NAMES:
            errors.append(_error("INVALID_QUANTITY_NAME", ["input", "name"], "The specified quantity name is invalid."))
        errors += self._input_errors(request.reason, request.reference_document_uri)
        targets: list[tuple[_LevelRecord, int]] = []
        pending: dict[int, int] = {}  # level number → delta so far, for the limits of repeated levels
        for index, change in enumerate(request.changes):
            level = self._check_change(index, change, request.name, pending, errors)
            if level is not None:
                targets.append((level, change.delta))
        if errors:
            return InventoryOutcome(group=None, user_errors=tuple(errors), changed_levels=())
        moved = ("on_hand",) if request.name in UNAVAILABLE_NAMES or request.name == "available" else ()
        return self._group(
            request.reason,
            request.reference_document_uri,
            [
                (level, self._shift(level, [(name, delta) for name in (request.name, *moved)]))
                for level, delta in targets
            ],
        )

    def _group(
        self, reason: str, reference: str | None, applied: list[tuple[_LevelRecord, list[InventoryChange]]]
    ) -> InventoryOutcome:
        changes = [change for _, level_changes in applied for change in level_changes]
        if not changes:
            # Levels left as they were change nothing: no group, no webhook.
            return InventoryOutcome(group=None, user_errors=(), changed_levels=())
        changed_levels: dict[int, InventoryLevel] = {}
        for level, level_changes in applied:
            if any(change.name == "available" for change in level_changes):
                changed_levels[level.number] = level.view()
        group = InventoryAdjustmentGroup(
            id=gid("InventoryAdjustmentGroup", self.allocate()),
            reason=reason,
            reference_document_uri=reference,
            created_at=self.clock(),
            changes=tuple(changes),
        )
        return InventoryOutcome(group=group, user_errors=(), changed_levels=tuple(changed_levels.values()))

    @staticmethod
    def _input_errors(reason: str, reference_document_uri: str | None) -> list[UserError]:
        errors = []
        if reason not in REASONS:
            errors.append(_error("INVALID_REASON", ["input", "reason"], "The specified reason is invalid."))
        if reference_document_uri is not None and not _valid_reference(reference_document_uri):
            errors.append(
                _error(
                    "INVALID_REFERENCE_DOCUMENT",
                    ["input", "referenceDocumentUri"],
                    "The specified reference document is invalid.",
                )
            )
        return errors

    def _target(
        self, path: list[str | int], item_id: str, location_id: str, errors: list[UserError]
    ) -> tuple[_ItemRecord | None, int | None]:
        item_ref, location_ref = parse_gid(item_id), parse_gid(location_id)
        item = self._items.get(item_ref[1]) if item_ref and item_ref[0] == "InventoryItem" else None
        location = location_ref[1] if location_ref and location_ref[0] == "Location" else None
        if item is None:
            errors.append(
                _error(
                    "INVALID_INVENTORY_ITEM",
                    [*path, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                )
            )
        if location is None or location not in self._locations:
            errors.append(
                _error("INVALID_LOCATION", [*path, "locationId"], "The specified location could not be found.")
            )
            location = None
        return item, location

    @staticmethod
    def _not_stocked(path: list[str | int]) -> UserError:
        return _error(
            "ITEM_NOT_STOCKED_AT_LOCATION",
            [*path, "locationId"],
            "The specified inventory item is not stocked at the location.",
        )

    def _check_quantity(
        self, index: int, entry: QuantityInput, name: str, seen: set[tuple[int, int]], errors: list[UserError]
    ) -> _LevelRecord | None:
        path: list[str | int] = ["input", "quantities", index]
        item, location = self._target(path, entry.inventory_item_id, entry.location_id, errors)
        if entry.quantity < 0:
            errors.append(_error("INVALID_QUANTITY_NEGATIVE", [*path, "quantity"], "The quantity can't be negative."))
        elif entry.quantity > MAX_QUANTITY:
            errors.append(
                _error(
                    "INVALID_QUANTITY_TOO_HIGH",
                    [*path, "quantity"],
                    "The total quantity can't be higher than 1,000,000,000.",
                )
            )
        if item is None or location is None:
            return None
        if (item.number, location) in seen:
            errors.append(
                _error(
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    path,
                    "The combination of inventoryItemId and locationId must be unique.",
                )
            )
            return None
        seen.add((item.number, location))
        level = item.levels.get(location)
        if level is None:
            errors.append(self._not_stocked(path))
            return None
        # An invalid name is reported above; there is no quantity to compare with then.
        expected, current = entry.change_from_quantity, level.quantities.get(name)
        if expected is not None and current is not None and expected != current:
            errors.append(
                _error(
                    "CHANGE_FROM_QUANTITY_STALE",
                    [*path, "changeFromQuantity"],
                    "The changeFromQuantity value does not match persisted value.",
                )
            )
        return level

    def _check_change(
        self, index: int, change: ChangeInput, name: str, pending: dict[int, int], errors: list[UserError]
    ) -> _LevelRecord | None:
        path: list[str | int] = ["input", "changes", index]
        if name == "available" and change.ledger_document_uri is not None:
            errors.append(
                _error(
                    "INVALID_AVAILABLE_DOCUMENT",
                    [*path, "ledgerDocumentUri"],
                    "A ledger document URI is not allowed when adjusting available.",
                )
            )
        elif name in ADJUSTABLE_NAMES and name != "available" and change.ledger_document_uri is None:
            errors.append(
                _error(
                    "INVALID_QUANTITY_DOCUMENT",
                    [*path, "ledgerDocumentUri"],
                    "A ledger document URI is required except when adjusting available.",
                )
            )
        item, location = self._target(path, change.inventory_item_id, change.location_id, errors)
        if item is None or location is None:
            return None
        level = item.levels.get(location)
        if level is None:
            errors.append(self._not_stocked(path))
            return None
        if name not in ADJUSTABLE_NAMES:
            return level
        pending[level.number] = pending.get(level.number, 0) + change.delta
        resulting = level.quantities[name] + pending[level.number]
        if resulting > MAX_ADJUSTED_QUANTITY:
            errors.append(
                _error(
                    "INVALID_QUANTITY_TOO_HIGH", [*path, "delta"], "The quantity can't be higher than 2,000,000,000."
                )
            )
        elif resulting < -MAX_ADJUSTED_QUANTITY:
            errors.append(
                _error("INVALID_QUANTITY_TOO_LOW", [*path, "delta"], "The quantity can't be lower than -2,000,000,000.")
            )
        return level

    def _set(self, level: _LevelRecord, name: str, quantity: int) -> list[InventoryChange]:
        # Setting available moves on_hand with it and the other way round: the units stay where they are.
        delta = quantity - level.quantities[name]
        other = "on_hand" if name == "available" else "available"
        return self._shift(level, [(name, delta), (other, delta)])

    def _shift(self, level: _LevelRecord, deltas: Sequence[tuple[str, int]]) -> list[InventoryChange]:
        changes = []
        for name, delta in deltas:
            if delta == 0:
                continue
            level.quantities[name] += delta
            changes.append(
                InventoryChange(
                    name=name,
                    delta=delta,
                    quantity_after_change=level.quantities[name],
                    inventory_item_id=gid("InventoryItem", level.item),
                    location_id=gid("Location", level.location),
                )
            )
        if changes:
            level.updated_at = self._items[level.item].updated_at = self.clock()
        return changes


def _check_variant_spec(spec: Mapping[str, object]) -> None:
    unknown = set(spec) - VARIANT_KEYS
    if unknown:
        raise TypeError(f"unknown variant keys {sorted(unknown)}; a variant takes {sorted(VARIANT_KEYS)}")
    for key in ("sku", "barcode"):
        _optional_str(spec, key)


def _optional_str(spec: Mapping[str, object], key: str) -> str | None:
    value = spec.get(key)
    if not (value is None or isinstance(value, str)):
        raise TypeError(f"a variant's {key} is a string or None, not {value!r}")
    return value


def _price(value: object) -> Decimal:
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation as error:
        raise ValueError(f"not a price: {value!r}") from error


def _inventory_policy(value: object) -> str:
    policy = str(value).upper()
    if policy not in ("DENY", "CONTINUE"):
        raise ValueError(f"an inventory policy is DENY or CONTINUE, not {value!r}")
    return policy


def _components(spec: Mapping[str, object]) -> Mapping[str | int, int]:
    components = spec.get("components") or {}
    if not isinstance(components, Mapping):
        raise TypeError("a variant's components map component variant ids to quantities")
    return components


def _handle(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _valid_reference(uri: str) -> bool:
    # shopify.dev: a URI with scheme and content; a gid needs its app, entity and id.
    if uri.startswith("gid:"):
        return _APP_GID.fullmatch(uri) is not None
    return _URI.fullmatch(uri) is not None
