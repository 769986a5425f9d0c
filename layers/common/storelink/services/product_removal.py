"""Disconnecting with "delete_products": the plan, read from the link's SKU maps and the destination's
catalogue as it is now (never from what storelink remembers of it: a delete cannot be undone)."""

from storelink.domain.links import Link, LinkStatus
from storelink.domain.product_removal import ProductRemovalPlan, plan_product_removal
from storelink.ports import ConnectorFactory, LinkBook, SkuMapBook, StoreRepository
from storelink.services.store_access import connector_of

# The destination's other links whose products a disconnect leaves alone: those that sell, or will again.
SELLING = frozenset({LinkStatus.CONNECTED, LinkStatus.BLOCKED})


class ProductRemoval:
    def __init__(
        self, *, stores: StoreRepository, links: LinkBook, sku_maps: SkuMapBook, connectors: ConnectorFactory
    ) -> None:
        self._stores = stores
        self._links = links
        self._sku_maps = sku_maps
        self._connectors = connectors

    def plan(self, link: Link) -> ProductRemovalPlan:
        others = [
            other
            for other in self._links.links_to_destination(link.destination_store_id)
            if other.link_id != link.link_id and other.status in SELLING
        ]
        destination = connector_of(self._stores, self._connectors, link.destination_store_id)
        return plan_product_removal(
            self._sku_maps.all_of(link.link_id),
            [entry for other in others for entry in self._sku_maps.all_of(other.link_id)],
            destination.catalogue(),
        )
