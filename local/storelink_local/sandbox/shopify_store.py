"""The sandbox Shopify store's data: shop, locations, products, variants, inventory items and levels.

Everything lives in memory behind one lock; readers get frozen snapshots, so GraphQL resolvers and
webhook deliveries never touch shared state outside the lock. Changes return the levels they changed,
which the caller turns into webhooks once the lock is released.
"""

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

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


@dataclass(frozen=True)
class Location:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Variant:
    id: str
    product_id: str
    title: str
    sku: str | None
    barcode: str | None
    inventory_item_id: str
    position: int


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    variants: tuple[Variant, ...]


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
    code: str
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


class IdempotencyKeyReused(Exception):
    """The idempotency key came before with other parameters."""


@dataclass(frozen=True)
class SetQuantitiesOutcome:
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

    def view(self) -> Variant:
        return Variant(
            id=gid("ProductVariant", self.number),
            product_id=gid("Product", self.product),
            title=self.title,
            sku=self.sku,
            barcode=self.barcode,
            inventory_item_id=gid("InventoryItem", self.item),
            position=self.position,
        )


@dataclass
class _ProductRecord:
    number: int
    title: str
    variants: list[int]


def _now() -> datetime:
    return datetime.now(UTC)


def _error(code: str, path: Sequence[str | int], message: str) -> UserError:
    return UserError(code=code, field=tuple(str(part) for part in path), message=message)


class ShopifyStore:
    """One shop's catalogue and stock. Every public method is atomic under the store's lock."""

    def __init__(self, shop_domain: str, shop_name: str) -> None:
        self._lock = threading.Lock()
        self._next_number = FIRST_NUMBER
        self.shop = Shop(id=gid("Shop", self._allocate()), name=shop_name, myshopify_domain=shop_domain)
        self._locations: dict[int, Location] = {}
        self._products: dict[int, _ProductRecord] = {}
        self._variants: dict[int, _VariantRecord] = {}
        self._items: dict[int, _ItemRecord] = {}
        self._levels: dict[int, _LevelRecord] = {}
        self._idempotent_results: dict[str, tuple[SetQuantitiesRequest, SetQuantitiesOutcome]] = {}

    def _allocate(self) -> int:
        number = self._next_number
        self._next_number += 1
        return number

    # -- merchant actions -------------------------------------------------------------------------

    def add_location(self, name: str) -> Location:
        with self._lock:
            number = self._allocate()
            location = Location(id=gid("Location", number), name=name, created_at=_now())
            self._locations[number] = location
            return location

    def add_product(
        self, title: str, variants: Iterable[Mapping[str, object]], stock: Mapping[str | int, int]
    ) -> Product:
        with self._lock:
            stock_numbers = {self._known_location(location): qty for location, qty in stock.items()}
            product = _ProductRecord(number=self._allocate(), title=title, variants=[])
            self._products[product.number] = product
            for position, spec in enumerate(variants, start=1):
                self._add_variant(product, position, spec, stock_numbers)
            return self._product_view(product)

    def _add_variant(
        self, product: _ProductRecord, position: int, spec: Mapping[str, object], stock: Mapping[int, int]
    ) -> None:
        sku, barcode = spec.get("sku"), spec.get("barcode")
        if not (sku is None or isinstance(sku, str)) or not (barcode is None or isinstance(barcode, str)):
            raise TypeError("a variant's sku and barcode are strings or None")
        now = _now()
        variant_number, item_number = self._allocate(), self._allocate()
        item = _ItemRecord(
            number=item_number,
            variant=variant_number,
            tracked=bool(spec.get("tracked", True)),
            created_at=now,
            updated_at=now,
        )
        for location, available in stock.items():
            level = _LevelRecord(
                number=self._allocate(),
                item=item_number,
                location=location,
                quantities=dict.fromkeys(QUANTITY_NAMES, 0) | {"available": available, "on_hand": available},
                created_at=now,
                updated_at=now,
            )
            item.levels[location] = level
            self._levels[level.number] = level
        self._items[item_number] = item
        self._variants[variant_number] = _VariantRecord(
            number=variant_number,
            product=product.number,
            title=str(spec.get("title", f"Variant {position}")),
            sku=sku,
            barcode=barcode,
            item=item_number,
            position=position,
        )
        product.variants.append(variant_number)

    def set_available(
        self, inventory_item_id: str | int, location_id: str | int, quantity: int
    ) -> InventoryLevel | None:
        """The merchant sets `available` in the admin; returns the level if it changed."""
        with self._lock:
            level = self._stocked_level(inventory_item_id, location_id)
            changes = self._apply(level, "available", quantity)
            return level.view() if changes else None

    def available(self, inventory_item_id: str | int, location_id: str | int) -> int:
        with self._lock:
            return self._stocked_level(inventory_item_id, location_id).quantities["available"]

    def _known_location(self, location_id: str | int) -> int:
        number = legacy_id(location_id)
        if number not in self._locations:
            raise KeyError(f"no location {location_id!r} in this shop")
        return number

    def _stocked_level(self, inventory_item_id: str | int, location_id: str | int) -> _LevelRecord:
        item = self._items.get(legacy_id(inventory_item_id))
        location = self._known_location(location_id)
        if item is None:
            raise KeyError(f"no inventory item {inventory_item_id!r} in this shop")
        if location not in item.levels:
            raise KeyError(f"inventory item {inventory_item_id!r} is not stocked at {location_id!r}")
        return item.levels[location]

    # -- reads (snapshots) ------------------------------------------------------------------------

    def location(self, number: int) -> Location | None:
        with self._lock:
            return self._locations.get(number)

    def locations(self) -> list[Location]:
        with self._lock:
            return [self._locations[number] for number in sorted(self._locations)]

    def product(self, number: int) -> Product | None:
        with self._lock:
            product = self._products.get(number)
            return None if product is None else self._product_view(product)

    def _product_view(self, product: _ProductRecord) -> Product:
        variants = tuple(self._variants[number].view() for number in product.variants)
        return Product(id=gid("Product", product.number), title=product.title, variants=variants)

    def variant(self, number: int) -> Variant | None:
        with self._lock:
            variant = self._variants.get(number)
            return None if variant is None else variant.view()

    def variants(self) -> list[Variant]:
        with self._lock:
            return [self._variants[number].view() for number in sorted(self._variants)]

    def inventory_item(self, number: int) -> InventoryItem | None:
        with self._lock:
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
        with self._lock:
            level = self._levels.get(number)
            return None if level is None else level.view()

    def level_at(self, item_number: int, location_number: int) -> InventoryLevel | None:
        with self._lock:
            item = self._items.get(item_number)
            level = None if item is None else item.levels.get(location_number)
            return None if level is None else level.view()

    def levels_of_item(self, item_number: int) -> list[InventoryLevel]:
        with self._lock:
            item = self._items.get(item_number)
            levels = [] if item is None else item.levels.values()
            return [level.view() for level in sorted(levels, key=lambda level: level.number)]

    def levels_at_location(self, location_number: int) -> list[InventoryLevel]:
        with self._lock:
            levels = (level for level in self._levels.values() if level.location == location_number)
            return [level.view() for level in sorted(levels, key=lambda level: level.number)]

    # -- inventorySetQuantities -------------------------------------------------------------------

    def set_quantities(self, request: SetQuantitiesRequest, idempotency_key: str) -> SetQuantitiesOutcome:
        """Shopify 2026-07 `inventorySetQuantities`: every check first, then all changes or none.

        shopify.dev: a changeFromQuantity that does not match makes "the mutation fail" with
        CHANGE_FROM_QUANTITY_STALE, so one stale entry leaves every level as it was. A retry with the
        same idempotency key gets the original result and changes nothing more.
        """
        with self._lock:
            if idempotency_key in self._idempotent_results:
                original_request, outcome = self._idempotent_results[idempotency_key]
                if original_request != request:
                    raise IdempotencyKeyReused(idempotency_key)
                return SetQuantitiesOutcome(group=outcome.group, user_errors=outcome.user_errors, changed_levels=())
            outcome = self._set_quantities(request)
            self._idempotent_results[idempotency_key] = (request, outcome)
            return outcome

    def _set_quantities(self, request: SetQuantitiesRequest) -> SetQuantitiesOutcome:
        errors = self._input_errors(request.name, request.reason, request.reference_document_uri)
        targets: list[tuple[_LevelRecord, QuantityInput]] = []
        seen: set[tuple[int, int]] = set()
        for index, entry in enumerate(request.quantities):
            level = self._check_entry(index, entry, request.name, seen, errors)
            if level is not None:
                targets.append((level, entry))
        if errors:
            return SetQuantitiesOutcome(group=None, user_errors=tuple(errors), changed_levels=())
        changes: list[InventoryChange] = []
        changed_levels: list[InventoryLevel] = []
        for level, entry in targets:
            level_changes = self._apply(level, request.name, entry.quantity)
            if level_changes:
                changes.extend(level_changes)
                changed_levels.append(level.view())
        if not changes:
            # Setting levels to the quantities they already have changes nothing: no group, no webhook.
            return SetQuantitiesOutcome(group=None, user_errors=(), changed_levels=())
        group = InventoryAdjustmentGroup(
            id=gid("InventoryAdjustmentGroup", self._allocate()),
            reason=request.reason,
            reference_document_uri=request.reference_document_uri,
            created_at=_now(),
            changes=tuple(changes),
        )
        return SetQuantitiesOutcome(group=group, user_errors=(), changed_levels=tuple(changed_levels))

    @staticmethod
    def _input_errors(name: str, reason: str, reference_document_uri: str | None) -> list[UserError]:
        errors = []
        if name not in SETTABLE_NAMES:
            errors.append(
                _error("INVALID_NAME", ["input", "name"], "The quantity name must be either 'available' or 'on_hand'.")
            )
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

    def _check_entry(
        self, index: int, entry: QuantityInput, name: str, seen: set[tuple[int, int]], errors: list[UserError]
    ) -> _LevelRecord | None:
        path: list[str | int] = ["input", "quantities", index]
        item_ref, location_ref = parse_gid(entry.inventory_item_id), parse_gid(entry.location_id)
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
            errors.append(
                _error(
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                    [*path, "locationId"],
                    "The specified inventory item is not stocked at the location.",
                )
            )
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

    def _apply(self, level: _LevelRecord, name: str, quantity: int) -> list[InventoryChange]:
        delta = quantity - level.quantities[name]
        if delta == 0:
            return []
        # available and on_hand move together: nothing here is committed, reserved or unavailable.
        changes = []
        for changed in ("available", "on_hand") if name == "available" else ("on_hand", "available"):
            level.quantities[changed] += delta
            changes.append(
                InventoryChange(
                    name=changed,
                    delta=delta,
                    quantity_after_change=level.quantities[changed],
                    inventory_item_id=gid("InventoryItem", level.item),
                    location_id=gid("Location", level.location),
                )
            )
        level.updated_at = self._items[level.item].updated_at = _now()
        return changes


def _valid_reference(uri: str) -> bool:
    # shopify.dev: a URI with scheme and content; a gid needs its app, entity and id.
    if uri.startswith("gid:"):
        return _APP_GID.fullmatch(uri) is not None
    return _URI.fullmatch(uri) is not None
