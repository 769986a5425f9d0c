"""Order mirrors in DynamoDB (template.yaml's OrderMirrorsTable on moto server): created once, written
compare-and-set, listed per link by status and date, found from the source's order."""

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest

from storelink.adapters.order_mirrors import DynamoDbOrderMirrors
from storelink.domain.mirrors import MirrorLine, MirrorStatus, OrderMirror, PartStatus, SourcePart
from storelink.domain.orders import SalesChannel
from storelink.errors import Conflict
from storelink_local.runtime import LocalRuntime

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def mirrors(runtime: LocalRuntime) -> DynamoDbOrderMirrors:
    return DynamoDbOrderMirrors(
        boto3.resource("dynamodb").Table(os.environ["ORDER_MIRRORS_TABLE_NAME"]), os.environ["FIGURES_TABLE_NAME"]
    )


def a_mirror(number: int, link_id: str, *, days_ago: int = 0) -> OrderMirror:
    line = MirrorLine(
        line_id="line-1",
        title="Shirt",
        sku="SHIRT",
        destination_variant_id="shirt",
        source_variant_id="source-shirt",
        quantity=1,
        unit_price=Decimal("30.00"),
    )
    return OrderMirror(
        destination_store_id="repo-outlet",
        order_id=f"gid://shopify/Order/{number}",
        order_name=f"#{number}",
        created_at=NOW - timedelta(days=days_ago),
        channel=SalesChannel.WEB,
        currency="EUR",
        parts={link_id: SourcePart(link_id=link_id, source_store_id="repo-main", lines=(line,))},
    )


def test_a_mirror_is_created_once_and_written_compare_and_set(mirrors: DynamoDbOrderMirrors) -> None:
    # Given a mirror created once (a second create of the same order is refused)
    mirror = a_mirror(1, "repo-link-cas")
    assert mirrors.create(mirror)
    assert not mirrors.create(mirror)
    # When two writers both change version 0 into version 1
    pushed = mirror.with_part(
        mirror.parts["repo-link-cas"].model_copy(
            update={
                "status": PartStatus.PUSHED,
                "source_order_id": "gid://shopify/Order/77",
                "source_order_name": "#S1",
            }
        )
    )
    mirrors.save(pushed.model_copy(update={"version": 1}))
    # Then the second is refused, and the first is found from its source order too
    with pytest.raises(Conflict):
        mirrors.save(mirror.model_copy(update={"version": 1}))
    found = mirrors.by_source_order("repo-main", "gid://shopify/Order/77")
    assert found is not None
    assert found.status is MirrorStatus.PUSHED
    assert mirrors.get("repo-outlet", "1") == found  # by the API's order ref too


def test_a_links_orders_are_listed_by_status_and_date_newest_first(mirrors: DynamoDbOrderMirrors) -> None:
    # Given three not-pushed orders of 1, 5 and 9 days ago on one link, and one on another link
    for number, days_ago in ((11, 1), (12, 5), (13, 9)):
        mirrors.create(a_mirror(number, "repo-link-list", days_ago=days_ago))
    mirrors.create(a_mirror(14, "repo-link-other"))
    # When the link's not-pushed orders of the last week are listed two at a time
    seen, cursor = [], None
    while True:
        page, cursor = mirrors.page_of_link(
            "repo-link-list", MirrorStatus.NOT_PUSHED, since=NOW - timedelta(days=7), until=NOW, limit=2, cursor=cursor
        )
        seen += [summary.order_name for summary in page]
        if cursor is None:
            break
    # Then the two of this week come, newest first, and nothing of the other link
    assert seen == ["#11", "#12"]
    pushed, _ = mirrors.page_of_link(
        "repo-link-list", MirrorStatus.PUSHED, since=NOW - timedelta(days=30), until=NOW, limit=10, cursor=None
    )
    assert pushed == []
