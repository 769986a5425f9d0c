"""A store: one shop on one platform. Its secrets live in Secrets Manager; the model holds only where."""

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, ConfigDict, Field, HttpUrl

from storelink.domain import DomainModel
from storelink.domain.credentials import digest


class Platform(StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    SHOPWIRED = "shopwired"
    MANUAL = "manual"


class Attention(DomainModel):
    """Why a store refuses storelink itself (access revoked, a scope missing): kept apart from its credentials,
    shown on the store until the merchant fixes them."""

    model_config = ConfigDict(frozen=True)

    reason: str
    since: AwareDatetime


class ParkedMessage(DomainModel):
    """Queued work that failed because a store refuses storelink itself: kept as it came, while the store needs
    attention, and sent again to its queue once the store's credentials work (no retries burned meanwhile)."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    queue_arn: str
    body: str
    # The FIFO group the message came in, kept so that it goes back into it.
    fifo_group: str | None = None
    # The thread of log lines the message belongs to, taken up again when it resumes.
    correlation_id: str | None = None
    reason: str
    parked_at: AwareDatetime


class Store(DomainModel):
    model_config = ConfigDict(frozen=True)

    store_id: str = Field(min_length=1)
    platform: Platform
    shop_domain: str = Field(min_length=1)
    # Where the platform's API answers: https://{shop_domain} for real stores, a local URL for sandboxes.
    api_base_url: HttpUrl
    # Name of the Secrets Manager secret holding the access token and webhook secret.
    secret_name: str = Field(min_length=1)
    name: str = ""
    # SHA-256 digests only: of the platform credentials (to refuse a second registration of them),
    # of the storelink API token and of the verification code (both shown once, when issued).
    credentials_fingerprint: str = ""
    api_token_digest: str = ""
    verification_code_digest: str = ""
    registered_at: AwareDatetime | None = None
    needs_attention: Attention | None = None
    # Where storelink subscribed the store's webhooks at registration: the sweep subscribes again any the
    # platform dropped or disabled (WooCommerce disables one after more than 5 failed deliveries in a row).
    webhook_url: str | None = None
    # The plan the deployment's operator assigned (docs/plans.md); none: the default plan.
    plan: str | None = Field(default=None, max_length=64)


# How long a function acts on what it read of a store before reading it again: its record, and at the webhook ingress
# its credentials and its being a connected link's source or not. A link that starts syncing stock is swept once this
# has passed (services/links.py), so a change its source made meanwhile, answered as no source's, is not lost.
STORE_KEPT_SECONDS = 30

# How long a rotated webhook secret keeps verifying deliveries: at least Shopify's 4-hour retry span.
WEBHOOK_SECRET_GRACE = timedelta(hours=24)

# A token is renewed this long before it expires, so no call is made with one about to lapse (longer than
# the secrets cache, so a cached token is never used past it).
RENEW_BEFORE_EXPIRY = timedelta(minutes=10)


class GrantedToken(DomainModel):
    """An access token the platform issued for an app's client credentials, and when it stops working."""

    model_config = ConfigDict(frozen=True)

    access_token: str = Field(min_length=1, repr=False)
    expires_at: AwareDatetime | None


class StoreCredentials(DomainModel):
    """The store's secrets, read from Secrets Manager; never stored in a table, never logged.

    Either an access token that does not expire with its webhook secret (a legacy custom app), or a Dev
    Dashboard app's client id and secret, for which storelink obtains the access token itself (client
    credentials grant), keeps it here with its expiry, and renews it; such an app signs webhooks with its
    client secret."""

    model_config = ConfigDict(frozen=True)

    access_token: str = Field(min_length=1, repr=False)
    webhook_secret: str = Field(min_length=1, repr=False)
    client_id: str | None = None
    client_secret: str | None = Field(default=None, repr=False)
    expires_at: AwareDatetime | None = None
    # After a rotation the previous webhook secret still verifies deliveries until then (Shopify retries a
    # delivery for 4 hours, signed as it was first sent).
    previous_webhook_secret: str | None = Field(default=None, repr=False)
    previous_webhook_secret_until: AwareDatetime | None = None

    def webhook_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery may be signed with now: the current one, then the previous within its grace."""
        previous = self.previous_webhook_secret
        until = self.previous_webhook_secret_until
        in_grace = previous is not None and until is not None and now < until and previous != self.webhook_secret
        return [self.webhook_secret, previous] if in_grace and previous else [self.webhook_secret]

    def replaced_by(self, new: "StoreCredentials", now: datetime, grace: timedelta) -> "StoreCredentials":
        """`new`, keeping this webhook secret valid for `grace` when the new one differs."""
        if new.webhook_secret == self.webhook_secret:
            return new
        return new.model_copy(
            update={"previous_webhook_secret": self.webhook_secret, "previous_webhook_secret_until": now + grace}
        )

    @property
    def renewable(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def due_for_renewal(self, now: datetime) -> bool:
        return self.renewable and self.expires_at is not None and now >= self.expires_at - RENEW_BEFORE_EXPIRY

    def renewed(self, token: GrantedToken) -> "StoreCredentials":
        return self.model_copy(update={"access_token": token.access_token, "expires_at": token.expires_at})

    @classmethod
    def of_consumer_key(cls, consumer_key: str, consumer_secret: str, webhook_secret: str) -> "StoreCredentials":
        """A WooCommerce REST API key, kept as one access token `key:secret` (as HTTP Basic joins them; a
        consumer key, `ck_` and hex, never holds a colon)."""
        return cls(access_token=f"{consumer_key}:{consumer_secret}", webhook_secret=webhook_secret)

    @classmethod
    def of_api_key(cls, api_key: str, api_secret: str, webhook_secret: str) -> "StoreCredentials":
        """A ShopWired account's API key and secret, kept as one access token `key:secret` as for WooCommerce,
        with the webhook secret ShopWired shows the merchant (it signs every webhook of the account)."""
        return cls(access_token=f"{api_key}:{api_secret}", webhook_secret=webhook_secret)

    def fingerprint(self) -> str:
        """The same credentials registered twice give the same fingerprint (Anchanto's duplicate connection):
        the app's client id when storelink renews the token, else the token itself."""
        return digest((self.client_id or self.access_token).strip())
