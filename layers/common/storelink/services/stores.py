"""Registering a store, authenticating its calls, rotating what it was issued, removing it."""

import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, model_validator

from storelink.domain import credentials
from storelink.domain.manual_stores import manual_address
from storelink.domain.shop_addresses import shop_address
from storelink.domain.stores import WEBHOOK_SECRET_GRACE, Attention, Platform, Store, StoreCredentials
from storelink.errors import InvalidRequest, NotAuthenticated, NotFound, StoreRejected
from storelink.observability import logger
from storelink.ports import ConnectorFactory, ManualStoreBooks, SecretWriter, StoreRegistry, StoreRepository
from storelink.services.store_attention import StoreAttention


def own_store(caller: Store, store_id: str) -> Store:
    """The store `store_id` when it is the caller's own: a store acts only on itself."""
    if caller.store_id != store_id:
        raise NotFound(f"no store {store_id} among yours")
    return caller


def authenticated(stores: StoreRepository, token: str | None) -> Store:
    """The store whose current API token this is; the same refusal for every way it can be wrong."""
    store_id = credentials.store_id_of_token(token or "")
    store = stores.get(store_id) if store_id else None
    if store is None or not token or not credentials.matches(token, store.api_token_digest):
        raise NotAuthenticated("send a store's API token as 'Authorization: Bearer sl_…'")
    return store


# The credentials a platform's stores register with, each kind the fields that go together (its first names it).
CREDENTIAL_KINDS: dict[Platform, tuple[tuple[str, ...], ...]] = {
    # A legacy custom app: its access token and webhook secret. Or a Dev Dashboard app (every app made since
    # 2026-01-01): its client id and secret; storelink obtains and renews the access token itself.
    Platform.SHOPIFY: (("access_token", "webhook_secret"), ("client_id", "client_secret")),
    # A REST API key (WooCommerce > Settings > Advanced > REST API, read/write); storelink makes the webhooks'
    # secret itself, as it registers the webhooks.
    Platform.WOOCOMMERCE: (("consumer_key", "consumer_secret"),),
    # The account's API key and secret (Settings > API Access) and its webhook secret (Settings > Webhooks), as
    # ShopWired's own inter-account stock sync asks for them: ShopWired shows the webhook secret, storelink
    # cannot choose it.
    Platform.SHOPWIRED: (("api_key", "api_secret", "webhook_secret"),),
}


def _listed(fields: tuple[str, ...]) -> str:
    return " and ".join(fields) if len(fields) < 3 else f"{', '.join(fields[:-1])} and {fields[-1]}"


class CredentialsRequest(BaseModel):
    """A store's platform credentials: one pair of CREDENTIAL_KINDS, the one its platform takes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access_token: str | None = Field(default=None, min_length=1, max_length=1000, repr=False)
    webhook_secret: str | None = Field(default=None, min_length=1, max_length=1000, repr=False)
    client_id: str | None = Field(default=None, min_length=1, max_length=255)
    client_secret: str | None = Field(default=None, min_length=1, max_length=1000, repr=False)
    consumer_key: str | None = Field(default=None, min_length=1, max_length=255, repr=False)
    consumer_secret: str | None = Field(default=None, min_length=1, max_length=255, repr=False)
    # A ShopWired API key never holds a colon: it is kept joined to its secret by one (StoreCredentials.of_api_key).
    api_key: str | None = Field(default=None, min_length=1, max_length=255, pattern=r"^[^:]+$", repr=False)
    api_secret: str | None = Field(default=None, min_length=1, max_length=255, repr=False)

    @model_validator(mode="after")
    def _one_kind_of_credentials(self) -> Self:
        kinds = sorted({kind for platform_kinds in CREDENTIAL_KINDS.values() for kind in platform_kinds})
        sent = {field for kind in kinds for field in kind if getattr(self, field) is not None}
        if not sent and getattr(self, "platform", None) is Platform.MANUAL:
            return self  # kept by storelink itself: a name, no credentials
        if any(set(kind) == sent for kind in kinds):
            return self
        started = [kind for kind in kinds if getattr(self, kind[0]) is not None]
        if len(started) == 1 and sent < set(started[0]):
            raise ValueError(f"{_listed(started[0])} go together")
        raise ValueError("send one kind of credentials: " + "; or ".join(_listed(kind) for kind in kinds))

    def for_platform(self, platform: Platform) -> Self:
        """These credentials, when they are a kind `platform` takes."""
        taken = CREDENTIAL_KINDS.get(platform, ())
        if not any(getattr(self, kind[0]) is not None for kind in taken):
            kinds = "; or ".join(_listed(kind) for kind in taken) or "nothing yet"
            raise InvalidRequest(f"{platform} stores register with {kinds}")
        return self


class StoreRegistrationRequest(CredentialsRequest):
    platform: Platform
    # Shopify: the shop's myshopify.com domain.
    shop_domain: str | None = Field(default=None, min_length=1, max_length=255)
    # WooCommerce: the site's address (https), where WordPress answers /wp-json.
    site_url: HttpUrl | None = None
    name: str = Field(default="", max_length=100)
    # A manual store (kept by storelink itself: its name, no credentials): the currency of its orders.
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    # Only where the deployment allows it (the local runtime's sandbox stores): elsewhere a Shopify shop's
    # own address is derived from its domain, so storelink never calls an address a caller chose.
    api_base_url: HttpUrl | None = None


class StoreView(BaseModel):
    """A store as the API shows it: never a secret, never a digest."""

    model_config = ConfigDict(frozen=True)

    store_id: str
    platform: Platform
    shop_domain: str
    name: str
    registered_at: AwareDatetime | None
    # Set while the store refuses storelink itself (access revoked, a scope missing): its work waits.
    needs_attention: Attention | None = None

    @classmethod
    def of(cls, store: Store) -> "StoreView":
        return cls(
            store_id=store.store_id,
            platform=store.platform,
            shop_domain=store.shop_domain,
            name=store.name,
            registered_at=store.registered_at,
            needs_attention=store.needs_attention,
        )


class IssuedSecrets(BaseModel):
    """Shown once, when issued: storelink keeps only their digests."""

    api_token: str | None = None
    verification_code: str | None = None


class RegisteredStore(BaseModel):
    store: StoreView
    issued: IssuedSecrets
    webhooks_registered: list[str]


class StoreRegistration:
    def __init__(
        self,
        *,
        registry: StoreRegistry,
        secrets: SecretWriter,
        connectors: ConnectorFactory,
        attention: StoreAttention,
        secrets_prefix: str,
        allow_custom_api_urls: bool,
        manual: ManualStoreBooks | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._manual = manual
        self._registry = registry
        self._secrets = secrets
        self._connectors = connectors
        self._attention = attention
        self._secrets_prefix = secrets_prefix
        self._allow_custom_api_urls = allow_custom_api_urls
        self._now = now

    def register(self, request: StoreRegistrationRequest, webhook_base_url: str) -> RegisteredStore:
        """Check the credentials with the platform, then keep them: all of it, or nothing."""
        if request.platform is Platform.MANUAL:
            return self._open_manual(request)
        store, issued = self._new_store(request)
        try:
            secret = self._credentials(store, request, webhook_secret=secrets.token_urlsafe(32))
            connector = self._connectors.connector_for(store, secret)
            shop = connector.shop()  # refused credentials stop here, before anything is kept
        except StoreRejected as error:
            raise InvalidRequest(f"{store.platform} refused these credentials: {error}") from error
        store = store.model_copy(update={"credentials_fingerprint": secret.fingerprint()})
        if shop.domain.lower() != store.shop_domain:
            raise InvalidRequest(f"these credentials belong to {shop.domain}, not {store.shop_domain}")
        webhook_url = f"{webhook_base_url.rstrip('/')}/webhooks/{store.platform}/{store.store_id}"
        store = store.model_copy(update={"name": store.name or shop.name, "webhook_url": webhook_url})
        self._secrets.create(store.secret_name, secret)
        try:
            self._registry.register(store)
            topics = connector.register_webhooks(webhook_url)
        except Exception:
            self._forget(store)
            raise
        logger.info("store registered", extra={"store_id": store.store_id, "platform": store.platform})
        return RegisteredStore(
            store=StoreView.of(store),
            issued=issued,
            webhooks_registered=topics,
        )

    def _open_manual(self, request: StoreRegistrationRequest) -> RegisteredStore:
        """A manual store (docs/manual-stores.md): its name, unique like a shop's domain, and its books opened in
        storelink. Its secret holds keys nobody is shown, so that it is read like any store's."""
        if self._manual is None:
            raise InvalidRequest("this deployment keeps no manual stores")
        store, issued = self._new_store(request)
        secret = StoreCredentials(access_token=secrets.token_urlsafe(32), webhook_secret=secrets.token_urlsafe(32))
        store = store.model_copy(update={"credentials_fingerprint": secret.fingerprint()})
        self._secrets.create(store.secret_name, secret)
        try:
            self._registry.register(store)
            self._manual.of(store.store_id).open(store.name, request.currency)
        except Exception:
            self._forget(store)
            raise
        logger.info("store registered", extra={"store_id": store.store_id, "platform": store.platform})
        return RegisteredStore(store=StoreView.of(store), issued=issued, webhooks_registered=[])

    def authenticate(self, token: str | None) -> Store:
        return authenticated(self._registry, token)

    def view(self, caller: Store, store_id: str) -> StoreView:
        return StoreView.of(own_store(caller, store_id))

    def rotate_api_token(self, caller: Store, store_id: str) -> IssuedSecrets:
        store = own_store(caller, store_id)
        token = credentials.new_api_token(store.store_id)
        self._registry.replace_secrets(store, api_token_digest=credentials.digest(token), verification_code_digest=None)
        return IssuedSecrets(api_token=token)

    def rotate_verification_code(self, caller: Store, store_id: str) -> IssuedSecrets:
        store = own_store(caller, store_id)
        code = credentials.new_verification_code()
        self._registry.replace_secrets(store, api_token_digest=None, verification_code_digest=credentials.digest(code))
        return IssuedSecrets(verification_code=code)

    def remove(self, caller: Store, store_id: str, end_links: Callable[[Store], object]) -> None:
        store = own_store(caller, store_id)
        end_links(store)
        self._forget(store)

    def replace_credentials(self, caller: Store, store_id: str, request: CredentialsRequest) -> StoreView:
        """The store's new credentials, checked with the platform before anything is kept; the previous webhook
        secret keeps verifying deliveries for WEBHOOK_SECRET_GRACE. Links and webhook subscriptions stay."""
        store = own_store(caller, store_id)
        current = self._secrets.read(store.secret_name)
        try:
            new = self._credentials(store, request, webhook_secret=current.webhook_secret)
            shop = self._connectors.connector_for(store, new).shop()
        except StoreRejected as error:
            raise InvalidRequest(f"{store.platform} refused these credentials: {error}") from error
        if shop.domain.lower() != store.shop_domain:
            raise InvalidRequest(f"these credentials belong to {shop.domain}, not {store.shop_domain}")
        kept = current.replaced_by(new, self._now(), WEBHOOK_SECRET_GRACE)
        # The duplicate-credentials claim first: Conflict, with nothing changed, when another store has them.
        updated = self._registry.replace_secrets(store, credentials_fingerprint=new.fingerprint())
        self._secrets.replace(store.secret_name, kept)
        # Checked with the platform above: a store that needed attention for its credentials no longer does,
        # and the work it refused meanwhile resumes.
        self._attention.resolved(store.store_id)
        logger.info("store credentials replaced", extra={"store_id": store.store_id})
        return StoreView.of(updated.model_copy(update={"needs_attention": None}))

    def _credentials(self, store: Store, request: CredentialsRequest, *, webhook_secret: str) -> StoreCredentials:
        """What is kept in Secrets Manager; `webhook_secret` signs the webhooks storelink registers itself
        (WooCommerce's), a new one at registration, the store's own when its key is replaced. A ShopWired account
        signs with the secret it shows the merchant, given with its API key."""
        request = request.for_platform(store.platform)
        if request.api_key is not None and request.api_secret is not None and request.webhook_secret is not None:
            return StoreCredentials.of_api_key(request.api_key, request.api_secret, request.webhook_secret)
        if request.consumer_key is not None and request.consumer_secret is not None:
            return StoreCredentials.of_consumer_key(request.consumer_key, request.consumer_secret, webhook_secret)
        if request.client_id is not None and request.client_secret is not None:
            token = self._connectors.grant(store, request.client_id, request.client_secret)
            # A Dev Dashboard app signs its webhooks with its client secret.
            return StoreCredentials(
                access_token=token.access_token,
                webhook_secret=request.client_secret,
                client_id=request.client_id,
                client_secret=request.client_secret,
                expires_at=token.expires_at,
            )
        return StoreCredentials.model_validate(request.model_dump(include={"access_token", "webhook_secret"}))

    def _new_store(self, request: StoreRegistrationRequest) -> tuple[Store, IssuedSecrets]:
        if request.platform is Platform.MANUAL:
            domain, api_base_url = manual_address(
                request.name, request.model_fields_set - {"platform", "name", "currency"}
            )
        else:
            request.for_platform(request.platform)
            domain, api_base_url = shop_address(
                request.platform,
                shop_domain=request.shop_domain,
                site_url=request.site_url,
                api_base_url=request.api_base_url,
                allow_custom_urls=self._allow_custom_api_urls,
                api_key=request.api_key,
            )
        store_id = f"st_{uuid.uuid4().hex[:16]}"
        api_token, verification_code = credentials.new_api_token(store_id), credentials.new_verification_code()
        store = Store(
            store_id=store_id,
            platform=request.platform,
            shop_domain=domain,
            api_base_url=api_base_url,
            secret_name=f"{self._secrets_prefix}{store_id}",
            name=request.name,
            api_token_digest=credentials.digest(api_token),
            verification_code_digest=credentials.digest(verification_code),
            registered_at=self._now(),
        )
        return store, IssuedSecrets(api_token=api_token, verification_code=verification_code)

    def _forget(self, store: Store) -> None:
        """Take back what a registration kept: when a later step of it fails, and when a store is removed."""
        if self._registry.get(store.store_id) is not None:
            self._registry.remove(store)
        self._secrets.delete(store.secret_name)
        if store.platform is Platform.MANUAL and self._manual is not None:
            self._manual.of(store.store_id).close()
