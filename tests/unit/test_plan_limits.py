"""Plan limits on in-memory fakes: the deployment's plans, each store's usage, and the refusal of a new link or
mapping beyond its plan, with nothing half-applied (docs/plans.md)."""

from datetime import UTC, datetime

import pytest

from storelink import bootstrap
from storelink.domain.credentials import digest
from storelink.domain.links import Action, LinkStatus
from storelink.domain.messages import PushRequested
from storelink.domain.plans import DEFAULT_PLAN, WHAT_TO_DO, HeldPush, Limit, Plan, PlanCatalogue, month_of
from storelink.domain.product_removal import ProductRemovalJob
from storelink.errors import NotFound, PlanLimitReached
from storelink.ports import LinkedStores
from storelink.services.figures import FigureReports
from storelink.services.links import LinkRequest, YourLinks
from storelink.services.mappings import Mappings
from storelink.services.plans import PlanLimits, StorePlans
from storelink.settings import LinkManagementSettings
from tests.builders import a_store, a_variant
from tests.fakes import (
    FakeConnector,
    FakeConnectors,
    FakeFigures,
    FakeHealthReports,
    FakeLinkBook,
    FakeOversells,
    FakePlanCounters,
    FakeRegistry,
    FakeSkuMaps,
    RecordingEvents,
    RecordingJobs,
    RecordingSweeps,
)

NOW = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
PLANS = PlanCatalogue.from_json(
    '{"solo": {"connections": 1, "synced_products": 2, "pushed_orders_per_month": 1}, "pro": {"connections": 5}}'
)
STORES = {"alpha": "solo", "beta": None, "gamma": None}
CODE = {store_id: f"{store_id.upper()[:4]:X<4}-CODE-0000" for store_id in STORES}
VARIANTS = ("v1", "v2", "v3")


class World:
    def __init__(self) -> None:
        self.stores = {store_id: a_store(store_id, plan=plan) for store_id, plan in STORES.items()}
        self.links = FakeLinkBook()
        self.sku_maps = FakeSkuMaps()
        self.stores_of = registry = FakeRegistry(
            self.stores, codes={digest(code): store_id for store_id, code in CODE.items()}
        )
        self.connectors = FakeConnectors(
            {
                store_id: FakeConnector(
                    location_ids=(f"{store_id}-warehouse",),
                    variants=[a_variant(f"{store_id}-{v}", sku=v) for v in VARIANTS],
                )
                for store_id in STORES
            }
        )
        linked = LinkedStores(
            stores=registry, links=self.links, sku_maps=self.sku_maps, connectors=self.connectors, now=lambda: NOW
        )
        self.limits = PlanLimits(stores=registry, links=self.links, sku_maps=self.sku_maps, catalogue=PLANS)
        self.counters = FakePlanCounters()
        self.service = bootstrap.link_management(
            LinkManagementSettings.model_construct(),
            linked=linked,
            registry=registry,
            events=RecordingEvents(),
            sweeps=RecordingSweeps(),
            oversells=FakeOversells(),
            removals=RecordingJobs[ProductRemovalJob](),
            limits=self.limits,
        )
        self.mappings = Mappings(links=self.service, linked=linked, health=None, plans=self.limits)  # type: ignore[arg-type]
        self.plans = StorePlans(limits=self.limits, counters=self.counters, now=lambda: NOW)

    def request(self, source: str, destination: str) -> str:
        request = LinkRequest(
            verification_code=CODE[destination],
            channel_name=destination,
            locations={f"{source}-warehouse": f"{destination}-warehouse"},
        )
        return self.service.request(self.stores[source], request).link_id

    def link(self, source: str, destination: str) -> str:
        link_id = self.request(source, destination)
        self.service.act(self.stores[destination], link_id, Action.GRANT)
        return link_id

    def map(self, link_id: str, destination: str, variant: str) -> None:
        self.mappings.map(self.stores[destination], link_id, f"{destination}-{variant}", f"gamma-{variant}")


@pytest.fixture
def world() -> World:
    return World()


# -- the deployment's plans --------------------------------------------------------------------------------------


def test_a_store_without_a_plan_or_with_one_not_defined_is_on_the_default_plan_without_limits() -> None:
    # Given plans that define no default
    # Then a store with no plan, or a plan the deployment does not define, is on a default plan capping nothing
    for name in (None, "gold"):
        plan = PLANS.plan_of(name)
        assert plan == Plan(name=DEFAULT_PLAN)
        assert [plan.cap(limit) for limit in Limit] == [None, None, None]


def test_a_deployment_may_define_its_default_plan() -> None:
    # Given plans that define "default"
    plans = PlanCatalogue.from_json('{"default": {"pushed_orders_per_month": 10}}')
    # Then a store without a plan has its limits
    assert plans.plan_of(None).pushed_orders_per_month == 10


@pytest.mark.parametrize("text", ["[1]", '{"solo": {"connections": -1}}', '{"solo": {"orders": 1}}', "{"])
def test_plans_that_are_not_valid_are_refused_naming_the_fault(text: str) -> None:
    with pytest.raises(ValueError, match="the Plans parameter is not valid"):
        PlanCatalogue.from_json(text)


def test_a_refusal_says_which_limit_the_usage_the_cap_and_what_to_do() -> None:
    # Given a plan of 2 synced products, 2 used
    refusal = PLANS.plan_of("solo").refusal(Limit.SYNCED_PRODUCTS, used=2)
    # Then one more is refused, with the limit, usage, cap and what to do
    assert isinstance(refusal, PlanLimitReached)
    assert refusal.code == "plan_limit_reached"
    assert {k: v for k, v in refusal.details.items() if k != "what_to_do"} == {
        "plan": "solo",
        "limit": "synced_products",
        "usage": "2",
        "cap": "2",
    }
    assert "unmap" in refusal.details["what_to_do"]
    # And one fewer used fits
    assert PLANS.plan_of("solo").refusal(Limit.SYNCED_PRODUCTS, used=1) is None


def test_pushes_count_in_the_utc_calendar_month() -> None:
    assert month_of(NOW) == "2026-11"
    assert month_of(datetime.fromisoformat("2026-12-01T00:30:00+01:00")) == "2026-11"
    assert month_of(datetime.fromisoformat("2026-12-01T00:00:00+00:00")) == "2026-12"


# -- connections ---------------------------------------------------------------------------------------------------


def test_a_source_at_its_connection_cap_is_refused_a_new_link_and_nothing_is_created(world: World) -> None:
    # Given alpha, on a plan of one connection, already asked to link to beta
    world.request("alpha", "beta")
    # When alpha asks to link to gamma
    with pytest.raises(PlanLimitReached) as refused:
        world.request("alpha", "gamma")
    # Then it is refused on its connections, 1 of 1, and no link is made
    assert (refused.value.details["limit"], refused.value.details["usage"], refused.value.details["cap"]) == (
        "connections",
        "1",
        "1",
    )
    assert len(world.links.links) == 1


def test_a_destination_at_its_cap_refuses_a_new_source_too(world: World) -> None:
    # Given alpha (one connection) the destination of beta
    world.link("beta", "alpha")
    # When gamma asks to link to alpha
    with pytest.raises(PlanLimitReached):
        world.request("gamma", "alpha")
    # Then it is refused for alpha's plan; beta, on the default plan, may link elsewhere
    world.request("beta", "gamma")


def test_a_denied_or_disconnected_link_frees_its_connection_and_a_reconnect_takes_one_again(world: World) -> None:
    # Given alpha's one connection denied by beta
    first = world.request("alpha", "beta")
    world.service.act(world.stores["beta"], first, Action.DENY)
    # When alpha links to gamma, which then disconnects
    second = world.link("alpha", "gamma")
    world.service.act(world.stores["gamma"], second, Action.DISCONNECT)
    third = world.request("alpha", "beta")
    # Then the disconnected link cannot come back while alpha's one connection is taken by the third
    with pytest.raises(PlanLimitReached):
        world.service.act(world.stores["gamma"], second, Action.RECONNECT)
    assert world.links.links[second].status is LinkStatus.DISCONNECTED
    # And once the third is denied, it can
    world.service.act(world.stores["beta"], third, Action.DENY)
    assert world.service.act(world.stores["gamma"], second, Action.RECONNECT).status is LinkStatus.CONNECTED


# -- synced products -----------------------------------------------------------------------------------------------


def test_a_destination_at_its_synced_products_cap_is_refused_a_new_mapping_and_may_remap(world: World) -> None:
    # Given alpha, a destination of gamma on a plan of 2 synced products, with 2 variants mapped by hand
    link_id = world.link("gamma", "alpha")
    world.map(link_id, "alpha", "v1")
    world.map(link_id, "alpha", "v2")
    # When it maps a third
    with pytest.raises(PlanLimitReached) as refused:
        world.map(link_id, "alpha", "v3")
    # Then it is refused, 2 of 2, and the map is as it was
    assert (refused.value.details["limit"], refused.value.details["usage"]) == ("synced_products", "2")
    assert world.sku_maps.count_matched(link_id, 10) == 2
    # And a variant already mapped may be mapped to another source variant: it takes no more of the plan
    world.mappings.map(world.stores["alpha"], link_id, "alpha-v1", "gamma-v3")
    # And after an unmap, a new one fits
    world.mappings.unmap(world.stores["alpha"], link_id, "alpha-v2")
    world.map(link_id, "alpha", "v3")


def test_a_csv_beyond_the_cap_applies_no_row_and_its_dry_run_says_so(world: World) -> None:
    # Given alpha mapping one variant by hand, on a plan of 2
    link_id = world.link("gamma", "alpha")
    world.map(link_id, "alpha", "v1")
    csv = "destination_variant_id,source_variant_id\n" + "".join(f"alpha-{v},gamma-{v}\n" for v in ("v2", "v3"))
    # When it imports a CSV mapping two more, as a dry run then for real
    for dry_run in (True, False):
        with pytest.raises(PlanLimitReached):
            world.mappings.import_csv(world.stores["alpha"], link_id, csv, dry_run=dry_run)
    # Then no row was applied
    assert [e.destination_variant_id for e in world.sku_maps.all_of(link_id) if e.state == "matched"] == ["alpha-v1"]
    # And a CSV that remaps v1 and maps v2 (one more) fits
    fits = "destination_variant_id,source_variant_id\nalpha-v1,gamma-v3\nalpha-v2,gamma-v2\n"
    assert world.mappings.import_csv(world.stores["alpha"], link_id, fits, dry_run=False).applicable


# -- usage ---------------------------------------------------------------------------------------------------------


def test_usage_shows_the_plan_its_caps_and_what_is_used_this_month(world: World) -> None:
    # Given alpha linked to beta as source and to gamma as destination with one variant mapped, and 3 pushes counted
    # this month (none last month's)
    world.stores["alpha"] = world.stores["alpha"].model_copy(update={"plan": "pro"})
    link_id = world.link("gamma", "alpha")
    world.map(link_id, "alpha", "v1")
    world.request("alpha", "beta")
    world.counters.counts = {("alpha", "2026-11"): 3, ("alpha", "2026-10"): 9}
    # When alpha asks for its plan
    usage = world.plans.usage(world.stores["alpha"], "alpha")
    # Then it shows its plan, month, and each limit's use, cap and what is left
    assert (usage.plan, usage.month) == ("pro", "2026-11")
    assert usage.connections.model_dump() == {"used": 2, "cap": 5, "left": 3}
    assert usage.synced_products.model_dump() == {"used": 1, "cap": None, "left": None}
    assert usage.pushed_orders_per_month.model_dump() == {"used": 3, "cap": None, "left": None}


def test_a_store_sees_only_its_own_plan(world: World) -> None:
    with pytest.raises(NotFound):
        world.plans.usage(world.stores["beta"], "alpha")


def test_usage_at_a_cap_says_the_limit_is_reached_and_what_to_do_and_counts_the_held_orders(world: World) -> None:
    # Given alpha on solo (1 connection, 2 synced products, 1 push a month) as gamma's destination with 1 of 2
    # variants mapped, its one push of the month used, and an order held beyond it
    link_id = world.link("gamma", "alpha")
    world.map(link_id, "alpha", "v1")
    world.counters.counts = {("alpha", "2026-11"): 1}
    push = PushRequested(destination_store_id="alpha", order_id="gid://shopify/Order/2", link_id=link_id)
    world.counters.hold(HeldPush(store_id="alpha", push=push, held_at=NOW))
    # When alpha asks for its plan
    usage = world.plans.usage(world.stores["alpha"], "alpha")
    # Then the connection and the month's pushes are at their caps, each with what to do; synced products are not
    assert usage.model_dump(include={"connections", "synced_products", "pushed_orders_per_month", "orders_held"}) == {
        "connections": {"used": 1, "cap": 1, "left": 0},
        "synced_products": {"used": 1, "cap": 2, "left": 1},
        "pushed_orders_per_month": {"used": 1, "cap": 1, "left": 0},
        "orders_held": 1,
    }
    assert usage.limits_reached == {
        Limit.CONNECTIONS: WHAT_TO_DO[Limit.CONNECTIONS],
        Limit.PUSHED_ORDERS: WHAT_TO_DO[Limit.PUSHED_ORDERS],
    }
    # And the answer names them as the API writes them
    assert set(usage.model_dump(mode="json")["limits_reached"]) == {"connections", "pushed_orders_per_month"}
    # When a second variant is mapped, synced products are at their cap too
    world.map(link_id, "alpha", "v2")
    assert Limit.SYNCED_PRODUCTS in world.plans.usage(world.stores["alpha"], "alpha").limits_reached


def test_a_store_with_no_cap_reaches_no_limit(world: World) -> None:
    # Given beta on the default plan, linked and with pushes counted
    world.link("gamma", "beta")
    world.counters.counts = {("beta", "2026-11"): 500}
    # Then nothing is capped, so no limit is reached
    usage = world.plans.usage(world.stores["beta"], "beta")
    assert (usage.plan, usage.connections.cap, usage.limits_reached) == (DEFAULT_PLAN, None, {})


def test_a_stores_figures_show_its_plan_usage_as_its_plan_answers_it(world: World) -> None:
    # Given alpha at its connection cap, with one push of its month used
    world.link("gamma", "alpha")
    world.counters.counts = {("alpha", "2026-11"): 1}
    reports = FigureReports(
        links=YourLinks(stores=world.stores_of, links=world.links, oversells=FakeOversells()),
        link_book=world.links,
        stores=world.stores_of,
        figures=FakeFigures(),
        health=FakeHealthReports(),
        plans=world.plans,
        now=lambda: NOW,
    )
    # When alpha reads its figures over the last 7 days
    figures = reports.for_store(world.stores["alpha"], "alpha", reports.period("7d", None, None))
    # Then they carry its plan's usage, the same as GET /stores/{id}/plan answers
    assert figures.plan_usage == world.plans.usage(world.stores["alpha"], "alpha")
    assert figures.plan_usage.limits_reached.keys() == {Limit.CONNECTIONS, Limit.PUSHED_ORDERS}
