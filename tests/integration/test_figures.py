"""The figures on template.yaml's resources in moto server: each mirror's save adds to the daily counters in its
own transaction (once, however it is saved or retried), a range of days is one Query, and the management API sums
them over the merchant's days, only for the link's stores."""

import os
from datetime import UTC, date, datetime
from decimal import Decimal

import boto3
import httpx
import pytest

from storelink.adapters.figures import DynamoDbFigures
from storelink.adapters.order_mirrors import DynamoDbOrderMirrors
from storelink.domain.figures import FigureKind, counted, link_owner, source_owner, sync_lag_update
from storelink.domain.mirrors import MirrorLine, OrderMirror, PartStatus, SourcePart
from storelink.domain.orders import SalesChannel
from storelink.errors import Conflict
from storelink_local.runtime import LocalRuntime
from tests.integration.parties import linked_with_tokens

LINK = "figures-link"
# A day of propagations on the link: 19 within 250 ms, one within 2 s; and on another link from its source, 5
# within 60 s, which none of the link's figures may count.
LAGS = {LINK: [180] * 19 + [1_500], "figures-other-link": [45_000] * 5}


def a_mirror(number: int, created_at: datetime, *, currency: str = "GBP") -> OrderMirror:
    line = MirrorLine(
        line_id="line-1",
        title="Shirt",
        sku="SHIRT",
        destination_variant_id="shirt",
        source_variant_id="source-shirt",
        quantity=2,
        unit_price=Decimal("30.00"),
    )
    return OrderMirror(
        destination_store_id="figures-outlet",
        order_id=f"gid://shopify/Order/{number}",
        order_name=f"#{number}",
        created_at=created_at,
        channel=SalesChannel.WEB,
        currency=currency,
        parts={LINK: SourcePart(link_id=LINK, source_store_id="figures-main", lines=(line,))},
    )


def pushed(mirror: OrderMirror) -> OrderMirror:
    part = mirror.parts[LINK].model_copy(
        update={"status": PartStatus.PUSHED, "source_order_id": f"{mirror.order_id}00", "source_order_name": "#S"}
    )
    return mirror.with_part(part).model_copy(update={"version": mirror.version + 1})


@pytest.fixture(scope="module")
def figures(runtime: LocalRuntime) -> DynamoDbFigures:
    return DynamoDbFigures(boto3.resource("dynamodb").Table(os.environ["FIGURES_TABLE_NAME"]))


@pytest.fixture(scope="module")
def tokens(runtime: LocalRuntime, figures: DynamoDbFigures) -> dict[str, str]:
    """The link's two stores and a stranger; orders either side of midnight UTC on 30 November, one pushed, one
    in another currency; a day of the stock path's measures."""
    issued = linked_with_tokens(LINK, "figures-main", "figures-outlet", "figures-stranger")
    mirrors = DynamoDbOrderMirrors(
        boto3.resource("dynamodb").Table(os.environ["ORDER_MIRRORS_TABLE_NAME"]), os.environ["FIGURES_TABLE_NAME"]
    )
    first = a_mirror(1, datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    assert mirrors.create(first)
    mirrors.save(pushed(counted(first)))
    assert mirrors.create(a_mirror(2, datetime(2026, 12, 1, 0, 30, tzinfo=UTC), currency="EUR"))
    figures.add([sync_lag_update("figures-main", date(2026, 11, 30), LAGS)])
    return issued


def test_a_save_adds_only_what_changed_and_a_conflicting_save_adds_nothing(
    tokens: dict[str, str], figures: DynamoDbFigures
) -> None:
    # Given the first order mirrored not pushed, then saved pushed: the link's item of 30 November
    (orders, products) = figures.days(link_owner(LINK), date(2026, 11, 30), date(2026, 11, 30))
    # Then it holds one order at 22:00 UTC, pushed and no longer not pushed, and its product with its name
    assert (orders.kind, products.kind) == (FigureKind.ORDERS, FigureKind.PRODUCTS)
    assert orders.counters == {
        "22#orders": 1,
        "22#status#pushed": 1,
        "22#status#not_pushed": 0,
        "22#units": 2,
        "22#revenue#GBP": Decimal("60"),
    }
    assert products.counters == {"product#source-shirt#units": 2, "product#source-shirt#value#GBP": Decimal(60)}
    assert products.names == {"source-shirt": "Shirt (SHIRT)"}
    # When a stale save of the same order is tried (its version taken meanwhile)
    mirrors = DynamoDbOrderMirrors(
        boto3.resource("dynamodb").Table(os.environ["ORDER_MIRRORS_TABLE_NAME"]), os.environ["FIGURES_TABLE_NAME"]
    )
    stale = counted(a_mirror(1, datetime(2026, 11, 30, 22, 30, tzinfo=UTC)))
    with pytest.raises(Conflict):
        mirrors.save(stale.model_copy(update={"version": 1, "cancelled_at": datetime(2026, 12, 1, tzinfo=UTC)}))
    # Then the figures are as they were, and the mirror read back knows what it counted
    (again, _) = figures.days(link_owner(LINK), date(2026, 11, 30), date(2026, 11, 30))
    assert again.counters == orders.counters
    kept = mirrors.get("figures-outlet", "gid://shopify/Order/1")
    assert kept is not None
    assert kept == counted(kept)


def test_a_sources_propagations_keep_every_links_lag_in_one_item_of_the_day(
    tokens: dict[str, str], figures: DynamoDbFigures
) -> None:
    # Given a batch's lags on two links from the source, added in one update
    # When the source's items of the day are read
    [item] = figures.days(source_owner("figures-main"), date(2026, 11, 30), date(2026, 11, 30))
    # Then one item holds each link's histogram under its own counters
    assert item.counters == {"figures-link#lag#250": 19, "figures-link#lag#2000": 1, "figures-other-link#lag#60000": 5}


def figures_of(runtime: LocalRuntime, token: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{runtime.api_url}{path}/figures", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_a_links_figures_over_a_day_in_new_york_sum_two_utc_days(runtime: LocalRuntime, tokens: dict[str, str]) -> None:
    # When the source reads 30 November in New York (05:00 UTC on 30 November to 05:00 UTC on 1 December)
    answer = figures_of(
        runtime,
        tokens["figures-main"],
        f"/links/{LINK}",
        **{"from": "2026-11-30", "to": "2026-11-30", "time_zone": "America/New_York"},
    )
    # Then both orders count, each in its state, with revenue per currency, never converted
    assert answer.status_code == 200, answer.text
    body = answer.json()
    orders = body["orders"]
    assert (orders["received"], orders["pushed"], orders["not_pushed"], orders["units"]) == (2, 1, 1, 4)
    assert orders["revenue"] == {"EUR": "60.00", "GBP": "60.00"}
    assert [(day["day"], day["orders"]) for day in body["days"]] == [("2026-11-30", 2)]
    assert [(one["name"], one["units"]) for one in body["top_products_by_units"]] == [("Shirt (SHIRT)", 4)]
    # And the stock path's lag is read from the link's histogram in its source's item of the day, not the other's
    assert body["stock"]["sync_lag"] == {
        "propagations": 20,
        "p50_ms": 250,
        "p95_ms": 250,
        "buckets": {"250": 19, "2000": 1},
    }
    assert body["period"]["since"] == "2026-11-30T00:00:00-05:00"


def test_a_stores_figures_are_its_own_orders_and_its_suppliers(runtime: LocalRuntime, tokens: dict[str, str]) -> None:
    # When the destination reads its own figures over December's first day and November's last, in UTC
    answer = figures_of(
        runtime, tokens["figures-outlet"], "/stores/figures-outlet", **{"from": "2026-11-30", "to": "2026-12-01"}
    )
    # Then its orders are counted once each, each day on its own, and its source ranks as its supplier
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["orders"]["received"] == 2
    assert [(day["day"], day["orders"], day["revenue"]) for day in body["days"]] == [
        ("2026-11-30", 1, {"GBP": "60.00"}),
        ("2026-12-01", 1, {"EUR": "60.00"}),
    ]
    assert [(one["key"], one["units"]) for one in body["top_sources_by_units"]] == [("figures-main", 4)]
    assert [(link["link_id"], link["role"], link["status"]) for link in body["links"]] == [
        (LINK, "destination", "connected")
    ]
    # And the source's figures show what its destination took from it, through its link
    source = figures_of(
        runtime, tokens["figures-main"], "/stores/figures-main", **{"from": "2026-11-30", "to": "2026-12-01"}
    ).json()
    assert [(link["link_id"], link["role"]) for link in source["links"]] == [(LINK, "source")]
    assert (source["orders"]["received"], source["supplied"]["received"], source["supplied"]["units"]) == (0, 2, 4)
    assert source["stock"]["sync_lag"]["propagations"] == 20


def test_only_the_links_stores_and_the_store_itself_read_figures(runtime: LocalRuntime, tokens: dict[str, str]) -> None:
    # When a stranger reads the link's figures and the destination's, and the destination mixes range and from
    stranger = tokens["figures-stranger"]
    link = figures_of(runtime, stranger, f"/links/{LINK}")
    store = figures_of(runtime, stranger, "/stores/figures-outlet")
    mixed = figures_of(runtime, tokens["figures-outlet"], f"/links/{LINK}", range="7d", **{"from": "2026-12-01"})
    # Then neither is found for the stranger, and the mixed range is refused saying why
    assert (link.status_code, store.status_code) == (404, 404)
    assert mixed.status_code == 422
    assert "either range or from/to" in mixed.json()["error"]["message"]
