"""A merchant's own offline store, edited by hand through the management API (docs/manual-stores.md): products,
the catalogue as CSV, orders entered one by one or from a CSV, fulfilled and cancelled by hand.

Every change is written to the store with the events it makes (its change feed, adapters/manual.py), then those
events are delivered at once exactly as the webhook ingress delivers a platform's: through the once-per-delivery
publisher, a level change only when the store is a connected link's source. The per-minute catch-up reads the same
feed under the same delivery ids, so an event lost here is queued a minute later, and none twice.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict

from storelink.domain.events import StoreEvent
from storelink.domain.manual_desk import (
    MAX_ITEMS_AT_ONCE,
    CataloguePlan,
    EnteredOrder,
    OrderEntry,
    ProductRequest,
    check_new_skus,
    enter_order,
    export_catalogue,
    order_id_of,
    plan_catalogue_import,
    read_orders_csv,
)
from storelink.domain.manual_stores import ManualOrder, ManualVariant, level_changed, order_changed, product_changed
from storelink.domain.orders import Order, Tracking
from storelink.domain.spreadsheet_csv import RowError
from storelink.domain.stock import StockLevelChanged
from storelink.domain.stores import Platform, Store
from storelink.errors import Conflict, InvalidRequest, NotAllowed, NotFound, PayloadTooLarge, UnknownStoreObject
from storelink.observability import logger
from storelink.ports import ConnectorFactory, EventQueue, LinkRepository, ManualStoreBooks, ManualStoreData
from storelink.services.stores import own_store

MAX_CSV_BYTES = 1024 * 1024
# The feed is read back from a little before the change began: its dates are the store's clock, as this one is.
FEED_MARGIN = timedelta(milliseconds=1)
ORDERS_PAGE_MAX = 100


def new_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


class OrdersImport(BaseModel):
    """What importing an orders CSV did: the orders entered (or that would be, on a dry run), or every bad row."""

    model_config = ConfigDict(frozen=True)

    applicable: bool
    applied: bool = False
    orders: list[Order] = []
    errors: list[RowError] = []


class ManualStoreDesk:
    def __init__(
        self,
        *,
        books: ManualStoreBooks,
        connectors: ConnectorFactory,
        links: LinkRepository,
        events: EventQueue,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[str], str] = new_id,
    ) -> None:
        self._books = books
        self._connectors = connectors
        self._links = links
        self._events = events
        self._now = now
        self._new_id = new_id

    # --- the catalogue ---------------------------------------------------------------------------

    def add_product(self, caller: Store, store_id: str, request: ProductRequest) -> list[ManualVariant]:
        store, data = self._manual(caller, store_id)
        check_new_skus(data.all_variants(), request.variants)
        product_id = self._new_id("p")
        variants = [
            ManualVariant(
                variant_id=self._new_id("v"),
                product_id=product_id,
                product_title=request.title,
                title=variant.title,
                sku=variant.sku,
                barcode=variant.barcode,
                available=variant.stock,
            )
            for variant in request.variants
        ]
        started = self._now()
        data.write(
            new_variants=variants, events=[product_changed(store.store_id, product_id, variants, started)], at=started
        )
        self.deliver(store, started)
        logger.info("manual product added", extra={"store_id": store.store_id, "variants": len(variants)})
        return variants

    def export_catalogue(self, caller: Store, store_id: str) -> str:
        _, data = self._manual(caller, store_id)
        return export_catalogue(data.all_variants())

    def import_catalogue(self, caller: Store, store_id: str, body: bytes, *, dry_run: bool) -> CataloguePlan:
        """All rows or none: checked first, then written in one transaction."""
        store, data = self._manual(caller, store_id)
        plan = plan_catalogue_import(_text(body), data.all_variants(), self._new_id)
        if dry_run or not plan.applicable:
            return plan
        started = self._now()
        written = [variant for variant, _ in plan.changed]
        events: list[StoreEvent] = [level_changed(store.store_id, variant, started) for variant in written]
        by_product: dict[str, list[ManualVariant]] = {}
        for variant in [*plan.created, *written]:
            by_product.setdefault(variant.product_id, []).append(variant)
        events += [product_changed(store.store_id, product, found, started) for product, found in by_product.items()]
        data.write(variants=plan.changed, new_variants=plan.created, events=events, at=started)
        self.deliver(store, started)
        return plan.model_copy(update={"applied": True})

    # --- orders ----------------------------------------------------------------------------------

    def enter_order(self, caller: Store, store_id: str, entry: OrderEntry) -> Order:
        """The order and the stock it sells, in one write: a sale storelink or another till made meanwhile fails it
        (409, nothing written), and the order is decided again on the levels read now."""
        store, data = self._manual(caller, store_id)
        variants = data.variants([line.variant_id for line in entry.lines if line.variant_id])
        if any(line.sku for line in entry.lines):
            variants = {variant.variant_id: variant for variant in data.all_variants()}
        started = self._now()
        entered = self._entered(data, entry, list(variants.values()), started)
        [order] = self._write_orders(store, data, [entered], started)
        return order

    def import_orders(self, caller: Store, store_id: str, body: bytes, *, dry_run: bool) -> OrdersImport:
        """Each order of the file entered in turn against what the ones before it left: all of them, or none (one
        write), and a reference entered before refuses the file."""
        store, data = self._manual(caller, store_id)
        read = read_orders_csv(_text(body))
        if read.errors:
            return OrdersImport(applicable=False, errors=read.errors)
        variants = {variant.variant_id: variant for variant in data.all_variants()}
        started = self._now()
        entered: list[EnteredOrder] = []
        errors = []
        for entry in read.orders:
            try:
                one = self._entered(data, entry, list(variants.values()), started)
            except (InvalidRequest, Conflict) as error:
                errors.append(RowError(row_number=0, column="reference", message=f"{entry.reference}: {error}"))
                continue
            variants |= {variant.variant_id: variant for variant, _ in one.sold}
            entered.append(one)
        if errors:
            return OrdersImport(applicable=False, errors=errors)
        if dry_run:
            return OrdersImport(applicable=True, orders=[one.kept.order for one in entered])
        return OrdersImport(applicable=True, applied=True, orders=self._write_orders(store, data, entered, started))

    def _entered(
        self, data: ManualStoreData, entry: OrderEntry, variants: list[ManualVariant], at: datetime
    ) -> EnteredOrder:
        """The order decided on `variants`; Conflict when its reference was entered before (the write refuses it
        too, should it be entered meanwhile)."""
        order_id = order_id_of(entry.reference, self._new_id("o"))
        if entry.reference is not None and _entered_before(data, order_id):
            raise Conflict(f"order {entry.reference} was entered already")
        currency = str(data.record()["currency"])
        return enter_order(entry, variants, order_id=order_id, name="", currency=currency, at=at)

    def _write_orders(
        self, store: Store, data: ManualStoreData, entered: list[EnteredOrder], started: datetime
    ) -> list[Order]:
        """Orders entered, with their variants as the last of them left each: one write. Returns them, named."""
        if len(entered) + len({v.variant_id for one in entered for v, _ in one.sold}) > MAX_ITEMS_AT_ONCE:
            raise InvalidRequest(f"at most {MAX_ITEMS_AT_ONCE} orders and variants at once: split the file")
        first_read: dict[str, int] = {}
        last: dict[str, ManualVariant] = {}
        for one in entered:
            for variant, read_version in one.sold:
                first_read.setdefault(variant.variant_id, read_version)
                last[variant.variant_id] = variant
        named = [
            one.kept.model_copy(update={"order": one.kept.order.model_copy(update={"name": data.next_order_name()})})
            for one in entered
        ]
        written = [
            (variant.model_copy(update={"version": first_read[variant_id] + 1}), first_read[variant_id])
            for variant_id, variant in last.items()
        ]
        events: list[StoreEvent] = [order_changed(store.store_id, kept, "created", started) for kept in named]
        events += [level_changed(store.store_id, variant, started) for variant, _ in written]
        data.write(variants=written, orders=[(kept, True) for kept in named], events=events, at=started)
        self.deliver(store, started)
        logger.info("manual orders entered", extra={"store_id": store.store_id, "orders": len(named)})
        return [kept.order for kept in named]

    def orders(
        self, caller: Store, store_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[ManualOrder], str | None]:
        """The store's orders, newest first."""
        _, data = self._manual(caller, store_id)
        orders = list(reversed(data.all_orders()))
        start = int(cursor or "0")
        end = start + min(limit, ORDERS_PAGE_MAX)
        return orders[start:end], str(end) if end < len(orders) else None

    def order(self, caller: Store, store_id: str, order_id: str) -> ManualOrder:
        _, data = self._manual(caller, store_id)
        return _order(data, order_id)

    def fulfil(self, caller: Store, store_id: str, order_id: str, tracking: Tracking) -> ManualOrder:
        """Ship what is left of the order, with its tracking; an order shipped already is left as it is."""
        store, data = self._manual(caller, store_id)
        kept = _order(data, order_id)
        if kept.cancelled:
            raise Conflict(f"order {kept.order.name} is cancelled")
        shipped = {line_id: kept.fulfilled.get(line_id, 0) + units for line_id, units in kept.unfulfilled().items()}
        started = self._now()
        self._connectors.connector_for(store).fulfil(order_id, tracking, shipped)
        self.deliver(store, started)
        return data.order(order_id)

    def cancel(self, caller: Store, store_id: str, order_id: str, *, restock: bool) -> ManualOrder:
        store, data = self._manual(caller, store_id)
        _order(data, order_id)
        started = self._now()
        if not self._connectors.connector_for(store).cancel(order_id, restock=restock):
            raise Conflict(f"order {data.order(order_id).order.name} is cancelled already")
        self.deliver(store, started)
        return data.order(order_id)

    # --- delivery --------------------------------------------------------------------------------

    def deliver(self, store: Store, since: datetime) -> int:
        """The store's changes since `since`, queued as the webhook ingress queues a platform's (once each; a
        level change only when the store is a connected link's source: nowhere else to go)."""
        if store.platform is not Platform.MANUAL:
            return 0
        changes = self._books.of(store.store_id).changes(since - FEED_MARGIN, None)
        is_source = any(link.syncs_stock for link in self._links.links_from_source(store.store_id))
        queued = 0
        for _, events in changes:
            for event in events:
                if isinstance(event, StockLevelChanged) and not is_source:
                    continue
                queued += self._events.publish(event)
        return queued

    def _manual(self, caller: Store, store_id: str) -> tuple[Store, ManualStoreData]:
        store = own_store(caller, store_id)
        if store.platform is not Platform.MANUAL:
            raise NotAllowed(
                f"store {store_id} is a {store.platform} store: its catalogue and orders are kept by {store.platform}"
            )
        return store, self._books.of(store.store_id)


def _entered_before(data: ManualStoreData, order_id: str) -> bool:
    try:
        data.order(order_id)
    except UnknownStoreObject:
        return False
    return True


def _order(data: ManualStoreData, order_id: str) -> ManualOrder:
    """The store's order, or 404: to its own merchant an unknown order is not the store refusing storelink."""
    try:
        return data.order(order_id)
    except UnknownStoreObject as error:
        raise NotFound(f"no order {order_id} in this store") from error


def _text(body: bytes) -> str:
    if len(body) > MAX_CSV_BYTES:
        raise PayloadTooLarge(f"the CSV is {len(body):,} bytes; the limit is {MAX_CSV_BYTES:,}: split the file")
    return body.decode("utf-8-sig", errors="replace")
