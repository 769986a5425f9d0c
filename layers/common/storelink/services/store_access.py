"""Reaching a store that a link or an order names."""

from storelink.domain.events import RefundCreated
from storelink.errors import NotFound
from storelink.ports import ConnectorFactory, StoreConnector, StoreRepository


def connector_of(stores: StoreRepository, connectors: ConnectorFactory, store_id: str) -> StoreConnector:
    """The store's connector; NotFound when the store was removed since it was named."""
    store = stores.get(store_id)
    if store is None:
        raise NotFound(f"store {store_id} no longer exists")
    return connectors.connector_for(store)


def refund_read(stores: StoreRepository, connectors: ConnectorFactory, refund: RefundCreated) -> RefundCreated | None:
    """The refund with its lines: as its webhook told it, or read from its store when it told only its id."""
    if not refund.unread:
        return refund
    return connector_of(stores, connectors, refund.store_id).read_refund(refund)
