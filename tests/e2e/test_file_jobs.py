"""Files of any size end to end (docs/files.md): a job's presigned URL takes the upload over real HTTP, S3's
notification reaches FileJobsQueue on moto server, FileJobsFunction applies every row or none, and the job says
how it went; an export asked for through the API is written by FileJobsFunction and downloaded through its
presigned URL, the same bytes as its direct route answers."""

import csv
import io
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest

from storelink.domain.links import Link
from storelink.domain.manual_stores import ManualVariant
from storelink.settings import ManualStoresTable
from storelink_local.runtime import LocalRuntime
from storelink_local.scenario import (
    SKU,
    LinkedManualStore,
    LinkedStores,
    ManagementApi,
    link_shops,
    registered_manual_store,
)
from tests.e2e.conftest import ShopMaker, unique_name

pytestmark = pytest.mark.contract


@dataclass(frozen=True)
class LinkedParties:
    source: LinkedManualStore
    destination: LinkedManualStore
    link: Link


# Enough rows for many pages of each catalogue and of SKU map writes; bench/file_jobs.py measures 50,000.
ROWS = 500


# A safety net against a runtime that never answers, as ManagementApi's. httpx's own default (5 s) is no bound of
# storelink's, yet it failed this module on a loaded machine: the direct mappings.csv of a ROWS-variant link takes
# 2.9 s at a load average of 8 on 2 cores (0.3 s quiet).
CLIENT_TIMEOUT_SECONDS = 30


def api(runtime: LocalRuntime, method: str, path: str, token: str, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, f"{runtime.api_url}{path}", headers=headers, timeout=CLIENT_TIMEOUT_SECONDS, **kwargs)  # type: ignore[arg-type]


def add_variants(store: LinkedManualStore, prefix: str, count: int) -> list[str]:
    """`count` variants with SKUs `{prefix}-{n}` put straight into the manual store's table, as a catalogue that
    was there before (entered through the API one by one, they would take minutes); their ids in order."""
    table = boto3.resource("dynamodb").Table(ManualStoresTable.from_env().manual_stores_table_name)
    variants = [
        ManualVariant(
            variant_id=f"{prefix}-{n:06}",
            product_id=f"{prefix}-P{n // 100}",
            product_title=prefix,
            title=str(n),
            sku=f"{prefix}-{n}",
            available=0,
        )
        for n in range(count)
    ]
    with table.batch_writer() as batch:
        for variant in variants:
            batch.put_item(
                Item={"pk": store.store.store_id, "sk": f"variant#{variant.variant_id}", **variant.model_dump()}
            )
    return [variant.variant_id for variant in variants]


def mappings_file(pairs: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["destination_variant_id", "source_variant_id"])
    writer.writerows(pairs)
    return out.getvalue().encode()


def upload(runtime: LocalRuntime, token: str, link_id: str, body: bytes, *, path: str | None = None) -> dict[str, Any]:
    """A mappings import job made (or one at `path`), its file PUT to the presigned URL as any HTTP client would,
    S3's notification delivered to FileJobsFunction; the job as the API then shows it."""
    path = path or f"/links/{link_id}/mappings/imports"
    started = api(runtime, "POST", path, token, json={"size": len(body)})
    assert started.status_code == 201, started.text
    job, target = started.json()["job"], started.json()["upload"]
    assert job["state"] == "awaiting_upload"
    put = httpx.request(
        target["method"], target["url"], content=body, headers=target["headers"], timeout=CLIENT_TIMEOUT_SECONDS
    )
    assert put.status_code == 200, put.text
    runtime.drain()
    answer = api(runtime, "GET", f"/jobs/{job['job_id']}", token)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture
def unmatched(runtime: LocalRuntime, request: pytest.FixtureRequest) -> tuple[LinkedParties, list[str], list[str]]:
    """Two manual stores linked, each with ROWS more variants whose SKUs match nothing, the grant's matching done;
    and the destination's and the source's variant ids."""
    api, name = ManagementApi(runtime), unique_name(request)
    source, _ = registered_manual_store(api, f"Warehouse {name}", 12)
    destination, code = registered_manual_store(api, f"Stall {name}", 12)
    runtime.drain()  # the products registration added, told before the catalogues grow
    source_ids, destination_ids = add_variants(source, "SRC", ROWS), add_variants(destination, "DST", ROWS)
    link = link_shops(api, source, destination, code, channel_name="Stall")
    runtime.drain()
    return LinkedParties(source, destination, link), destination_ids, source_ids


def test_a_large_mappings_file_uploaded_through_its_url_is_applied_whole(
    runtime: LocalRuntime, unmatched: tuple[LinkedParties, list[str], list[str]]
) -> None:
    # Given ROWS destination variants whose SKUs the source does not share, matched by nothing
    stores, destination_ids, source_ids = unmatched
    destination, source, link_id = stores.destination, stores.source, stores.link.link_id
    # When the destination uploads a file mapping each of them by hand
    pairs = list(zip(destination_ids, source_ids, strict=True))
    job = upload(runtime, destination.api_token, link_id, mappings_file(pairs))
    # Then every row was read and applied, and the map says so
    assert (job["state"], job["rows_read"], job["rows_applied"], job["errors"]) == ("applied", ROWS, ROWS, [])
    matched = api(runtime, "GET", f"/links/{link_id}/mappings?state=matched&limit=100", source.api_token).json()
    by_hand = {m["destination_variant_id"]: m["source_variant_id"] for m in matched["mappings"] if m["manual"]}
    assert by_hand
    assert all(d.replace("DST", "SRC") == s for d, s in by_hand.items())
    unmatched_left = api(runtime, "GET", f"/links/{link_id}/mappings?state=unmatched", source.api_token).json()
    assert unmatched_left["mappings"] == []


def test_one_bad_row_of_a_large_file_applies_nothing_and_the_job_names_it(
    runtime: LocalRuntime, unmatched: tuple[LinkedParties, list[str], list[str]]
) -> None:
    # Given a file of ROWS valid mappings but one, deep in the file, naming a source variant that does not exist
    stores, destination_ids, source_ids = unmatched
    destination, link_id = stores.destination, stores.link.link_id
    pairs = list(zip(destination_ids, source_ids, strict=True))
    pairs[ROWS - 7] = (destination_ids[ROWS - 7], "gid://shopify/ProductVariant/404")
    # When it is uploaded through a job
    job = upload(runtime, destination.api_token, link_id, mappings_file(pairs))
    # Then nothing was applied, and the job names the row (the header is row 1) and why
    assert (job["state"], job["rows_read"], job["rows_applied"], job["error_count"]) == ("refused", ROWS, 0, 1)
    [error] = job["errors"]
    assert error["row_number"] == ROWS - 7 + 2
    assert error["message"] == "no source variant gid://shopify/ProductVariant/404 in the source catalogue"
    matched = api(runtime, "GET", f"/links/{link_id}/mappings?state=matched", destination.api_token).json()
    assert not [m for m in matched["mappings"] if m["manual"]]


def test_a_job_is_its_stores_alone_and_the_source_cannot_start_one(runtime: LocalRuntime, stores: LinkedStores) -> None:
    destination, source, link_id = stores.destination, stores.source, stores.link.link_id
    runtime.drain()
    # Given a job the destination made
    made = api(runtime, "POST", f"/links/{link_id}/mappings/imports", destination.api_token, json={"size": 10})
    job_id = made.json()["job"]["job_id"]
    # Then the other store of the link does not see it, and may not change the map
    assert api(runtime, "GET", f"/jobs/{job_id}", source.api_token).status_code == 404
    refused = api(runtime, "POST", f"/links/{link_id}/mappings/imports", source.api_token, json={"size": 10})
    assert refused.status_code == 403
    # And a file over the cap gets no URL
    too_large = api(runtime, "POST", f"/links/{link_id}/mappings/imports", destination.api_token, json={"size": 2**40})
    assert too_large.status_code == 413
    assert too_large.json()["error"]["code"] == "payload_too_large"


def exported(runtime: LocalRuntime, token: str, path: str, **kwargs: object) -> tuple[dict[str, Any], bytes]:
    """An export job asked for at `path`, run by FileJobsFunction from the queue; the job as the API then shows it
    and its file, downloaded through the job's URL as any HTTP client would."""
    started = api(runtime, "POST", path, token, **kwargs)
    assert started.status_code == 202, started.text
    runtime.drain()
    job = api(runtime, "GET", f"/jobs/{started.json()['job_id']}", token).json()
    assert job["state"] == "ready", job
    download = httpx.get(job["download"]["url"], timeout=CLIENT_TIMEOUT_SECONDS)
    assert download.status_code == 200, download.text
    return job, download.content


def direct(runtime: LocalRuntime, token: str, path: str, **kwargs: object) -> bytes:
    answer = api(runtime, "GET", path, token, **kwargs)
    assert answer.status_code == 200, answer.text
    return answer.content


def test_a_links_map_exported_through_its_url_is_the_direct_routes_csv(
    runtime: LocalRuntime, unmatched: tuple[LinkedParties, list[str], list[str]]
) -> None:
    # Given a link with ROWS destination variants unmatched beside the matched ones
    stores, _, _ = unmatched
    source, link_id = stores.source, stores.link.link_id
    # When its source exports the map
    job, file = exported(runtime, source.api_token, f"/links/{link_id}/mappings/exports")
    # Then the file downloaded is the direct route's CSV, a row per entry of the map
    assert file == direct(runtime, source.api_token, f"/links/{link_id}/mappings.csv")
    assert job["rows"] == file.count(b"\n") - 1 >= ROWS


def test_a_stores_stock_exported_through_its_url_is_the_direct_routes_csv(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    source = stores.source
    store_id = source.store.store_id
    runtime.drain()
    job, file = exported(runtime, source.api_token, f"/stores/{store_id}/stock/exports")
    assert file == direct(runtime, source.api_token, f"/stores/{store_id}/stock.csv")
    assert job["rows"] == file.count(b"\n") - 1 > 0
    # And another store may not export it
    assert api(runtime, "POST", f"/stores/{store_id}/stock/exports", stores.destination.api_token).status_code == 404


def test_a_pushed_orders_report_exported_through_its_url_is_the_direct_routes_csv_for_the_same_filters(
    runtime: LocalRuntime, shops: ShopMaker
) -> None:
    # Given a destination that sold twice, each order pushed to its source
    source, destination = shops.shop("expsrc", 12), shops.shop("expdst", 12)
    link_id = shops.link(source, destination)
    runtime.drain()
    for quantity in (2, 1):
        destination.sandbox.place_order([{"variant_id": destination.variant_id, "quantity": quantity, "price": "9.50"}])
        runtime.drain()
    # When the destination exports its pushed orders of today in Tokyo
    filters = {"status": "pushed", "time_zone": "Asia/Tokyo"}
    job, file = exported(
        runtime, destination.api_token, f"/links/{link_id}/reports/pushed-orders/exports", json=filters
    )
    # Then the file is the report's CSV for the same filters, both orders in it
    query = {"status": "pushed", "time_zone": "Asia/Tokyo"}
    report = direct(runtime, destination.api_token, f"/links/{link_id}/reports/pushed-orders.csv", params=query)
    assert file == report
    assert job["rows"] == 2
    assert [row["units"] for row in csv.DictReader(io.StringIO(file.decode()))] == ["1", "2"]


def test_a_stock_file_uploaded_through_its_url_is_written_whole_and_one_bad_row_writes_nothing(
    runtime: LocalRuntime, stores: LinkedStores
) -> None:
    # Given a source with 12 shirts at its Warehouse
    source = stores.source
    store_id, imports = source.store.store_id, f"/stores/{source.store.store_id}/stock/imports"
    runtime.drain()
    assert source.available == 12
    # When a stock file whose second row names a SKU the store does not sell is uploaded through a job
    bad = f"sku,location,set\n{SKU},Warehouse,30\nNO-SUCH-SKU,Warehouse,5\n".encode()
    refused = upload(runtime, source.api_token, "", bad, path=imports)
    # Then nothing was written, and the job names the row (the header is row 1) and why
    assert (refused["state"], refused["rows_read"], refused["rows_applied"], refused["error_count"]) == (
        "refused",
        2,
        0,
        1,
    )
    [error] = refused["errors"]
    assert (error["row_number"], error["column"], error["message"]) == (3, "sku", "no variant has SKU NO-SUCH-SKU")
    assert source.available == 12
    # When the file of the good row alone is uploaded
    applied = upload(runtime, source.api_token, "", f"sku,location,set\n{SKU},Warehouse,30\n".encode(), path=imports)
    # Then it was written, and the store's stock reads so
    assert (applied["state"], applied["rows_read"], applied["rows_applied"]) == ("applied", 1, 1)
    assert source.available == 30
    assert f"{SKU},".encode() in direct(runtime, source.api_token, f"/stores/{store_id}/stock.csv")
    # And another store may not start one
    assert api(runtime, "POST", imports, stores.destination.api_token, json={"size": 10}).status_code == 404
