"""The DynamoDB repositories on template.yaml's tables in moto server: transactions, claims, compare-and-set."""

import os
from datetime import UTC, datetime

import boto3
import pytest

from storelink.adapters.dynamodb import (
    DynamoDbAppliedLevels,
    DynamoDbCatchUpMarks,
    DynamoDbGiveBackLedgers,
    DynamoDbLinks,
    DynamoDbOversells,
    DynamoDbParkedWork,
    DynamoDbSkuMaps,
    DynamoDbStores,
    DynamoDbWaitingOrders,
)
from storelink.adapters.figures import DynamoDbFigures
from storelink.domain.events import OrderChanged
from storelink.domain.give_back import LineLedger
from storelink.domain.links import Action, LinkStatus, Role, SkuMapEntry, Transition
from storelink.domain.stock import InventoryRef, LevelClaim, Oversell
from storelink.domain.stores import Attention, ParkedMessage
from storelink.errors import Conflict
from storelink_local.runtime import LocalRuntime
from tests.builders import a_link, a_stock_change, a_store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def table(runtime: LocalRuntime):  # type: ignore[no-untyped-def]
    return boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])


def registered(store_id: str, **fields: str):  # type: ignore[no-untyped-def]
    defaults = {
        "credentials_fingerprint": f"fp-{store_id}",
        "verification_code_digest": f"code-{store_id}",
        "api_token_digest": f"token-{store_id}",
    }
    return a_store(store_id, **(defaults | fields))


def test_a_store_is_registered_with_its_claims_in_one_transaction(table) -> None:  # type: ignore[no-untyped-def]
    stores = DynamoDbStores(table)
    stores.register(registered("reg-one"))
    assert stores.get("reg-one") is not None
    assert stores.store_with_verification_code("code-reg-one") == "reg-one"


@pytest.mark.parametrize(
    ("fields", "what"),
    [
        ({"credentials_fingerprint": "fp-reg-taken"}, "these credentials are already registered as store reg-taken"),
        (
            {"shop_domain": "reg-taken.myshopify.com"},
            "shop reg-taken.myshopify.com is already registered as store reg-taken",
        ),
    ],
    ids=["same credentials", "same shop"],
)
def test_a_second_registration_names_the_existing_store_and_keeps_nothing(table, fields, what) -> None:  # type: ignore[no-untyped-def]
    # Given a registered store
    stores = DynamoDbStores(table)
    if stores.get("reg-taken") is None:
        stores.register(registered("reg-taken"))
    # When another store claims its credentials or its shop
    with pytest.raises(Conflict, match=what) as refused:
        stores.register(registered("reg-second", **fields))
    # Then the refusal names the existing store, and nothing of the second registration was kept
    assert refused.value.details == {"existing_store_id": "reg-taken"}
    assert stores.get("reg-second") is None
    assert stores.store_with_verification_code("code-reg-second") is None


def test_a_store_needs_attention_until_it_is_cleared_and_nothing_else_changes(table) -> None:  # type: ignore[no-untyped-def]
    # Given a registered store
    stores = DynamoDbStores(table)
    stores.register(registered("attention"))
    # When it is marked as needing attention, Then it says why and since when, its digests untouched
    stores.set_attention("attention", Attention(reason="StoreAccessRevoked: HTTP 401", since=NOW))
    marked = stores.get("attention")
    assert marked is not None
    assert marked.needs_attention == Attention(reason="StoreAccessRevoked: HTTP 401", since=NOW)
    assert marked.api_token_digest == "token-attention"
    # When it is cleared, Then it no longer needs attention; and a removed store is left alone
    stores.set_attention("attention", None)
    assert stores.get("attention") == registered("attention")
    stores.set_attention("never-registered", None)
    assert stores.get("never-registered") is None


def test_a_rotated_verification_code_stops_working_at_once(table) -> None:  # type: ignore[no-untyped-def]
    stores = DynamoDbStores(table)
    store = registered("reg-rotate")
    stores.register(store)
    stores.replace_secrets(store, api_token_digest=None, verification_code_digest="code-new")
    assert stores.store_with_verification_code("code-reg-rotate") is None
    assert stores.store_with_verification_code("code-new") == "reg-rotate"


def test_a_removed_store_frees_its_credentials_and_shop(table) -> None:  # type: ignore[no-untyped-def]
    stores = DynamoDbStores(table)
    store = registered("reg-removed")
    stores.register(store)
    stores.remove(store)
    stores.register(registered("reg-again", credentials_fingerprint="fp-reg-removed", shop_domain=store.shop_domain))
    assert stores.get("reg-again") is not None


def test_a_removed_store_leaves_no_parked_work_behind(table) -> None:  # type: ignore[no-untyped-def]
    # Given a store whose refused work was parked while it needed attention
    stores, parked_work = DynamoDbStores(table), DynamoDbParkedWork(table)
    store = registered("reg-parked")
    stores.register(store)
    parked = ParkedMessage(message_id="m-1", queue_arn="arn:q", body="{}", reason="StoreAccessRevoked", parked_at=NOW)
    parked_work.park(store.store_id, parked)
    # When the store is removed, Then its parked work goes with it
    stores.remove(store)
    assert parked_work.parked(store.store_id) == []


def test_a_stores_catch_up_mark_is_kept_beside_it_and_removed_with_it(table) -> None:  # type: ignore[no-untyped-def]
    # Given a store the catch-up has read up to a date
    stores, marks = DynamoDbStores(table), DynamoDbCatchUpMarks(table)
    store = registered("reg-caught-up")
    stores.register(store)
    assert marks.seen_until(store.store_id) is None
    marks.save(store.store_id, NOW)
    assert marks.seen_until(store.store_id) == NOW
    # When the store is removed, Then its mark goes with it
    stores.remove(store)
    assert marks.seen_until(store.store_id) is None


def test_connected_links_are_read_whole_by_their_keys(table) -> None:  # type: ignore[no-untyped-def]
    # Given a connected link and one disconnected
    links = DynamoDbLinks(table)
    links.add(a_link("whole-connected", source_store_id="whole-src", destination_store_id="whole-dst"))
    links.add(a_link("whole-gone", source_store_id="whole-src", status=LinkStatus.DISCONNECTED))
    # When the connected links are read (the status index keeps only their keys)
    connected = {link.link_id: link for link in links.connected_links()}
    # Then the connected one comes whole, parties included, and the other not at all
    assert connected["whole-connected"].destination_store_id == "whole-dst"
    assert "whole-gone" not in connected


def transition(to: LinkStatus) -> Transition:
    return Transition(
        action=Action.GRANT, by_store_id="d", role=Role.DESTINATION, at=NOW, from_status=None, to_status=to
    )


def test_link_writes_are_compare_and_set_on_the_version(table) -> None:  # type: ignore[no-untyped-def]
    # Given a link at version 1
    links = DynamoDbLinks(table)
    link = a_link("cas-link", version=1, status=LinkStatus.PENDING)
    links.create(link, transition(LinkStatus.PENDING))
    # When two writers both read version 1 and write version 2
    links.save(link.model_copy(update={"version": 2, "status": LinkStatus.CONNECTED}), transition(LinkStatus.CONNECTED))
    # Then the second is refused, and only the first change and its transition are kept
    with pytest.raises(Conflict, match="changed meanwhile"):
        links.save(link.model_copy(update={"version": 2, "status": LinkStatus.DENIED}), transition(LinkStatus.DENIED))
    assert links.get("cas-link").status is LinkStatus.CONNECTED
    transitions, _ = links.history("cas-link", limit=10, cursor=None)
    assert [t.to_status for t in transitions] == [LinkStatus.PENDING, LinkStatus.CONNECTED]


def test_a_stores_links_come_a_page_at_a_time_as_source_then_destination(table) -> None:  # type: ignore[no-untyped-def]
    links = DynamoDbLinks(table)
    for n in range(3):
        links.add(a_link(f"page-out-{n}", source_store_id="pager", destination_store_id=f"other-{n}"))
    for n in range(2):
        links.add(a_link(f"page-in-{n}", source_store_id=f"other-in-{n}", destination_store_id="pager"))
    seen, cursor = [], None
    while True:
        page, cursor = links.page_of_links("pager", limit=2, cursor=cursor)
        seen += [link.link_id for link in page]
        if cursor is None:
            break
    assert sorted(seen) == sorted([f"page-out-{n}" for n in range(3)] + [f"page-in-{n}" for n in range(2)])


def test_applied_levels_move_only_forward(table) -> None:  # type: ignore[no-untyped-def]
    # Given a change applied at 12:05
    applied = DynamoDbAppliedLevels(table)
    later = a_stock_change(5, changed_at=datetime(2026, 11, 23, 12, 5, tzinfo=UTC), delivery_id="later")
    assert applied.claim(later) == (LevelClaim.APPLY, None)
    # Then the queue's retry of it (as received then) applies, the same delivery received again is refused, an older
    # one is skipped, another one of the same second reads the source, and a newer one applies, each naming the level
    # the change before it carried
    assert applied.claim(later) == (LevelClaim.APPLY, 5)
    received_again = later.model_copy(update={"received_at": datetime(2026, 11, 23, 15, 0, tzinfo=UTC)})
    assert applied.claim(received_again) == (LevelClaim.DELIVERED_AGAIN, None)
    assert applied.claim(later) == (LevelClaim.APPLY, 5)
    assert applied.claim(a_stock_change(7, delivery_id="older")) == (LevelClaim.SKIP, None)
    same_second = later.model_copy(update={"delivery_id": "same-second"})
    assert applied.claim(same_second) == (LevelClaim.READ_SOURCE, 5)
    assert applied.claim(received_again) == (LevelClaim.DELIVERED_AGAIN, None)
    newer = a_stock_change(4, changed_at=datetime(2026, 11, 23, 12, 6, tzinfo=UTC))
    assert applied.claim(newer) == (LevelClaim.APPLY, 5)


def test_a_level_read_for_a_same_second_change_is_kept_for_the_next(table) -> None:  # type: ignore[no-untyped-def]
    # Given a change applied at 12:05 with 5, and another delivery of that second whose source read 3
    applied = DynamoDbAppliedLevels(table)
    at = datetime(2026, 11, 23, 12, 5, tzinfo=UTC)
    first = a_stock_change(5, changed_at=at, delivery_id="first", store_id="keep-read")
    same_second = first.model_copy(update={"delivery_id": "same-second", "available": 4})
    applied.claim(first)
    assert applied.claim(same_second) == (LevelClaim.READ_SOURCE, 5)
    # When the level read is kept, and kept again by a change older than the applied one
    applied.keep_read(same_second, 3)
    applied.keep_read(first.model_copy(update={"changed_at": datetime(2026, 11, 23, 12, 4, tzinfo=UTC)}), 9)
    # Then the same second's other deliveries still read the source, against 3, its first received again is refused,
    # and the next change goes against 3
    assert applied.claim(same_second) == (LevelClaim.READ_SOURCE, 3)
    first_again = first.model_copy(update={"received_at": datetime(2026, 11, 23, 15, 0, tzinfo=UTC)})
    assert applied.claim(first_again) == (LevelClaim.DELIVERED_AGAIN, None)
    assert applied.claim(first.model_copy(update={"changed_at": datetime(2026, 11, 23, 12, 6, tzinfo=UTC)})) == (
        LevelClaim.APPLY,
        3,
    )


def test_replacing_a_links_sku_map_writes_only_what_differs(runtime: LocalRuntime) -> None:
    # Given a link's map of three entries
    maps = DynamoDbSkuMaps(boto3.resource("dynamodb").Table(os.environ["SKU_MAPS_TABLE_NAME"]))

    def entry(n: int, **fields: str) -> SkuMapEntry:
        defaults = {"source_store_id": "src", "source_item_id": f"src-{n}", "destination_variant_id": f"var-{n}"}
        return SkuMapEntry(link_id="replace-link", destination_item_id=f"dst-{n}", **(defaults | fields))

    assert maps.replace_all("replace-link", [], [entry(1), entry(2), entry(3)]) == 3
    stored = maps.all_of("replace-link")
    # When one is unchanged, one changes its reason, one goes and one comes
    writes = maps.replace_all("replace-link", stored, [entry(1), entry(2, reason="by hand"), entry(4)])
    # Then three writes were enough, and the map is exactly the wanted one
    assert writes == 3
    assert {(e.destination_item_id, e.reason) for e in maps.all_of("replace-link")} == {
        ("dst-1", ""),
        ("dst-2", "by hand"),
        ("dst-4", ""),
    }


def test_a_source_items_destinations_in_every_link_come_from_one_query(runtime: LocalRuntime) -> None:
    # Given two links from one source selling its item "shirt", a third link from another store whose source
    # has an item of the same id, and an entry left unmatched
    maps = DynamoDbSkuMaps(boto3.resource("dynamodb").Table(os.environ["SKU_MAPS_TABLE_NAME"]))

    def entry(link_id: str, source_store_id: str, destination_item_id: str, **fields: str) -> SkuMapEntry:
        return SkuMapEntry(
            link_id=link_id,
            source_store_id=source_store_id,
            source_item_id="shirt",
            destination_item_id=destination_item_id,
            destination_variant_id=f"var-{destination_item_id}",
            **fields,
        )

    maps.replace_all("plan-a", [], [entry("plan-a", "plan-src", "a-1"), entry("plan-a", "plan-src", "a-2")])
    maps.replace_all("plan-b", [], [entry("plan-b", "plan-src", "b-1")])
    maps.replace_all("plan-c", [], [entry("plan-c", "other-src", "c-1")])
    unmatched = SkuMapEntry(link_id="plan-b", destination_item_id="b-2", state="unmatched", source_store_id="plan-src")
    maps.replace_all("plan-b", maps.all_of("plan-b"), [*maps.all_of("plan-b"), unmatched])
    # When the destinations of the source's "shirt" are asked for
    found = maps.destinations_of("plan-src", "shirt")
    # Then the matched entries of both its links come, and nothing of the other store or unmatched
    assert sorted((e.link_id, e.destination_item_id) for e in found) == [
        ("plan-a", "a-1"),
        ("plan-a", "a-2"),
        ("plan-b", "b-1"),
    ]


def test_a_matched_entry_without_its_source_store_is_refused(runtime: LocalRuntime) -> None:
    # Given a matched entry that does not name its link's source store
    maps = DynamoDbSkuMaps(boto3.resource("dynamodb").Table(os.environ["SKU_MAPS_TABLE_NAME"]))
    nameless = SkuMapEntry(link_id="nameless", source_item_id="shirt", destination_item_id="d-1")
    # When it is written, Then it is refused: no stock change could ever find it
    with pytest.raises(ValueError, match="names no source store"):
        maps.replace_all("nameless", [], [nameless])


def test_an_oversell_is_kept_once_per_order_line_beside_its_link(table) -> None:  # type: ignore[no-untyped-def]
    # Given a link from a source to the destination "oversold-shop"
    links = DynamoDbLinks(table)
    links.add(a_link("oversold-link", source_store_id="os-source", destination_store_id="oversold-shop"))
    oversell = Oversell(
        link_id="oversold-link",
        destination_store_id="oversold-shop",
        order_id="order-1",
        order_name="#1001",
        line_id="line-1",
        source_level=InventoryRef(item_id="item-1", location_id="location-1"),
        units_short=1,
        source_available_after=-1,
        recorded_at=NOW,
    )
    # When its oversell is recorded twice (a replayed order)
    figures_table = os.environ["FIGURES_TABLE_NAME"]
    oversells = DynamoDbOversells(table, figures_table)
    oversells.record(oversell)
    oversells.record(oversell.model_copy(update={"recorded_at": NOW.replace(hour=13)}))
    # Then one is kept, the first, and the destination's links are still only links
    assert oversells.of_link("oversold-link", limit=10, cursor=None) == ([oversell], None)
    assert [link.link_id for link in links.links_to_destination("oversold-shop")] == ["oversold-link"]
    # And the link's figures count it once, in the hour it was recorded
    day = NOW.astimezone(UTC).date()
    [counted] = DynamoDbFigures(boto3.resource("dynamodb").Table(figures_table)).days("LINK#oversold-link", day, day)
    assert counted.counters == {f"{NOW.hour:02d}#oversells": 1, f"{NOW.hour:02d}#oversold_units": 1}


def test_many_stores_are_read_in_one_batch_and_missing_ones_left_out(table) -> None:  # type: ignore[no-untyped-def]
    stores = DynamoDbStores(table)
    for store_id in ("batch-one", "batch-two"):
        stores.add(a_store(store_id))
    found = stores.get_many(["batch-one", "batch-two", "batch-missing", "batch-one"])
    assert sorted(found) == ["batch-one", "batch-two"]


def test_orders_wait_on_their_link_until_taken_once(table) -> None:  # type: ignore[no-untyped-def]
    # Given two order events parked on a link (one of them twice, by both of its consumers) and one unparked
    waiting = DynamoDbWaitingOrders(table)
    events = [
        OrderChanged(
            store_id="wait-outlet",
            delivery_id=f"delivery-{n}",
            change="created",
            order_id=f"order-{n}",
            name=f"#{n}",
            source_name="web",
            changed_at=NOW,
        )
        for n in range(3)
    ]
    for event in (*events, events[0]):
        waiting.park("wait-link", event)
    waiting.unpark("wait-link", events[2])
    # When they are taken, Then each comes once, and nothing is left
    assert sorted(event.delivery_id for event in waiting.take_all("wait-link")) == ["delivery-0", "delivery-1"]
    assert waiting.take_all("wait-link") == []


def test_a_give_back_ledger_is_written_only_over_the_version_it_read(table) -> None:  # type: ignore[no-untyped-def]
    # Given a line's ledger recorded with its take
    ledgers = DynamoDbGiveBackLedgers(table)
    links = DynamoDbLinks(table)
    links.add(a_link("ledger-link", destination_store_id="ledger-shop"))
    first = LineLedger(
        link_id="ledger-link",
        destination_store_id="ledger-shop",
        order_id="order-1",
        line_id="line-1",
        store_id="source",
        level=InventoryRef(item_id="item-1", location_id="location-1"),
        taken=3,
        version=1,
    )
    ledgers.save(first)
    # When two workers both record a give-back over version 1
    ledgers.save(first.with_give_back("refund-1", 2).next_version())
    with pytest.raises(Conflict):
        ledgers.save(first.with_give_back("refund-2", 2).next_version())
    # Then only the first is kept, a new ledger cannot be written twice, and the link's index is untouched
    assert ledgers.get("ledger-link", "order-1", "line-1").given_back == 2  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        ledgers.save(first)
    assert [link.link_id for link in links.links_to_destination("ledger-shop")] == ["ledger-link"]
