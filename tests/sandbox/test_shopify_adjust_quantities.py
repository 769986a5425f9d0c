"""inventoryAdjustQuantities with Shopify 2026-10 semantics: deltas, a mandatory idempotency key, all or nothing."""

import json
import uuid
from typing import Any

import pytest

from tests.sandbox import documents
from tests.sandbox.support import REFERENCE, Receiver, StockedShop, adjust_variables, change, graphql

pytestmark = pytest.mark.contract


def adjust(shop: StockedShop, variables: dict[str, Any]) -> dict[str, Any]:
    return graphql(shop.sandbox, documents.ADJUST_QUANTITIES, variables)


def levels(shop: StockedShop) -> tuple[int, int]:
    return (
        shop.sandbox.available(shop.item_id, shop.warehouse.id),
        shop.sandbox.available(shop.item_id, shop.shop_floor.id),
    )


def test_deltas_are_applied_to_available_and_on_hand(shop: StockedShop, receiver: Receiver) -> None:
    # Given 5 in the warehouse, 2 on the shop floor, and a subscriber to level updates
    shop.sandbox.subscribe_webhook("inventory_levels/update", receiver.url)
    # When 3 units are added in the warehouse and 2 taken from the shop floor
    variables = adjust_variables(
        change(shop.item_id, shop.warehouse.id, 3), change(shop.item_id, shop.shop_floor.id, -2)
    )
    result = adjust(shop, variables)["data"]["inventoryAdjustQuantities"]
    # Then both levels moved, the group says how, and each level fired inventory_levels/update
    assert result["userErrors"] == []
    assert levels(shop) == (8, 0)
    assert shop.sandbox.quantity(shop.item_id, shop.warehouse.id, "on_hand") == 8
    group = result["inventoryAdjustmentGroup"]
    assert (group["reason"], group["referenceDocumentUri"]) == ("correction", REFERENCE)
    assert [(c["name"], c["delta"], c["quantityAfterChange"], c["location"]["id"]) for c in group["changes"]] == [
        ("available", 3, 8, shop.warehouse.id),
        ("on_hand", 3, 8, shop.warehouse.id),
        ("available", -2, 0, shop.shop_floor.id),
        ("on_hand", -2, 0, shop.shop_floor.id),
    ]
    assert [json.loads(received.body)["available"] for received in receiver.received] == [8, 0]


def test_a_retry_with_the_same_key_returns_the_original_result_applied_once(shop: StockedShop) -> None:
    # Given an adjustment that was applied
    variables = adjust_variables(change(shop.item_id, shop.warehouse.id, -1))
    first = adjust(shop, variables)["data"]["inventoryAdjustQuantities"]
    # When the client retries it unchanged, say after a timeout
    again = adjust(shop, variables)["data"]["inventoryAdjustQuantities"]
    # Then it gets the original answer, and the unit was taken once
    assert again == first
    assert levels(shop) == (4, 2)


def test_a_key_reused_with_other_changes_is_refused(shop: StockedShop) -> None:
    first = adjust_variables(change(shop.item_id, shop.warehouse.id, -1))
    adjust(shop, first)
    other = adjust_variables(change(shop.item_id, shop.warehouse.id, -2))
    other["idempotencyKey"] = first["idempotencyKey"]
    body = adjust(shop, other)
    [error] = body["errors"]
    assert error["message"] == "The same idempotency key cannot be used with different operation parameters."
    assert error["extensions"]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert levels(shop) == (4, 2)


def test_an_adjustment_without_an_idempotency_key_is_refused(shop: StockedShop) -> None:
    query = documents.ADJUST_QUANTITIES.replace("@idempotent(key: $idempotencyKey)", "").replace(
        ", $idempotencyKey: String!", ""
    )
    variables = adjust_variables(change(shop.item_id, shop.warehouse.id, -1))
    del variables["idempotencyKey"]
    body = graphql(shop.sandbox, query, variables)
    [error] = body["errors"]
    assert error["message"] == "The @idempotent directive is required for this mutation but was not provided."
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert body["data"] == {"inventoryAdjustQuantities": None}
    assert levels(shop) == (5, 2)


def test_more_than_250_changes_are_refused_before_anything_runs(shop: StockedShop) -> None:
    body = adjust(shop, adjust_variables(*[change(shop.item_id, shop.warehouse.id, 1)] * 251))
    [error] = body["errors"]
    assert error["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert error["path"] == ["inventoryAdjustQuantities", "input", "changes"]
    assert levels(shop) == (5, 2)


@pytest.mark.parametrize(
    ("name", "ledger", "code", "field"),
    [
        ("committed", None, "INVALID_QUANTITY_NAME", ["input", "name"]),
        (
            "available",
            "gid://storelink/Ledger/1",
            "INVALID_AVAILABLE_DOCUMENT",
            ["input", "changes", "1", "ledgerDocumentUri"],
        ),
        ("damaged", None, "INVALID_QUANTITY_DOCUMENT", ["input", "changes", "1", "ledgerDocumentUri"]),
    ],
)
def test_names_and_ledger_documents_outside_shopifys_rules_are_user_errors(
    shop: StockedShop, name: str, ledger: str | None, code: str, field: list[str]
) -> None:
    # The first change is fine on its own; the second breaks the rule, and neither is applied.
    first = change(shop.item_id, shop.warehouse.id, 1, ledger="gid://storelink/Ledger/1" if name == "damaged" else None)
    variables = adjust_variables(first, change(shop.item_id, shop.shop_floor.id, 1, ledger=ledger), name=name)
    result = adjust(shop, variables)["data"]["inventoryAdjustQuantities"]
    assert [(error["code"], error["field"]) for error in result["userErrors"]] == [(code, field)]
    assert result["inventoryAdjustmentGroup"] is None
    assert levels(shop) == (5, 2)


def test_unknown_and_unstocked_levels_are_user_errors_and_nothing_is_applied(shop: StockedShop) -> None:
    variables = adjust_variables(
        change(shop.item_id, shop.warehouse.id, 1),
        change("gid://shopify/InventoryItem/1", shop.warehouse.id, 1),
        change(shop.item_id, shop.unstocked.id, 1),
    )
    result = adjust(shop, variables)["data"]["inventoryAdjustQuantities"]
    assert [(error["code"], error["field"]) for error in result["userErrors"]] == [
        ("INVALID_INVENTORY_ITEM", ["input", "changes", "1", "inventoryItemId"]),
        # No code since 2026-10 (ITEM_NOT_STOCKED_AT_LOCATION is gone); the sandbox still refuses (docs/shopify.md).
        (None, ["input", "changes", "2", "locationId"]),
    ]
    assert levels(shop) == (5, 2)


def test_damaged_units_count_in_on_hand_and_not_in_available(shop: StockedShop) -> None:
    variables = adjust_variables(
        change(shop.item_id, shop.warehouse.id, 2, ledger=f"gid://storelink/Damage/{uuid.uuid4()}"), name="damaged"
    )
    result = adjust(shop, variables)["data"]["inventoryAdjustQuantities"]
    assert [(c["name"], c["delta"]) for c in result["inventoryAdjustmentGroup"]["changes"]] == [
        ("damaged", 2),
        ("on_hand", 2),
    ]
    assert shop.sandbox.quantity(shop.item_id, shop.warehouse.id, "damaged") == 2
    assert levels(shop) == (5, 2)


def test_a_change_without_change_from_quantity_is_refused(shop: StockedShop) -> None:
    # Given a client that leaves changeFromQuantity out of one change (allowed by the schema, refused since 2026-04)
    without = {
        key: value for key, value in change(shop.item_id, shop.shop_floor.id, -1).items() if key != "changeFromQuantity"
    }
    variables = adjust_variables(change(shop.item_id, shop.warehouse.id, -1), without)
    # When it adjusts
    body = adjust(shop, variables)
    # Then the request is refused as live Shopify refuses it, naming the field, and nothing is applied
    [error] = body["errors"]
    assert error["message"] == "InventoryChangeInput must include the following argument: changeFromQuantity."
    assert body["data"] == {"inventoryAdjustQuantities": None}
    assert levels(shop) == (5, 2)
