"""Catalogue import end to end: a granted link's catalogues are matched variant by variant through
EventBridge → SQS → CatalogueImportFunction, and the map is read and changed through the management API."""

import httpx
import pytest
from graphql import GraphQLSchema

from storelink.services import catalogue_import
from storelink_local.runtime import LocalRuntime
from storelink_local.sandbox import ShopifySandbox
from storelink_local.scenario import SKU, LinkedStores, linked_stores

pytestmark = pytest.mark.contract


def api(runtime: LocalRuntime, method: str, path: str, token: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, f"{runtime.api_url}{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs)  # type: ignore[arg-type]


def test_a_granted_link_gets_every_destination_variant_matched_or_explained(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given, beside the shirt both stores sell, a destination variant with no SKU and one the source lacks
    destination, source = stores.destination, stores.source
    destination.sandbox.add_product("Mystery", [{"sku": ""}, {"sku": "ONLY-HERE"}])
    source.sandbox.add_product("Kit", [{"sku": "KIT-1", "requires_components": True}])
    destination.sandbox.add_product("Kit", [{"sku": "kit-1 "}])
    # When the grant's event reaches the catalogue import
    runtime.drain()
    # Then every destination variant has a state, and the link shows the counts
    link = api(runtime, "GET", f"/links/{stores.link.link_id}", source.api_token).json()
    assert link["catalogue"]["counts"] == {"matched": 1, "ambiguous": 1, "unmatched": 1, "excluded": 1}
    ambiguous = api(runtime, "GET", f"/links/{stores.link.link_id}/mappings?state=ambiguous", destination.api_token)
    assert [m["reason"] for m in ambiguous.json()["mappings"]] == ["no SKU"]
    health = api(runtime, "GET", f"/links/{stores.link.link_id}/health", destination.api_token).json()
    assert health["destination"]["empty_identifiers"]["count"] == 1


def test_the_destination_maps_by_hand_and_a_rematch_keeps_it(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given a destination variant whose SKU the source does not have
    destination, source = stores.destination, stores.source
    [lonely] = destination.sandbox.add_product("Scarf", [{"sku": "SCARF-RED"}]).variants
    [master] = source.sandbox.add_product("Scarf", [{"sku": "SCF-001"}]).variants
    runtime.drain()
    # When the destination maps it by hand (the source may not)
    body = {"destination_variant_id": lonely.id, "source_variant_id": master.id}
    assert api(runtime, "PUT", f"/links/{stores.link.link_id}/mappings", source.api_token, json=body).status_code == 403
    mapped = api(runtime, "PUT", f"/links/{stores.link.link_id}/mappings", destination.api_token, json=body).json()
    # Then it is matched, by hand, and stays so when the link is reconnected and matched again
    assert (mapped["state"], mapped["manual"], mapped["source_variant_id"]) == ("matched", True, master.id)
    for action in ("disconnect", "reconnect"):
        api(runtime, "POST", f"/links/{stores.link.link_id}/{action}", destination.api_token)
    runtime.drain()
    matched = api(runtime, "GET", f"/links/{stores.link.link_id}/mappings?state=matched", source.api_token).json()
    assert {m["destination_variant_id"] for m in matched["mappings"] if m["manual"]} == {lonely.id}


def test_a_csv_with_one_bad_row_applies_nothing_and_names_the_row(runtime: LocalRuntime, stores: LinkedStores) -> None:
    destination = stores.destination
    runtime.drain()
    exported = api(runtime, "GET", f"/links/{stores.link.link_id}/mappings.csv", destination.api_token)
    assert exported.status_code == 200
    assert exported.text.splitlines()[0].startswith("destination_variant_id")
    bad = "destination_variant_id,source_variant_id\ngid://shopify/ProductVariant/1,gid://shopify/ProductVariant/2\n"
    answer = api(runtime, "POST", f"/links/{stores.link.link_id}/mappings.csv", destination.api_token, content=bad)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["row_number"] == 2


def test_a_product_change_rematches_only_what_it_touches(runtime: LocalRuntime, stores: LinkedStores) -> None:
    # Given a matched link, and a destination variant whose SKU the source does not have
    destination, source = stores.destination, stores.source
    [source_belt] = source.sandbox.add_product("Belt", [{"sku": "BELT-L"}]).variants
    [belt] = destination.sandbox.add_product("Belt", [{"sku": "BELT-LARGE"}]).variants
    runtime.drain()
    unmatched = api(runtime, "GET", f"/links/{stores.link.link_id}/mappings?state=unmatched", source.api_token).json()
    assert [m["destination_variant_id"] for m in unmatched["mappings"]] == [belt.id]
    # When the destination's merchant corrects the SKU (Shopify sends products/update)
    destination.sandbox.update_variant(belt.id, sku="belt-l ")
    runtime.drain()
    # Then that variant alone was matched again, to the source's BELT-L, case and spaces forgiven
    matched = api(runtime, "GET", f"/links/{stores.link.link_id}/mappings?state=matched", source.api_token).json()
    assert {m["destination_variant_id"]: m["source_variant_id"] for m in matched["mappings"]}[belt.id] == source_belt.id
    assert (
        api(runtime, "GET", f"/links/{stores.link.link_id}/mappings?state=unmatched", source.api_token).json()[
            "mappings"
        ]
        == []
    )


def test_a_large_catalogue_is_read_in_bulk_and_resumed_from_the_queue(
    runtime: LocalRuntime, contract_schema: GraphQLSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given catalogues counted as large (the bound is lowered so the sandbox stores stay small)
    monkeypatch.setattr(catalogue_import, "INLINE_CATALOGUE_VARIANTS", 0)
    # When a link between them is granted
    with linked_stores(runtime, contract_schema, names=("bulk-src", "bulk-dst")) as stores:
        runtime.drain()
        # Then each store was read by one bulk operation, the import resumed from its checkpoint, and matched
        for shop in (stores.source, stores.destination):
            assert shop.sandbox.stats.operation("StorelinkBulkRun").calls == 1
        link = api(runtime, "GET", f"/links/{stores.link.link_id}", stores.source.api_token).json()
        assert link["catalogue"]["state"] == "matched"
        assert link["catalogue"]["counts"] == {"matched": 1}


def test_a_bulk_read_that_failed_on_shopifys_side_is_started_again_and_the_catalogue_matched(
    runtime: LocalRuntime, contract_schema: GraphQLSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given catalogues read in bulk, and the source's first bulk operation ending FAILED on Shopify's side
    monkeypatch.setattr(catalogue_import, "INLINE_CATALOGUE_VARIANTS", 0)
    with linked_stores(runtime, contract_schema, names=("failing-src", "failing-dst")) as stores:
        stores.source.sandbox.fail_next_bulk_operations(error_code="INTERNAL_SERVER_ERROR")
        # When the grant's import runs, its looks again delivered as their delays pass
        with runtime.delays_skipped() as delays:
            summary = runtime.drain()
        # Then the source's read was started again and looked at 5 s later (the order history import waits for
        # the match meanwhile), nothing dead-lettered
        assert stores.source.sandbox.stats.operation("StorelinkBulkRun").calls == 2
        assert stores.destination.sandbox.stats.operation("StorelinkBulkRun").calls == 1
        assert 5 in delays
        assert summary.dead_lettered == 0
        # And the catalogue was matched
        link = api(runtime, "GET", f"/links/{stores.link.link_id}", stores.source.api_token).json()
        assert (link["catalogue"]["state"], link["catalogue"]["counts"]) == ("matched", {"matched": 1})


def test_a_bulk_read_that_keeps_failing_fails_the_import_on_the_link_with_shopifys_reason(
    runtime: LocalRuntime, contract_schema: GraphQLSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given catalogues read in bulk, and every bulk operation of the destination ending FAILED (TIMEOUT)
    monkeypatch.setattr(catalogue_import, "INLINE_CATALOGUE_VARIANTS", 0)
    with linked_stores(runtime, contract_schema, names=("timeout-src", "timeout-dst")) as stores:
        stores.destination.sandbox.fail_next_bulk_operations(10, error_code="TIMEOUT")
        # When the grant's import runs
        with runtime.delays_skipped():
            summary = runtime.drain()
        # Then the destination's read was started three times in all, and the link says why it failed
        assert stores.destination.sandbox.stats.operation("StorelinkBulkRun").calls == 3
        assert summary.dead_lettered == 0
        link = api(runtime, "GET", f"/links/{stores.link.link_id}", stores.source.api_token).json()
        assert link["catalogue"]["state"] == "failed"
        assert link["catalogue"]["detail"] == "Shopify's bulk operation ended FAILED (TIMEOUT)"


def test_with_two_sources_a_destination_variant_sells_from_one_of_them(
    runtime: LocalRuntime, stores: LinkedStores, contract_schema: GraphQLSchema
) -> None:
    # Given the destination's shirt matched on its link with the first source
    runtime.drain()
    destination = stores.destination
    # When a second source with the same SKU links to the destination and is granted
    secrets = {"access_token": "shpat_second-src", "webhook_secret": "second-src-secret"}
    with ShopifySandbox(shop_domain="second-src.myshopify.com", schema=contract_schema, **secrets) as second:
        location = second.add_location("Warehouse")
        second.add_product("Linen shirt", [{"sku": SKU}], stock={location.id: 4})
        registration = {
            "platform": "shopify",
            "shop_domain": "second-src.myshopify.com",
            "api_base_url": second.base_url,
        }
        token = httpx.post(f"{runtime.api_url}/stores", json=registration | secrets).json()["issued"]["api_token"]
        code = api(runtime, "POST", f"/stores/{destination.store.store_id}/verification-code", destination.api_token)
        request = {
            "verification_code": code.json()["verification_code"],
            "channel_name": "Second",
            "locations": {location.id: destination.level.location_id},
        }
        link_id = api(runtime, "POST", "/links", token, json=request).json()["link_id"]
        api(runtime, "POST", f"/links/{link_id}/grant", destination.api_token)
        runtime.drain()
        # Then the shirt is excluded there, naming the link it already sells through
        excluded = api(runtime, "GET", f"/links/{link_id}/mappings?state=excluded", token).json()["mappings"]
        assert [m["reason"] for m in excluded] == [f"already sells a source variant through link {stores.link.link_id}"]
