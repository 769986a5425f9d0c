"""A store: one shop on one platform. Its secrets live in Secrets Manager; the model holds only where."""

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from storelink.domain.credentials import digest


class Platform(StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    SHOPWIRED = "shopwired"
    MANUAL = "manual"


class Store(BaseModel):
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


class StoreCredentials(BaseModel):
    """The store's secrets, read from Secrets Manager; never stored in a table, never logged."""

    model_config = ConfigDict(frozen=True)

    access_token: str = Field(min_length=1, repr=False)
    webhook_secret: str = Field(min_length=1, repr=False)

    def fingerprint(self) -> str:
        """The same credentials registered twice give the same fingerprint (Anchanto's duplicate connection)."""
        return digest(self.access_token.strip())
