"""One connector per platform, chosen by the store's platform."""

import httpx

from storelink.adapters.shopify.connector import ShopifyConnector
from storelink.domain.stores import Platform, Store
from storelink.errors import StoreRejected
from storelink.ports import StoreConnector, StoreSecrets


class PlatformConnectors:
    def __init__(self, secrets: StoreSecrets, http: httpx.Client) -> None:
        self._secrets = secrets
        self._http = http

    def connector_for(self, store: Store) -> StoreConnector:
        if store.platform is Platform.SHOPIFY:
            return ShopifyConnector(
                api_base_url=str(store.api_base_url),
                access_token=self._secrets.credentials(store).access_token,
                http=self._http,
            )
        raise StoreRejected(f"{store.platform} stores have no connector yet")
