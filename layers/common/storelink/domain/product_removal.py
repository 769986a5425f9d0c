"""Disconnecting with "delete_products": which of the destination's products go, and which only stop selling.

A product goes when every one of its variants is mapped on the link being disconnected and none is sold
through another of the destination's live links: it came from this link's source alone. A product that also
sells variants that are not on this link, or one of whose variants another link still sells, is kept: its
variants mapped on this link are set to 0 (they no longer follow any stock), and it is named with the reason.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from storelink.domain import DomainModel
from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.links import ProductRemovalProgress, SkuMapEntry


class PlannedProduct(DomainModel):
    """A destination product the disconnect deletes or keeps, with its variants mapped on the link."""

    model_config = ConfigDict(frozen=True)

    product_id: str = Field(min_length=1)
    title: str
    variant_ids: tuple[str, ...] = ()
    # The mapped variants' inventory items: what is set to 0 when the product is kept.
    inventory_item_ids: tuple[str, ...] = ()
    # Why a product is kept rather than deleted; "" for one deleted.
    reason: str = ""

    def named(self) -> str:
        return f"{self.title} ({self.product_id})" + (f": {self.reason}" if self.reason else "")


class ProductRemovalPlan(DomainModel):
    model_config = ConfigDict(frozen=True)

    delete: tuple[PlannedProduct, ...] = ()
    set_to_zero: tuple[PlannedProduct, ...] = ()

    def summary(self) -> str:
        return f"{len(self.delete)} product(s) to delete, {len(self.set_to_zero)} kept with their variants set to 0"

    def progress(self, parts: int, at: datetime) -> ProductRemovalProgress:
        return ProductRemovalProgress(
            started_at=at,
            updated_at=at,
            to_delete=len(self.delete),
            to_set_to_zero=len(self.set_to_zero),
            parts=parts,
        )


def plan_product_removal(
    link_map: Iterable[SkuMapEntry], other_maps: Iterable[SkuMapEntry], catalogue: Iterable[CatalogueVariant]
) -> ProductRemovalPlan:
    """The plan for a link's destination products, from the link's SKU map, the maps of the destination's
    other live links and the destination's catalogue as it is now (every variant of every product)."""
    on_link = {entry.destination_item_id for entry in link_map if entry.state == "matched"}
    elsewhere: dict[str, set[str]] = {}
    for entry in other_maps:
        if entry.state == "matched":
            elsewhere.setdefault(entry.destination_item_id, set()).add(entry.link_id)
    products: dict[str, list[CatalogueVariant]] = {}
    for variant in catalogue:
        products.setdefault(variant.product_id, []).append(variant)
    delete, set_to_zero = [], []
    for product_id, variants in products.items():
        mapped = [variant for variant in variants if variant.inventory_item_id in on_link]
        if not mapped:
            continue
        planned = PlannedProduct(
            product_id=product_id,
            title=variants[0].product_title,
            variant_ids=tuple(variant.variant_id for variant in mapped),
            inventory_item_ids=tuple(variant.inventory_item_id for variant in mapped),
        )
        if reason := _kept_because(variants, on_link, elsewhere):
            set_to_zero.append(planned.model_copy(update={"reason": reason}))
        else:
            delete.append(planned)
    return ProductRemovalPlan(delete=tuple(delete), set_to_zero=tuple(set_to_zero))


def kept_after_all(product: PlannedProduct, variants_now: Iterable[CatalogueVariant]) -> PlannedProduct | None:
    """A product planned for deletion, kept after all when it now sells a variant that was not mapped on the
    link when the plan was made (the merchant added one meanwhile): a delete cannot be undone."""
    added = [variant.title for variant in variants_now if variant.inventory_item_id not in product.inventory_item_ids]
    if not added:
        return None
    return product.model_copy(update={"reason": f"now also sells variants not on this link: {', '.join(added)}"})


def _kept_because(variants: list[CatalogueVariant], on_link: set[str], elsewhere: dict[str, set[str]]) -> str:
    reasons = []
    if unlinked := [variant.title for variant in variants if variant.inventory_item_id not in on_link]:
        reasons.append(f"also sells variants not on this link: {', '.join(unlinked)}")
    for variant in variants:
        if variant.inventory_item_id in on_link and variant.inventory_item_id in elsewhere:
            links = ", ".join(sorted(elsewhere[variant.inventory_item_id]))
            reasons.append(f"{variant.title} is also sold through link {links}")
    return "; ".join(reasons)


# What a queued part of the removal carries: a minute's work, and well inside an SQS message (256 KiB) even
# for a product of Shopify's 2,048 variants, which goes alone.
PRODUCTS_PER_PART = 50
VARIANTS_PER_PART = 500


class ProductRemovalJob(DomainModel):
    """One part of a disconnect's product removal, for the sweep workers: delete these, set those to 0."""

    model_config = ConfigDict(frozen=True)

    # Required, so that no sweep job on the same queue ever reads as a removal.
    kind: Literal["remove_products"]
    link_id: str
    # The removal it belongs to (its progress's started_at): a part left over from an earlier disconnect of
    # the same link never counts for a later one.
    started_at: datetime
    part: int = Field(ge=0)
    delete: tuple[PlannedProduct, ...] = ()
    set_to_zero: tuple[PlannedProduct, ...] = ()


def parts_of(link_id: str, plan: ProductRemovalPlan, started_at: datetime) -> list[ProductRemovalJob]:
    """The plan cut into parts of at most 50 products and 500 mapped variants (a larger product alone),
    numbered from 0."""
    chunks: list[list[tuple[bool, PlannedProduct]]] = [[]]
    variants = 0
    for deleting, product in [(True, p) for p in plan.delete] + [(False, p) for p in plan.set_to_zero]:
        size = len(product.variant_ids)
        if chunks[-1] and (len(chunks[-1]) == PRODUCTS_PER_PART or variants + size > VARIANTS_PER_PART):
            chunks.append([])
            variants = 0
        chunks[-1].append((deleting, product))
        variants += size
    return [
        ProductRemovalJob(
            kind="remove_products",
            link_id=link_id,
            started_at=started_at,
            part=part,
            delete=tuple(product for deleting, product in chunk if deleting),
            set_to_zero=tuple(product for deleting, product in chunk if not deleting),
        )
        for part, chunk in enumerate(chunks)
        if chunk
    ]
