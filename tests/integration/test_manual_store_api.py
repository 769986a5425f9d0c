"""A manual (offline) store through the management API of the local runtime (moto server): registration with a
name, products and the catalogue CSV, orders entered one by one and from a CSV, fulfilled and cancelled by hand,
each refusal a clear 4xx with nothing half-applied, and a store's token reaching only its own books."""

import uuid
from typing import Any

import httpx
import pytest

from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import SKU, LinkedManualStore, ManagementApi, registered_manual_store


@pytest.fixture
def api(runtime: LocalRuntime) -> ManagementApi:
    return ManagementApi(runtime)


@pytest.fixture
def stall(api: ManagementApi) -> LinkedManualStore:
    store, _ = registered_manual_store(api, f"Market stall {uuid.uuid4().hex[:6]}", 10)
    return store


def call(runtime: LocalRuntime, method: str, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, f"{runtime.api_url}{path}", headers=headers, timeout=30, **kwargs)


def test_a_manual_store_registers_with_its_name_once(runtime: LocalRuntime, api: ManagementApi) -> None:
    name = f"Phone desk {uuid.uuid4().hex[:6]}"
    # When a manual store registers with its name
    registered = api.call("POST", "/stores", body={"platform": "manual", "name": name})
    # Then it is kept with its name as its shop, issued a token and a code, and has no webhooks to register
    assert registered["store"]["platform"] == "manual"
    assert registered["store"]["shop_domain"].endswith(".manual")
    assert registered["issued"]["api_token"].startswith("sl_")
    assert registered["webhooks_registered"] == []
    # And the same name again is refused as a duplicate, naming the store that has it
    again = call(runtime, "POST", "/stores", None, json={"platform": "manual", "name": name})
    assert again.status_code == 409, again.text
    assert registered["store"]["store_id"] in again.json()["error"]["message"]
    # And credentials or an address sent with it are refused, naming them
    odd = call(runtime, "POST", "/stores", None, json={"platform": "manual", "name": "x", "shop_domain": "x.com"})
    assert odd.status_code == 422, odd.text
    assert "shop_domain" in odd.json()["error"]["message"]


def test_an_order_entered_by_hand_sells_from_its_stock_once(runtime: LocalRuntime, stall: LinkedManualStore) -> None:
    store_id, token = stall.store.store_id, stall.api_token
    # When the merchant enters a phone order of 3 shirts with their own reference
    entry = {"reference": "PHONE-1", "lines": [{"sku": SKU, "quantity": 3, "unit_price": "25.00"}]}
    entered = call(runtime, "POST", f"/stores/{store_id}/orders", token, json=entry)
    # Then it is kept, and the stall's stock went from 10 to 7
    assert entered.status_code == 201, entered.text
    order = entered.json()["order"]
    assert ([line["quantity"] for line in order["lines"]], order["total"]) == ([3], "75.00")
    assert stall.available == 7
    # And the same reference again (a form sent twice) is refused, selling nothing more
    again = call(runtime, "POST", f"/stores/{store_id}/orders", token, json=entry)
    assert again.status_code == 409, again.text
    assert "PHONE-1" in again.json()["error"]["message"]
    assert stall.available == 7
    # And more than it has is refused naming the SKU and what is left; an unknown SKU names the line
    short = {"lines": [{"sku": SKU, "quantity": 8}]}
    refused = call(runtime, "POST", f"/stores/{store_id}/orders", token, json=short)
    assert refused.status_code == 409
    assert "LINEN-SHIRT-M: 8 sold, 7 in stock" in refused.json()["error"]["message"]
    unknown = call(
        runtime, "POST", f"/stores/{store_id}/orders", token, json={"lines": [{"sku": "NOPE", "quantity": 1}]}
    )
    assert unknown.status_code == 422
    assert "line 1: sku NOPE is not in this store" in unknown.json()["error"]["message"]
    assert stall.available == 7


def test_an_order_is_fulfilled_and_cancelled_by_hand(runtime: LocalRuntime, stall: LinkedManualStore) -> None:
    store_id, token = stall.store.store_id, stall.api_token
    orders = f"/stores/{store_id}/orders"
    first = call(runtime, "POST", orders, token, json={"lines": [{"sku": SKU, "quantity": 2}]}).json()
    second = call(runtime, "POST", orders, token, json={"lines": [{"sku": SKU, "quantity": 1}]}).json()
    assert stall.available == 7
    # When the first ships with tracking and the second is cancelled
    tracking = {"tracking": {"company": "DHL", "number": "JD0146"}}
    shipped = call(runtime, "POST", f"{orders}/{first['order']['order_id']}/fulfil", token, json=tracking)
    cancelled = call(runtime, "POST", f"{orders}/{second['order']['order_id']}/cancel", token)
    # Then the first is fulfilled with its tracking; the second is cancelled and its unit back in stock
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["order"]["fulfillment_status"] == "fulfilled"
    assert shipped.json()["shipments"][0]["tracking"]["number"] == "JD0146"
    assert cancelled.json()["order"]["cancelled_at"] is not None
    assert stall.available == 8
    # And cancelling it again is refused, giving nothing back twice
    assert call(runtime, "POST", f"{orders}/{second['order']['order_id']}/cancel", token).status_code == 409
    assert stall.available == 8
    # And the store lists both, newest first
    listed = call(runtime, "GET", orders, token).json()["orders"]
    assert [o["order"]["order_id"] for o in listed] == [second["order"]["order_id"], first["order"]["order_id"]]


def test_the_catalogue_round_trips_as_csv_all_rows_or_none(runtime: LocalRuntime, stall: LinkedManualStore) -> None:
    store_id, token = stall.store.store_id, stall.api_token
    exported = call(runtime, "GET", f"/stores/{store_id}/catalogue.csv", token)
    assert exported.status_code == 200
    lines = exported.text.splitlines()
    assert lines[0] == "variant_id,product_id,product_title,title,sku,barcode,stock"
    assert any(SKU in line and line.endswith(",10") for line in lines)
    # Given the export with the shirt at 14, a new colour of scarf, and a row whose stock is not a number
    shirt = next(line for line in lines if SKU in line).rsplit(",", 1)[0] + ",14"
    bad = "\n".join([lines[0], shirt, ",,Wool scarf,Red,WOOL-SCARF-RED,,4", ",,Wool scarf,Blue,,,many"])
    # When it is imported, Then nothing is applied and the bad row is named
    refused = call(runtime, "POST", f"/stores/{store_id}/catalogue.csv", token, content=bad)
    assert refused.status_code == 422
    assert [(e["row_number"], e["column"]) for e in refused.json()["errors"]] == [(4, "stock")]
    assert stall.available == 10
    # When the good rows alone are imported, Then the shirt is at 14 and the scarf has its new colour
    good = "\n".join(bad.splitlines()[:3])
    applied = call(runtime, "POST", f"/stores/{store_id}/catalogue.csv", token, content=good)
    assert applied.status_code == 200, applied.text
    assert (len(applied.json()["created"]), len(applied.json()["changed"])) == (1, 1)
    assert stall.available == 14
    scarves = [
        line
        for line in call(runtime, "GET", f"/stores/{store_id}/catalogue.csv", token).text.splitlines()
        if "Wool scarf" in line
    ]
    assert len(scarves) == 2
    assert len({line.split(",")[1] for line in scarves}) == 1  # one product, two variants


def test_orders_import_from_csv_all_or_none(runtime: LocalRuntime, stall: LinkedManualStore) -> None:
    store_id, token = stall.store.store_id, stall.api_token
    header = "reference,sku,quantity,unit_price,customer_name"
    # Given a day's stall sales where the last sells more scarves than the stall has (3)
    sheet = "\n".join(
        [header, f"S-1,{SKU},2,25,Ada Lovelace", "S-1,CANVAS-TOTE,1,12.5,Ada Lovelace", "S-2,WOOL-SCARF-GREY,4,18,"]
    )
    refused = call(runtime, "POST", f"/stores/{store_id}/orders.csv", token, content=sheet)
    # Then nothing is entered, and the order is named
    assert refused.status_code == 422, refused.text
    assert "S-2: not enough stock" in refused.json()["errors"][0]["message"]
    assert stall.available == 10
    # When the sheet is corrected, a dry run first
    sheet = sheet.replace("WOOL-SCARF-GREY,4", "WOOL-SCARF-GREY,3")
    dry = call(runtime, "POST", f"/stores/{store_id}/orders.csv?dry_run=true", token, content=sheet)
    assert (dry.json()["applicable"], dry.json()["applied"], len(dry.json()["orders"])) == (True, False, 2)
    assert stall.available == 10
    applied = call(runtime, "POST", f"/stores/{store_id}/orders.csv", token, content=sheet)
    # Then both orders are entered, the shirt's stock down by 2, and importing the file again is refused
    assert applied.status_code == 200, applied.text
    assert [o["name"] for o in applied.json()["orders"]] == ["#1001", "#1002"]
    assert stall.available == 8
    again = call(runtime, "POST", f"/stores/{store_id}/orders.csv", token, content=sheet)
    assert again.status_code == 422
    assert "S-1: order S-1 was entered already" in again.json()["errors"][0]["message"]
    assert stall.available == 8


def test_a_store_reaches_only_its_own_books(
    runtime: LocalRuntime, api: ManagementApi, stall: LinkedManualStore
) -> None:
    other, _ = registered_manual_store(api, f"Other stall {uuid.uuid4().hex[:6]}", 5)
    entered = call(
        runtime,
        "POST",
        f"/stores/{stall.store.store_id}/orders",
        stall.api_token,
        json={"lines": [{"sku": SKU, "quantity": 1}]},
    ).json()
    # Then another store's token sees neither its catalogue nor its orders, nor enters one there
    for method, path in [
        ("GET", f"/stores/{stall.store.store_id}/catalogue.csv"),
        ("GET", f"/stores/{stall.store.store_id}/orders"),
        ("GET", f"/stores/{stall.store.store_id}/orders/{entered['order']['order_id']}"),
        ("POST", f"/stores/{stall.store.store_id}/orders/{entered['order']['order_id']}/cancel"),
    ]:
        assert call(runtime, method, path, other.api_token).status_code == 404
    # And its own order id is no order of the other store
    assert (
        call(
            runtime, "GET", f"/stores/{other.store.store_id}/orders/{entered['order']['order_id']}", other.api_token
        ).status_code
        == 404
    )
    assert stall.available == 9
