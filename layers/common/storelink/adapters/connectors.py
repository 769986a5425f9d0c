"""One connector per platform, chosen by the store's platform, kept per store for the container's life."""

import threading
import time

import httpx

from storelink.adapters.shopify.client import ShopifyGraphQL
from storelink.adapters.shopify.connector import ShopifyConnector
from storelink.domain.stores import Platform, Store, StoreCredentials
from storelink.errors import StoreRejected
from storelink.ports import StoreConnector, StoreSecrets

BACKGROUND_RESERVE_SHARE = 0.5


class PlatformConnectors:
    def __init__(self, secrets: StoreSecrets, http: httpx.Client, *, background: bool = False) -> None:
        self._secrets = secrets
        self._http = http
        # Background work (sweeps, catalogue imports) leaves this share of each store's rate budget to
        # webhook-driven work, so a sweep of a large link never delays a sale reaching the other stores.
        self._reserve_share = BACKGROUND_RESERVE_SHARE if background else 0.0
        # Kept across invocations so each store's rate-limit bucket is remembered; keyed by address
        # and token too, so a re-registered store or a rotated token gets a fresh connector.
        self._connectors: dict[tuple[str, str, str], StoreConnector] = {}
        # Destinations are written from several threads at once (stock propagation's fan-out).
        self._lock = threading.Lock()

    def connector_for(self, store: Store, credentials: StoreCredentials | None = None) -> StoreConnector:
        if store.platform is not Platform.SHOPIFY:
            raise StoreRejected(f"{store.platform} stores have no connector yet")
        token = (credentials or self._secrets.credentials(store)).access_token
        key = (store.store_id, str(store.api_base_url), token)
        with self._lock:
            if key not in self._connectors:
                graphql = ShopifyGraphQL(
                    api_base_url=str(store.api_base_url),
                    access_token=token,
                    http=self._http,
                    reserve_share=self._reserve_share,
                )
                self._connectors[key] = ShopifyConnector(graphql, http=self._http, sleep=time.sleep)
            return self._connectors[key]
