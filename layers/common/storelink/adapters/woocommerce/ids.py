"""How storelink names WooCommerce things. A simple product is its id ("12"); a variation is its product's id and
its own ("12/34"), since every REST path of a variation names both. Orders and their lines are their ids."""

import re
from dataclasses import dataclass

# WooCommerce keeps one stock quantity per product or variation, no locations: storelink sees one location.
LOCATION_ID = "stock"
LOCATION_NAME = "Store stock"

_ITEM = re.compile(r"(\d+)(?:/(\d+))?")


@dataclass(frozen=True, order=True)
class Item:
    """A simple product (variation None) or a variation of a variable product: what holds a stock quantity."""

    product_id: int
    variation_id: int | None = None

    def __str__(self) -> str:
        return str(self.product_id) if self.variation_id is None else f"{self.product_id}/{self.variation_id}"

    @property
    def own_id(self) -> int:
        return self.product_id if self.variation_id is None else self.variation_id

    @property
    def path(self) -> str:
        """Its REST path under wc/v3."""
        if self.variation_id is None:
            return f"/products/{self.product_id}"
        return f"/products/{self.product_id}/variations/{self.variation_id}"

    @classmethod
    def read(cls, value: str) -> "Item | None":
        """The item a storelink id names; None for anything else (a merchant's typo, another platform's id)."""
        match = _ITEM.fullmatch(value)
        if match is None:
            return None
        return cls(int(match[1]), int(match[2]) if match[2] else None)
