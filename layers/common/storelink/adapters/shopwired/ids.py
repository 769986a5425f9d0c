"""How storelink names ShopWired things. Stock belongs to a SKU (the stock API names nothing else), so a level's
inventory item is its SKU; a variant is its product's id ("12"), or its product's and its variation's ("12/34").
ShopWired keeps one stock quantity per SKU, no locations: storelink sees one location."""

import re
from dataclasses import dataclass

LOCATION_ID = "stock"
LOCATION_NAME = "Stock"

_VARIANT = re.compile(r"(\d+)(?:/(\d+))?")


@dataclass(frozen=True, order=True)
class Variant:
    product_id: int
    variation_id: int | None = None

    def __str__(self) -> str:
        return str(self.product_id) if self.variation_id is None else f"{self.product_id}/{self.variation_id}"

    @classmethod
    def read(cls, value: str) -> "Variant | None":
        """The variant a storelink id names; None for anything else (a merchant's typo, another platform's id)."""
        match = _VARIANT.fullmatch(value)
        if match is None:
            return None
        return cls(int(match[1]), int(match[2]) if match[2] else None)
