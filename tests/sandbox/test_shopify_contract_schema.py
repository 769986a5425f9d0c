"""Finding and loading the contract schema, and reading Shopify ids."""

from pathlib import Path

import pytest
from graphql import GraphQLSchema

from storelink_local.sandbox import contract_schema_path, legacy_id, load_contract_schema


def test_the_schema_is_found_beside_the_repository_unless_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORELINK_SHOPIFY_SCHEMA", raising=False)
    default = contract_schema_path()
    assert default is not None
    assert default.parts[-3:] == ("shared", "contracts", "shopify-admin-2026-10.derived.graphql")
    monkeypatch.setenv("STORELINK_SHOPIFY_SCHEMA", "/elsewhere/schema.graphql")
    assert contract_schema_path() == Path("/elsewhere/schema.graphql")


@pytest.mark.contract
def test_the_schema_is_built_once_per_process(contract_schema: GraphQLSchema) -> None:
    assert load_contract_schema() is contract_schema


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("gid://shopify/InventoryItem/9007199254740993", 9007199254740993),
        ("gid://shopify/InventoryLevel/9007199254740995?inventory_item_id=9007199254740993", 9007199254740995),
        (42, 42),
    ],
)
def test_legacy_id_is_the_number_in_a_global_id(value: str | int, number: int) -> None:
    assert legacy_id(value) == number


@pytest.mark.parametrize("value", ["12345", "gid://shopify/InventoryItem/", "gid://other/InventoryItem/1"])
def test_legacy_id_refuses_what_is_not_a_shopify_global_id(value: str) -> None:
    with pytest.raises(ValueError, match="not a Shopify global id"):
        legacy_id(value)
