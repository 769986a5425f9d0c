"""Which destination products a delete_products disconnect deletes, and which it keeps with their mapped
variants set to 0: a pure decision over the link's SKU map, the other links' maps and the catalogue."""

from dataclasses import dataclass

import pytest

from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.links import MapState, SkuMapEntry
from storelink.domain.product_removal import plan_product_removal
from tests.builders import a_product_variant


def mapped(link_id: str, name: str, state: MapState = "matched") -> SkuMapEntry:
    return SkuMapEntry(
        link_id=link_id,
        destination_item_id=f"i-{name}",
        source_item_id=f"s-{name}" if state == "matched" else None,
        state=state,
    )


@dataclass(frozen=True)
class Case:
    catalogue: tuple[CatalogueVariant, ...]
    link_map: tuple[SkuMapEntry, ...]
    other_maps: tuple[SkuMapEntry, ...]
    deleted: list[str]
    kept: list[tuple[str, tuple[str, ...], str]]  # product, variants set to 0, reason


SHIRT = (a_product_variant("Shirt", "S"), a_product_variant("Shirt", "M"))
CASES = {
    "every variant mapped on this link alone: deleted": Case(
        SHIRT, (mapped("this", "S"), mapped("this", "M")), (), ["Shirt"], []
    ),
    "a variant not on this link: kept, the mapped one set to 0": Case(
        SHIRT, (mapped("this", "S"),), (), [], [("Shirt", ("v-S",), "also sells variants not on this link: M")]
    ),
    "a variant only another link sells: kept": Case(
        SHIRT,
        (mapped("this", "S"),),
        (mapped("other", "M"),),
        [],
        [("Shirt", ("v-S",), "also sells variants not on this link: M")],
    ),
    "a variant also sold through another link: kept, named with the link": Case(
        SHIRT,
        (mapped("this", "S"), mapped("this", "M")),
        (mapped("other", "M"),),
        [],
        [("Shirt", ("v-S", "v-M"), "M is also sold through link other")],
    ),
    "an unmatched entry of this link is not mapped: kept": Case(
        SHIRT,
        (mapped("this", "S"), mapped("this", "M", state="unmatched")),
        (),
        [],
        [("Shirt", ("v-S",), "also sells variants not on this link: M")],
    ),
    "another link's unmatched entry sells nothing: deleted": Case(
        SHIRT, (mapped("this", "S"), mapped("this", "M")), (mapped("other", "M", state="ambiguous"),), ["Shirt"], []
    ),
    "a product with nothing on this link: in neither list": Case(
        (*SHIRT, a_product_variant("Mug", "Red")), (mapped("this", "S"), mapped("this", "M")), (), ["Shirt"], []
    ),
    "a mapped variant the store no longer has: nothing to do": Case((), (mapped("this", "S"),), (), [], []),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_plan_deletes_only_what_came_from_this_link_alone(case: Case) -> None:
    # Given the destination's catalogue, this link's SKU map and the other live links' maps
    # When the disconnect plans its products
    plan = plan_product_removal(case.link_map, case.other_maps, case.catalogue)
    # Then it deletes the products entirely this link's, and keeps the others, named, with the reason
    assert [product.title for product in plan.delete] == case.deleted
    assert [(product.title, product.variant_ids, product.reason) for product in plan.set_to_zero] == case.kept


def test_a_kept_product_lists_the_inventory_items_to_set_to_zero() -> None:
    # Given a shirt with one variant on the link and one not
    plan = plan_product_removal([mapped("this", "S")], [], SHIRT)
    # Then the kept shirt carries the mapped variant's inventory item, the one to set to 0
    assert [product.inventory_item_ids for product in plan.set_to_zero] == [("i-S",)]
