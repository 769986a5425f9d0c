"""A store's catalogue as storelink sees it, whatever the platform."""

from pydantic import ConfigDict, Field

from storelink.domain import DomainModel


class ShopFacts(DomainModel):
    model_config = ConfigDict(frozen=True)

    shop_id: str
    name: str
    domain: str
    currency: str


class Location(DomainModel):
    model_config = ConfigDict(frozen=True)

    location_id: str
    name: str
    active: bool = True


class CatalogueVariant(DomainModel):
    """One sellable variant and the inventory item that holds its stock."""

    model_config = ConfigDict(frozen=True)

    variant_id: str = Field(min_length=1)
    product_id: str = Field(min_length=1)
    product_title: str
    title: str
    # Platforms give "" or null for a missing SKU or barcode; both mean "none" to matching.
    sku: str | None
    barcode: str | None
    inventory_item_id: str = Field(min_length=1)
    tracked: bool
    # A bundle or kit is sold from its components' stock: it is never linked itself.
    is_bundle: bool = False

    @property
    def not_linkable_because(self) -> str | None:
        """Why this variant must not be linked (SiteGiant refuses kits and untracked items), or None."""
        if self.is_bundle:
            return "bundle or kit: its stock is its components'"
        if not self.tracked:
            return "inventory is not tracked"
        return None
