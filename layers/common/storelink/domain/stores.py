"""A store: one shop on one platform. Its secrets live in Secrets Manager; the model holds only where."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


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


class StoreCredentials(BaseModel):
    """The store's secrets, read from Secrets Manager; never stored in a table, never logged."""

    model_config = ConfigDict(frozen=True)

    access_token: str = Field(min_length=1, repr=False)
    webhook_secret: str = Field(min_length=1, repr=False)
