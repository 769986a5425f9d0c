"""One connector per platform, chosen by the store's platform, kept per store for the container's life."""

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from storelink.adapters.shopify.client import ShopifyGraphQL
from storelink.adapters.shopify.connector import ShopifyConnector
from storelink.adapters.shopify.token_grant import grant_access_token
from storelink.domain.stores import GrantedToken, Platform, Store, StoreCredentials
from storelink.errors import StoreRejected
from storelink.observability import logger
from storelink.ports import StoreConnector, StoreSecrets

BACKGROUND_RESERVE_SHARE = 0.5


class PlatformConnectors:
    def __init__(
        self,
        secrets: StoreSecrets,
        http: httpx.Client,
        *,
        background: bool = False,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._secrets = secrets
        self._http = http
        self._now = now
        # One renewal at a time in this container; the others find the token renewed when they get the lock.
        self._renewal_lock = threading.Lock()
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
        credentials = credentials or self._secrets.credentials(store)
        if credentials.due_for_renewal(self._now()):
            credentials = self.renewed(store, credentials.access_token)
        token = credentials.access_token
        key = (store.store_id, str(store.api_base_url), token)
        with self._lock:
            if key not in self._connectors:
                graphql = ShopifyGraphQL(
                    api_base_url=str(store.api_base_url),
                    access_token=token,
                    http=self._http,
                    reserve_share=self._reserve_share,
                    store_id=store.store_id,
                    # Once on a 401: the token may have expired early, or been revoked and the app reinstalled.
                    renew_token=(lambda stale: self.renewed(store, stale).access_token)
                    if credentials.renewable
                    else None,
                )
                self._connectors[key] = ShopifyConnector(graphql, http=self._http, sleep=time.sleep)
            return self._connectors[key]

    def grant(self, store: Store, client_id: str, client_secret: str) -> GrantedToken:
        if store.platform is not Platform.SHOPIFY:
            raise StoreRejected(f"{store.platform} stores have no client credentials grant")
        return grant_access_token(self._http, str(store.api_base_url), client_id, client_secret, self._now())

    def renewed(self, store: Store, stale_token: str) -> StoreCredentials:
        """The store's credentials with a token newer than `stale_token`: another function's renewal when it
        has happened meanwhile (read fresh from Secrets Manager), else a new grant, kept for every function."""
        with self._renewal_lock:
            current = self._secrets.credentials(store, fresh=True)
            if current.access_token != stale_token and not current.due_for_renewal(self._now()):
                return current
            if current.client_id is None or current.client_secret is None:
                raise StoreRejected(
                    "the store's access token cannot be renewed: it was registered without client credentials"
                )
            token = self.grant(store, current.client_id, current.client_secret)
            renewed = current.renewed(token)
            self._secrets.replace(store, renewed)
        logger.info("access token renewed", extra={"store_id": store.store_id, "expires_at": str(token.expires_at)})
        return renewed
