"""Shopify Admin GraphQL connector: the StoreConnector port for Shopify stores, over httpx."""

import json
import uuid
from collections import defaultdict
from typing import Any

import httpx

from storelink.adapters.shopify import SHOPIFY_API_VERSION
from storelink.domain.stock import InventoryRef, LevelWrite
from storelink.errors import StoreRejected, StoreUnavailable

# Shopify caps `nodes(ids:)` and mutation input arrays at 250 items.
MAX_ITEMS_PER_CALL = 250

READ_AVAILABLE = """
query StorelinkReadAvailable($itemIds: [ID!]!, $locationId: ID!) {
  nodes(ids: $itemIds) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) {
        quantities(names: ["available"]) { name quantity }
      }
    }
  }
}
"""

SET_AVAILABLE = """
mutation StorelinkSetAvailable($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

STALE = "CHANGE_FROM_QUANTITY_STALE"


class ShopifyConnector:
    def __init__(self, *, api_base_url: str, access_token: str, http: httpx.Client) -> None:
        self._endpoint = f"{api_base_url.rstrip('/')}/admin/api/{SHOPIFY_API_VERSION}/graphql.json"
        self._access_token = access_token
        self._http = http

    def read_available(self, levels: list[InventoryRef]) -> dict[InventoryRef, int]:
        items_by_location: dict[str, list[str]] = defaultdict(list)
        for level in levels:
            items_by_location[level.location_id].append(level.item_id)
        available: dict[InventoryRef, int] = {}
        for location_id, item_ids in items_by_location.items():
            for chunk in _chunks(item_ids):
                data = self._call(READ_AVAILABLE, {"itemIds": chunk, "locationId": location_id})
                for item_id, node in zip(chunk, data["nodes"], strict=True):
                    available[InventoryRef(item_id=item_id, location_id=location_id)] = _available_of(
                        item_id, location_id, node
                    )
        return available

    def write_available(self, writes: list[LevelWrite], reference: str) -> list[InventoryRef]:
        stale: list[InventoryRef] = []
        for chunk in _chunks(writes):
            payload: dict[str, Any] = {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "referenceDocumentUri": reference,
                    "quantities": [
                        {
                            "inventoryItemId": write.level.item_id,
                            "locationId": write.level.location_id,
                            "quantity": write.quantity,
                            "changeFromQuantity": write.expected,
                        }
                        for write in chunk
                    ],
                }
            }
            # Mandatory since 2026-04. Derived from the input: a resend of the same writes (after a
            # timeout) is applied once, while a compare-and-set retry carries new quantities, so a new key.
            payload["idempotencyKey"] = str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(payload, sort_keys=True)))
            result = self._call(SET_AVAILABLE, payload)["inventorySetQuantities"]
            stale += self._stale_levels(chunk, result["userErrors"])
        return stale

    @staticmethod
    def _stale_levels(chunk: list[LevelWrite], user_errors: list[dict[str, Any]]) -> list[InventoryRef]:
        refused = [error for error in user_errors if error.get("code") != STALE]
        if refused:
            raise StoreRejected("; ".join(f"{error.get('code')}: {error['message']}" for error in refused))
        # field is ["input", "quantities", "<index>", "changeFromQuantity"]
        return [chunk[int(error["field"][2])].level for error in user_errors]

    def _call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post(
                self._endpoint,
                json={"query": query, "variables": variables},
                headers={"X-Shopify-Access-Token": self._access_token},
            )
        except httpx.TransportError as error:
            raise StoreUnavailable(f"Shopify did not answer: {type(error).__name__}") from error
        if response.status_code >= 500 or response.status_code == 429:
            raise StoreUnavailable(f"Shopify answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise StoreRejected(f"Shopify refused the call: HTTP {response.status_code}")
        body = response.json()
        if errors := body.get("errors"):
            if any(error.get("extensions", {}).get("code") == "THROTTLED" for error in errors):
                raise StoreUnavailable("Shopify throttled the call")
            raise StoreRejected("; ".join(error.get("message", "GraphQL error") for error in errors))
        data: dict[str, Any] = body["data"]
        return data


def _available_of(item_id: str, location_id: str, node: dict[str, Any] | None) -> int:
    if node is None:
        raise StoreRejected(f"unknown inventory item {item_id}")
    level = node.get("inventoryLevel")
    if level is None:
        raise StoreRejected(f"inventory item {item_id} is not stocked at {location_id}")
    return next(q["quantity"] for q in level["quantities"] if q["name"] == "available")


def _chunks[T](items: list[T]) -> list[list[T]]:
    return [items[start : start + MAX_ITEMS_PER_CALL] for start in range(0, len(items), MAX_ITEMS_PER_CALL)]
