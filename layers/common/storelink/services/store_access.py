"""Reaching a store that a link or an order names."""

from storelink.errors import NotFound
from storelink.ports import ConnectorFactory, StoreConnector, StoreRepository


def connector_of(stores: StoreRepository, connectors: ConnectorFactory, store_id: str) -> StoreConnector:
    """The store's connector; NotFound when the store was removed since it was named."""
    store = stores.get(store_id)
    if store is None:
        raise NotFound(f"store {store_id} no longer exists")
    return connectors.connector_for(store)
