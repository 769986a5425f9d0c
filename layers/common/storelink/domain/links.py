"""A link: a directed connection from a source store to a destination store, and its lifecycle.

The lifecycle follows the seeds: the source asks with the destination's verification code (pending);
only the destination grants or denies; only the source blocks and unblocks; only the destination
disconnects (keeping, deleting or zeroing the synced products) and reconnects.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field, computed_field, field_validator, model_validator

from storelink.domain import DomainModel
from storelink.domain.orders import SalesChannel


class LinkStatus(StrEnum):
    PENDING = "pending"
    CONNECTED = "connected"
    DENIED = "denied"
    BLOCKED = "blocked"
    DISCONNECTED = "disconnected"


# No stock level is larger (Shopify's own ceiling for a quantity), and it keeps every number a merchant sends
# well inside what DynamoDB and the platforms store.
MAX_UNITS = 1_000_000_000
# A count of units a merchant sends: a request model refuses anything else with a 422 naming the field.
Units = Annotated[int, Field(ge=0, le=MAX_UNITS)]


class StockRules(DomainModel):
    """How a source level becomes a destination level: hold back `buffer` units, show 0 at or below `floor`."""

    model_config = ConfigDict(frozen=True)

    buffer: Units = 0
    floor: Units = 0


class Role(StrEnum):
    SOURCE = "source"
    DESTINATION = "destination"


class LinkMode(StrEnum):
    STANDARD = "standard"
    # SiteGiant's sub-store: the destination has this one source and no other.
    SUB_STORE = "sub_store"


class Identifier(StrEnum):
    SKU = "sku"
    BARCODE = "barcode"


class InitialOrderStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"


class RefundCarry(StrEnum):
    """What a destination's refund does at the source: noted on the mirror only, or also refunded on the
    source's order (the same lines and amount), for merchants who settle per order."""

    NOTE = "note"
    REFUND_SOURCE = "refund_source"


class OrderPush(DomainModel):
    """How destination orders reach the source (Syncerize's order push settings, Shopdesk's approval)."""

    model_config = ConfigDict(frozen=True)

    automatic: bool = True
    forward_customer_details: bool = False
    channels: frozenset[SalesChannel] = frozenset({SalesChannel.WEB})
    initial_status: InitialOrderStatus = InitialOrderStatus.AWAITING_APPROVAL
    refunds: RefundCarry = RefundCarry.NOTE


class DisconnectOption(StrEnum):
    KEEP_PRODUCTS = "keep_products"
    DELETE_PRODUCTS = "delete_products"
    KEEP_PRODUCTS_ZERO_STOCK = "keep_products_zero_stock"

    @property
    def keeps_products_at_zero(self) -> bool:
        """The destination keeps its synced products, which must stop selling stock they no longer follow:
        the sweep sets them to 0. ("delete_products" deletes them instead: domain/product_removal.py.)"""
        return self is DisconnectOption.KEEP_PRODUCTS_ZERO_STOCK


class Action(StrEnum):
    GRANT = "grant"
    DENY = "deny"
    BLOCK = "block"
    UNBLOCK = "unblock"
    DISCONNECT = "disconnect"
    RECONNECT = "reconnect"


# (status, action) -> (who may do it, the status it leads to). Anything else is an illegal transition.
TRANSITIONS: dict[tuple[LinkStatus, Action], tuple[Role, LinkStatus]] = {
    (LinkStatus.PENDING, Action.GRANT): (Role.DESTINATION, LinkStatus.CONNECTED),
    (LinkStatus.PENDING, Action.DENY): (Role.DESTINATION, LinkStatus.DENIED),
    (LinkStatus.CONNECTED, Action.BLOCK): (Role.SOURCE, LinkStatus.BLOCKED),
    (LinkStatus.BLOCKED, Action.UNBLOCK): (Role.SOURCE, LinkStatus.CONNECTED),
    (LinkStatus.CONNECTED, Action.DISCONNECT): (Role.DESTINATION, LinkStatus.DISCONNECTED),
    (LinkStatus.BLOCKED, Action.DISCONNECT): (Role.DESTINATION, LinkStatus.DISCONNECTED),
    (LinkStatus.DISCONNECTED, Action.RECONNECT): (Role.DESTINATION, LinkStatus.CONNECTED),
}
ROLE_OF_ACTION = {action: role for (_, action), (role, _) in TRANSITIONS.items()}


class IllegalTransition(Exception):
    def __init__(self, link: "Link", action: Action) -> None:
        super().__init__(f"cannot {action} a link that is {link.status}")
        self.status = link.status


class NotYourAction(Exception):
    def __init__(self, action: Action) -> None:
        super().__init__(f"only the {ROLE_OF_ACTION[action]} can {action} a link")


class Transition(DomainModel):
    """One recorded change of a link: who did what, when, from which status to which."""

    model_config = ConfigDict(frozen=True)

    action: Action | None  # None for the request that created the link
    by_store_id: str
    role: Role
    at: AwareDatetime
    from_status: LinkStatus | None
    to_status: LinkStatus
    detail: str = ""


class CatalogueProgress(DomainModel):
    """Where matching the link's catalogues stands, visible on the link."""

    model_config = ConfigDict(frozen=True)

    state: Literal["importing", "matched", "failed"]
    at: AwareDatetime
    # Destination variants per map state: matched, unmatched, ambiguous, excluded.
    counts: dict[str, int] = Field(default_factory=dict)
    detail: str = ""


# How far back a granted link imports its destination's orders.
HISTORY_DAYS = 90


class OrderHistoryImport(DomainModel):
    """Where importing the destination's orders of the 90 days before the grant stands, visible on the link.

    Orders from the grant on arrive as webhooks; these are kept as history: never pushed, never decremented.
    The import is identified by `until` (the grant or reconnection it started from) and resumes from its
    checkpoint: `chunks` done, and the platform's cursor where the next one reads.
    """

    model_config = ConfigDict(frozen=True)

    state: Literal["waiting", "importing", "done", "failed"]
    since: AwareDatetime
    until: AwareDatetime
    # As far back as the platform lets storelink read (set by the first chunk): later than `since` when limited.
    read_since: AwareDatetime | None = None
    limited_to_days: int | None = None
    limit_note: str = ""
    # Why it waits or failed.
    detail: str = ""
    # Orders read so far: mirrored as history, mirrored before (while the link was connected), or not
    # mirrored (no linked line sold through a channel the link mirrors).
    imported: int = 0
    already_mirrored: int = 0
    not_mirrored: int = 0
    chunks: int = 0
    cursor: str | None = None
    updated_at: AwareDatetime


MAX_REPORTED_FAILURES = 100


class SweepReport(DomainModel):
    """What the last sweep of a link found and did (drift: a destination level that was not its source's)."""

    model_config = ConfigDict(frozen=True)

    ran_at: AwareDatetime
    variants_checked: int = 0
    # Destination levels found different from their source's (the drift), and those written back.
    variants_drifted: int = 0
    variants_corrected: int = 0
    largest_difference: int = 0
    failures: dict[str, str] = Field(default_factory=dict)

    def merged_into(self, earlier: "SweepReport") -> "SweepReport":
        """The report of a sweep made of parts: this part added to the parts before it."""
        failures = earlier.failures | self.failures
        return SweepReport(
            ran_at=earlier.ran_at,
            variants_checked=earlier.variants_checked + self.variants_checked,
            variants_drifted=earlier.variants_drifted + self.variants_drifted,
            variants_corrected=earlier.variants_corrected + self.variants_corrected,
            largest_difference=max(earlier.largest_difference, self.largest_difference),
            failures=failures,
        )

    @field_validator("failures")
    @classmethod
    def _first_failures_only(cls, failures: dict[str, str]) -> dict[str, str]:
        # The first ones tell what is wrong; a link with thousands of failures must still fit an SQS message.
        return dict(list(failures.items())[:MAX_REPORTED_FAILURES])


class ProductRemovalProgress(DomainModel):
    """Where deleting the destination's products after a "delete_products" disconnect stands, visible on the
    link. The work runs in numbered parts; a part counts once, however often its message is delivered."""

    model_config = ConfigDict(frozen=True)

    started_at: AwareDatetime
    updated_at: AwareDatetime
    to_delete: int = 0
    to_set_to_zero: int = 0
    deleted: int = 0
    set_to_zero: int = 0
    parts: int = 0
    parts_done: frozenset[int] = frozenset()
    # Product or level -> why it was not done (the first ones, as the sweep's report).
    failures: dict[str, str] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def state(self) -> Literal["removing", "done"]:
        return "done" if len(self.parts_done) >= self.parts else "removing"

    def with_part_done(
        self, part: int, *, deleted: int, set_to_zero: int, failures: dict[str, str], at: datetime
    ) -> "ProductRemovalProgress":
        return self.model_copy(
            update={
                "deleted": self.deleted + deleted,
                "set_to_zero": self.set_to_zero + set_to_zero,
                "parts_done": self.parts_done | {part},
                "failures": dict(list((self.failures | failures).items())[:MAX_REPORTED_FAILURES]),
                "updated_at": at,
            }
        )


class Link(DomainModel):
    model_config = ConfigDict(frozen=True)

    link_id: str = Field(min_length=1)
    source_store_id: str = Field(min_length=1)
    destination_store_id: str = Field(min_length=1)
    status: LinkStatus
    # Source location id -> destination location id, one to one.
    locations: dict[str, str] = Field(default_factory=dict)
    stock: StockRules = Field(default_factory=StockRules)
    channel_name: str = ""
    mode: LinkMode = LinkMode.STANDARD
    identifier: Identifier = Identifier.SKU
    orders: OrderPush = Field(default_factory=OrderPush)
    disconnect_option: DisconnectOption | None = None
    catalogue: CatalogueProgress | None = None
    order_history: OrderHistoryImport | None = None
    last_sweep: SweepReport | None = None
    product_removal: ProductRemovalProgress | None = None
    created_at: datetime | None = None
    # Bumped on every change; a write succeeds only over the version it read (compare-and-set).
    version: int = 0

    @model_validator(mode="after")
    def _locations_map_one_to_one(self) -> "Link":
        if len(set(self.locations.values())) != len(self.locations):
            raise ValueError("two source locations cannot share one destination location")
        if self.source_store_id == self.destination_store_id:
            raise ValueError("a store cannot link to itself")
        return self

    @property
    def syncs_stock(self) -> bool:
        return self.status is LinkStatus.CONNECTED

    @property
    def sku_map_ready(self) -> bool:
        """The catalogue import has finished (matched, or failed with what it could match): until then a
        destination's order cannot be traced to its source variants, and waits."""
        return self.catalogue is not None and self.catalogue.state != "importing"

    def role_of(self, store_id: str) -> Role | None:
        if store_id == self.source_store_id:
            return Role.SOURCE
        if store_id == self.destination_store_id:
            return Role.DESTINATION
        return None

    def apply(
        self, action: Action, *, by_store_id: str, at: datetime, option: DisconnectOption | None = None
    ) -> tuple["Link", Transition]:
        """The link after `action` by `by_store_id`, and the transition to record; raises if not allowed."""
        role = self.role_of(by_store_id)
        if role is None or ROLE_OF_ACTION[action] is not role:
            raise NotYourAction(action)
        if (self.status, action) not in TRANSITIONS:
            raise IllegalTransition(self, action)
        _, to_status = TRANSITIONS[(self.status, action)]
        changes: dict[str, object] = {"status": to_status, "version": self.version + 1}
        if action is Action.DISCONNECT:
            changes["disconnect_option"] = option or DisconnectOption.KEEP_PRODUCTS
        transition = Transition(
            action=action,
            by_store_id=by_store_id,
            role=role,
            at=at,
            from_status=self.status,
            to_status=to_status,
            detail=str(changes.get("disconnect_option") or ""),
        )
        return self.model_copy(update=changes), transition

    def destination_location(self, source_location_id: str) -> str | None:
        return self.locations.get(source_location_id)


MapState = Literal["matched", "unmatched", "ambiguous", "excluded"]


class SkuMapEntry(DomainModel):
    """For one link and one destination variant: the source variant it sells when matched, else why not."""

    model_config = ConfigDict(frozen=True)

    link_id: str = Field(min_length=1)
    destination_item_id: str = Field(min_length=1)
    source_item_id: str | None = None
    # The link's source: a source stock change finds its destinations across all links with one query.
    source_store_id: str = ""
    # The destination variant's identifiers, as matched.
    sku: str = ""
    barcode: str = ""
    identifier: Identifier = Identifier.SKU
    state: MapState = "matched"
    destination_variant_id: str = ""
    source_variant_id: str | None = None
    # The products both variants belong to: a products/update webhook re-matches only their entries.
    destination_product_id: str = ""
    source_product_id: str | None = None
    # Source variants that share the identifier, when ambiguous: listed, never picked.
    candidates: tuple[str, ...] = ()
    reason: str = ""
    # Mapped by hand (or by CSV): kept when the catalogue is matched again.
    manual: bool = False

    @property
    def identifier_value(self) -> str:
        return self.sku if self.identifier is Identifier.SKU else self.barcode

    @model_validator(mode="after")
    def _matched_names_its_source(self) -> "SkuMapEntry":
        if self.state == "matched" and not self.source_item_id:
            raise ValueError("a matched entry names its source inventory item")
        return self
