"""Reaching a store that a link or an order names."""

from storelink.domain.events import RefundCreated
from storelink.domain.stores import Store
from storelink.errors import NotFound
from storelink.ports import ConnectorFactory, StoreConnector, StoreRepository


def still_there(store: Store | None, store_id: str) -> Store:
    """The store a link or an order named; NotFound when it was removed since."""
    if store is None:
        raise NotFound(f"store {store_id} no longer exists")
    return store


def connector_of(stores: StoreRepository, connectors: ConnectorFactory, store_id: str) -> StoreConnector:
    """The store's connector; NotFound when the store was removed since it was named."""
    return connectors.connector_for(still_there(stores.get(store_id), store_id))


def refund_read(stores: StoreRepository, connectors: ConnectorFactory, refund: RefundCreated) -> RefundCreated | None:
    """The refund with its lines: as its webhook told it, or read from its store when it told only its id."""
    if not refund.unread:
        return refund
    return connector_of(stores, connectors, refund.store_id).read_refund(refund)
