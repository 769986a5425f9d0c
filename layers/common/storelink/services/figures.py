"""The figures a store reads over a range (docs/reports.md, Figures): summed from the daily counters the work
keeps (domain/figures.py), one Query per owner for the whole range, never a scan. A store reads its own figures
and those of the links it is a party to; anything else is a 404, as every link route answers."""

from collections.abc import Callable
from datetime import datetime

from storelink.domain.figures import (
    ConnectedLink,
    FigureKind,
    LinkFigures,
    ProductFigures,
    StoreFigures,
    Summed,
    day_series,
    link_owner,
    links_lags,
    merged,
    order_figures,
    ranked,
    source_owner,
    stock_figures,
    store_owner,
    summed,
)
from storelink.domain.links import Link
from storelink.domain.reports import FiguresPeriod, FiguresRange, figures_period
from storelink.domain.stores import Store
from storelink.errors import NotFound
from storelink.ports import Figures, HealthReports, LinkBook, StoreRepository
from storelink.services.links import YourLinks
from storelink.services.plans import StorePlans


class FigureReports:
    def __init__(
        self,
        *,
        links: YourLinks,
        link_book: LinkBook,
        stores: StoreRepository,
        figures: Figures,
        health: HealthReports,
        plans: StorePlans,
        now: Callable[[], datetime],
    ) -> None:
        self._now = now
        self._plans = plans
        self._links = links
        self._stores = stores
        self._link_book = link_book
        self._figures = figures
        self._health = health

    def period(
        self, named: FiguresRange | None, start: str | None, end: str | None, time_zone: str = "UTC"
    ) -> FiguresPeriod:
        """The period a caller names: `today`, `7d`, `30d` up to now in `time_zone`, or from/to as the reports
        read them (domain/reports.py)."""
        return figures_period(named, start, end, time_zone, self._now())

    def for_link(self, caller: Store, link_id: str, period: FiguresPeriod) -> LinkFigures:
        """The link's orders, products and stock path over `period`: one Query, one of its source's sync lag
        items, and the link's health report."""
        link = self._links.get(caller, link_id)
        orders, stock = self._read(link_owner(link.link_id), period)
        lags = self._lags(link.source_store_id, {link.link_id}, period)
        health = self._health.get(link.link_id)
        by_units, by_value = ranked(orders, "product")
        return LinkFigures(
            link_id=link.link_id,
            source_store_id=link.source_store_id,
            destination_store_id=link.destination_store_id,
            status=link.status,
            period=period,
            products=ProductFigures(
                available_at_source=health.source.variants if health else None,
                destination_variants=health.destination.variants if health else None,
                synced=link.catalogue.counts.get("matched", 0) if link.catalogue else None,
            ),
            orders=order_figures(orders),
            days=day_series(orders, period),
            top_products_by_units=by_units,
            top_products_by_value=by_value,
            stock=stock_figures(merged((stock, lags))),
        )

    def for_store(self, caller: Store, store_id: str, period: FiguresPeriod) -> StoreFigures:
        """The store's links and their status, its own orders as a destination (one Query), what its
        destinations took from it as a source, its links' stock paths (one Query a link, and one of each of
        their sources' sync lag items) and its plan's usage."""
        if caller.store_id != store_id:
            raise NotFound(f"no store {store_id} among yours")
        as_source = self._link_book.links_from_source(store_id)
        as_destination = self._link_book.links_to_destination(store_id)
        orders, _ = self._read(store_owner(store_id), period)
        links = (*as_source, *as_destination)
        read = {link.link_id: self._read(link_owner(link.link_id), period) for link in links}
        lags = [
            self._lags(source, {link.link_id for link in links if link.source_store_id == source}, period)
            for source in sorted({link.source_store_id for link in links})
        ]
        products_by_units, products_by_value = ranked(orders, "product")
        suppliers = self._stores.get_many([link.source_store_id for link in as_destination])
        sources_by_units, sources_by_value = ranked(
            orders, "source", {store_id: store.name or store.shop_domain for store_id, store in suppliers.items()}
        )
        return StoreFigures(
            store_id=store_id,
            period=period,
            links=[*_connected(as_source, "source"), *_connected(as_destination, "destination")],
            orders=order_figures(orders),
            days=day_series(orders, period),
            top_products_by_units=products_by_units,
            top_products_by_value=products_by_value,
            top_sources_by_units=sources_by_units,
            top_sources_by_value=sources_by_value,
            supplied=order_figures(merged(read[link.link_id][0] for link in as_source)),
            stock=stock_figures(merged([*(stock for _, stock in read.values()), *lags])),
            plan_usage=self._plans.usage(caller, store_id),
        )

    def _read(self, owner: str, period: FiguresPeriod) -> tuple[Summed, Summed]:
        """The owner's orders and stock counters over `period`, from the one Query of its days."""
        days = self._figures.days(owner, *period.utc_days())
        return (
            summed((day for day in days if day.kind is not FigureKind.STOCK), period),
            summed((day for day in days if day.kind is FigureKind.STOCK), period),
        )

    def _lags(self, source_store_id: str, link_ids: set[str], period: FiguresPeriod) -> Summed:
        """The sync lag of `link_ids` over `period`, from their source's items (one Query): only those links',
        never the source's other links'."""
        return summed(
            links_lags(self._figures.days(source_owner(source_store_id), *period.utc_days()), link_ids), period
        )


def _connected(links: list[Link], role: str) -> list[ConnectedLink]:
    return [
        ConnectedLink(
            link_id=link.link_id,
            role=role,
            other_store_id=link.destination_store_id if role == "source" else link.source_store_id,
            status=link.status,
        )
        for link in links
    ]
