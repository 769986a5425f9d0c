"""A link: a directed connection from a source store to a destination store."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class LinkStatus(StrEnum):
    PENDING = "pending"
    CONNECTED = "connected"
    DENIED = "denied"
    BLOCKED = "blocked"
    DISCONNECTED = "disconnected"


class StockRules(BaseModel):
    """How a source level becomes a destination level: hold back `buffer` units, show 0 at or below `floor`."""

    model_config = ConfigDict(frozen=True)

    buffer: int = Field(default=0, ge=0)
    floor: int = Field(default=0, ge=0)


class Link(BaseModel):
    model_config = ConfigDict(frozen=True)

    link_id: str = Field(min_length=1)
    source_store_id: str = Field(min_length=1)
    destination_store_id: str = Field(min_length=1)
    status: LinkStatus
    # Source location id -> destination location id, one to one.
    locations: dict[str, str] = Field(default_factory=dict)
    stock: StockRules = Field(default_factory=StockRules)

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

    def destination_location(self, source_location_id: str) -> str | None:
        return self.locations.get(source_location_id)


class SkuMapEntry(BaseModel):
    """For one link: the destination inventory item that sells a source inventory item."""

    model_config = ConfigDict(frozen=True)

    link_id: str = Field(min_length=1)
    source_item_id: str = Field(min_length=1)
    destination_item_id: str = Field(min_length=1)
    sku: str = ""
