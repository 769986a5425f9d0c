"""One connector per platform, chosen by the store's platform, kept per store for the container's life."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

import httpx

from storelink.adapters.manual import ManualChanges, ManualConnector, ManualStoreTable
from storelink.adapters.shopify.client import ShopifyGraphQL
from storelink.adapters.shopify.connector import ShopifyConnector
from storelink.adapters.shopify.token_grant import grant_access_token
from storelink.adapters.shopwired.client import ShopWiredREST
from storelink.adapters.shopwired.connector import ShopWiredConnector
from storelink.adapters.woocommerce.changes import WooCommerceChanges
from storelink.adapters.woocommerce.client import WooCommerceREST
from storelink.adapters.woocommerce.connector import WooCommerceConnector
from storelink.domain.stores import GrantedToken, Platform, Store, StoreCredentials
from storelink.errors import StoreRejected
from storelink.observability import logger
from storelink.ports import RecentChanges, StoreConnector, StoreSecrets

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

BACKGROUND_RESERVE_SHARE = 0.5


@dataclass(frozen=True)
class StoreAccess:
    """What any platform's connector is built from: the store, a token (and how to get a newer one on a 401),
    the shared HTTP client, the share of the store's rate budget left to webhook-driven work, and the secret the
    webhooks storelink registers itself are signed with (WooCommerce's)."""

    store: Store
    token: str
    renew_token: Callable[[str], str | None] | None
    http: httpx.Client
    reserve_share: float
    webhook_secret: str = ""
    # Where manual stores keep their catalogue, stock and orders (None in a function that never reaches one).
    manual_table: "Callable[[], Table] | None" = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


def shopify_connector(access: StoreAccess) -> StoreConnector:
    graphql = ShopifyGraphQL(
        api_base_url=str(access.store.api_base_url),
        access_token=access.token,
        http=access.http,
        reserve_share=access.reserve_share,
        store_id=access.store.store_id,
        renew_token=access.renew_token,
    )
    return ShopifyConnector(graphql, http=access.http, sleep=time.sleep)


def woocommerce_rest(access: StoreAccess) -> WooCommerceREST:
    return WooCommerceREST(
        site_url=str(access.store.api_base_url),
        token=access.token,
        http=access.http,
        renew_token=access.renew_token,
        store_id=access.store.store_id,
    )


def woocommerce_connector(access: StoreAccess) -> StoreConnector:
    rest = woocommerce_rest(access)
    return WooCommerceConnector(rest, shop_domain=access.store.shop_domain, webhook_secret=access.webhook_secret)


def shopwired_connector(access: StoreAccess) -> StoreConnector:
    """The API key and secret are kept as one access token `key:secret`, as for WooCommerce."""
    key, _, secret = access.token.partition(":")

    def renew(stale: str) -> tuple[str, str] | None:
        newer = access.renew_token(stale) if access.renew_token is not None else None
        return None if newer is None else (newer.partition(":")[0], newer.partition(":")[2])

    rest = ShopWiredREST(
        str(access.store.api_base_url),
        key,
        secret,
        http=access.http,
        reserve_share=access.reserve_share,
        renew_credentials=renew,
        store_id=access.store.store_id,
    )
    return ShopWiredConnector(rest, shop_domain=access.store.shop_domain)


def manual_store(access: StoreAccess) -> ManualStoreTable:
    if access.manual_table is None:
        raise StoreRejected("this function has no manual stores table")
    return ManualStoreTable(access.manual_table(), access.store.store_id, access.now)


def manual_connector(access: StoreAccess) -> StoreConnector:
    return ManualConnector(manual_store(access), shop_domain=access.store.shop_domain)


# The one place a platform's connector is chosen, by the store's platform (ShopWired and manual stores join here).
CONNECTOR_OF_PLATFORM: dict[Platform, Callable[[StoreAccess], StoreConnector]] = {
    Platform.SHOPIFY: shopify_connector,
    Platform.WOOCOMMERCE: woocommerce_connector,
    Platform.SHOPWIRED: shopwired_connector,
    Platform.MANUAL: manual_connector,
}


# Platforms that never resend a lost webhook delivery, so storelink reads what changed every minute
# (services/catch_up.py). Shopify resends for 4 hours: none. A manual store's feed is read the same way: it
# carries storelink's own writes to the store, and any merchant's change whose publish was lost.
CHANGES_OF_PLATFORM: dict[Platform, Callable[[StoreAccess], RecentChanges]] = {
    Platform.WOOCOMMERCE: lambda access: WooCommerceChanges(woocommerce_rest(access), access.store),
    Platform.MANUAL: lambda access: ManualChanges(manual_store(access)),
}


class PlatformConnectors:
    def __init__(
        self,
        secrets: StoreSecrets,
        http: httpx.Client,
        *,
        background: bool = False,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        manual_table: "Callable[[], Table] | None" = None,
    ) -> None:
        self._secrets = secrets
        self._manual_table = manual_table
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
        """The store's connector on its kept credentials, or, given `credentials`, one to check them with the
        platform before they are kept (not cached, and never falling back to the kept ones on a 401)."""
        build = CONNECTOR_OF_PLATFORM.get(store.platform)
        if build is None:
            raise StoreRejected(f"{store.platform} stores have no connector yet")
        if credentials is not None:
            return build(self._access(store, credentials, renew_token=None))
        credentials = self._secrets.credentials(store)
        if credentials.due_for_renewal(self._now()):
            credentials = self.renewed(store, credentials.access_token)
        token = credentials.access_token
        key = (store.store_id, str(store.api_base_url), token)
        with self._lock:
            if key not in self._connectors:
                renew = partial(self.newer_token, store)
                self._connectors[key] = build(self._access(store, credentials, renew_token=renew))
            return self._connectors[key]

    def changes_for(self, store: Store) -> RecentChanges | None:
        """The store's recent changes on its kept credentials; None for a platform that resends its webhooks."""
        build = CHANGES_OF_PLATFORM.get(store.platform)
        if build is None:
            return None
        credentials = self._secrets.credentials(store)
        return build(self._access(store, credentials, renew_token=partial(self.newer_token, store)))

    def _access(
        self, store: Store, credentials: StoreCredentials, renew_token: Callable[[str], str | None] | None
    ) -> StoreAccess:
        return StoreAccess(
            store=store,
            token=credentials.access_token,
            renew_token=renew_token,
            http=self._http,
            reserve_share=self._reserve_share,
            webhook_secret=credentials.webhook_secret,
            manual_table=self._manual_table,
            now=self._now,
        )

    def grant(self, store: Store, client_id: str, client_secret: str) -> GrantedToken:
        if store.platform is not Platform.SHOPIFY:
            raise StoreRejected(f"{store.platform} stores have no client credentials grant")
        return grant_access_token(self._http, str(store.api_base_url), client_id, client_secret, self._now())

    def newer_token(self, store: Store, stale_token: str) -> str | None:
        """Asked once on a 401: a token newer than `stale_token`, or None when there is none. The merchant may
        have replaced it (PUT /stores/{id}/credentials) or another function renewed it since this container
        cached it, so it is read fresh first; a renewable one may have expired early, or been revoked and the
        app reinstalled, so it is renewed."""
        current = self._secrets.credentials(store, fresh=True)
        if current.access_token != stale_token and not current.due_for_renewal(self._now()):
            return current.access_token
        return self.renewed(store, stale_token).access_token if current.renewable else None

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
