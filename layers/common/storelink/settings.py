"""Each function's settings: its environment variables, validated once, named as in template.yaml."""

import os
from typing import Self

from pydantic import BaseModel, ConfigDict, Field


class _FromEnvironment(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=str.upper, populate_by_name=True)

    @classmethod
    def from_env(cls) -> Self:
        """Fail fast, naming every missing or invalid variable, instead of deep inside a request."""
        return cls.model_validate(dict(os.environ))


class StoreAccessSettings(_FromEnvironment):
    links_table_name: str = Field(min_length=1)
    store_secrets_prefix: str = Field(min_length=1)
    store_http_timeout_seconds: float = 10.0


class WebhookIngressSettings(StoreAccessSettings):
    idempotency_table_name: str = Field(min_length=1)
    stock_changes_queue_url: str = Field(min_length=1)
    store_events_queue_url: str = Field(min_length=1)
    order_events_queue_url: str = Field(min_length=1)


class LinkedStoresSettings(StoreAccessSettings):
    """For functions that work across a link: its stores, the link and its SKU map."""

    sku_maps_table_name: str = Field(min_length=1)


class StockWorkerSettings(LinkedStoresSettings):
    # Give-backs limited by the ledger are noted on the order's history.
    order_mirrors_table_name: str = Field(min_length=1)


class OrderWorkerSettings(LinkedStoresSettings):
    order_mirrors_table_name: str = Field(min_length=1)


class OrderHistorySettings(OrderWorkerSettings):
    order_history_queue_url: str = Field(min_length=1)


class ManagementApiSettings(OrderWorkerSettings):
    sweep_queue_url: str = Field(min_length=1)
    order_events_queue_url: str = Field(min_length=1)
    event_bus_name: str = "default"
    # Local deployments register sandbox stores at local addresses; a real one never calls an
    # address a caller chose (see StoreRegistrationRequest.api_base_url).
    allow_custom_store_urls: bool = False


class CatalogueImportSettings(LinkedStoresSettings):
    catalogue_import_queue_url: str = Field(min_length=1)
    # Orders that waited for the SKU map are sent again where webhooks send them.
    stock_changes_queue_url: str = Field(min_length=1)
    store_events_queue_url: str = Field(min_length=1)
    order_events_queue_url: str = Field(min_length=1)


class StockSweepSettings(LinkedStoresSettings):
    sweep_queue_url: str = Field(min_length=1)
