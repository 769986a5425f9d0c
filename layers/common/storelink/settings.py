"""Each function's settings: its environment variables, validated once, named as in template.yaml.

One small model per resource (a table, a queue, the event bus, the store secrets), composed as mixins the way
the Lambda handler cookbook composes its env-var models: a function's settings name exactly the resources it
uses, and tests/unit/test_function_settings.py checks them against its Environment and IAM policies.
"""

import os
from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from storelink.domain.plans import PlanCatalogue


class _FromEnvironment(BaseModel):
    # A function reads one of these models: its validator is built when it does, not every model's at import.
    model_config = ConfigDict(frozen=True, alias_generator=str.upper, populate_by_name=True, defer_build=True)

    @classmethod
    def from_env(cls) -> Self:
        """Fail fast, naming every missing or invalid variable, instead of deep inside a request."""
        return cls.model_validate(dict(os.environ))


# --- One mixin per resource ----------------------------------------------------------------


class LinksTable(_FromEnvironment):
    """Stores, links and what hangs on them (parked work, oversells, waiting orders, applied levels)."""

    links_table_name: str = Field(min_length=1)


class SkuMapsTable(_FromEnvironment):
    sku_maps_table_name: str = Field(min_length=1)


class FiguresTable(_FromEnvironment):
    """Counters per link and per store per day: the figures (docs/reports.md)."""

    figures_table_name: str = Field(min_length=1)


class OrderMirrorsRead(_FromEnvironment):
    """Order mirrors, only read (a report's export)."""

    order_mirrors_table_name: str = Field(min_length=1)


class OrderMirrorsTable(OrderMirrorsRead, FiguresTable):
    """Each mirror's save adds what it changes to the figures, in the same transaction."""


class ManualStoresTable(_FromEnvironment):
    """storelink's own offline stores: their catalogue, stock, orders and change feed."""

    manual_stores_table_name: str = Field(min_length=1)


class IdempotencyTable(_FromEnvironment):
    idempotency_table_name: str = Field(min_length=1)


class StockChangesQueue(_FromEnvironment):
    stock_changes_queue_url: str = Field(min_length=1)


class StoreEventsQueue(_FromEnvironment):
    store_events_queue_url: str = Field(min_length=1)


class OrderEventsQueue(_FromEnvironment):
    order_events_queue_url: str = Field(min_length=1)


class CatalogueImportQueue(_FromEnvironment):
    catalogue_import_queue_url: str = Field(min_length=1)


class OrderHistoryQueue(_FromEnvironment):
    order_history_queue_url: str = Field(min_length=1)


class SweepQueue(_FromEnvironment):
    sweep_queue_url: str = Field(min_length=1)


class FilesBucket(_FromEnvironment):
    """Uploads and exports of file jobs (docs/files.md)."""

    files_bucket_name: str = Field(min_length=1)


class FileJobsTable(_FromEnvironment):
    file_jobs_table_name: str = Field(min_length=1)


class FileJobsQueue(_FromEnvironment):
    """Exports for the file jobs function (S3 announces uploads on the same queue)."""

    file_jobs_queue_url: str = Field(min_length=1)


class EventBus(_FromEnvironment):
    event_bus_name: str = "default"


class DashboardSessionsTable(_FromEnvironment):
    """The dashboard page's sessions, by the digest of their id (docs/dashboard.md)."""

    dashboard_sessions_table_name: str = Field(min_length=1)


class PlansParameter(_FromEnvironment):
    """The deployment's plans: the template's `Plans` parameter, JSON (docs/plans.md), checked at the first call."""

    plans: Annotated[PlanCatalogue, BeforeValidator(lambda v: PlanCatalogue.from_json(v) if isinstance(v, str) else v)]


class StoreSecretsRead(_FromEnvironment):
    """Reads stores' credentials by the secret name on each store's record: no variable, only a grant."""


class StoreSecrets(StoreSecretsRead):
    """Also creates a registering store's secret, under this prefix."""

    store_secrets_prefix: str = Field(min_length=1)


class StoreConnections(StoreSecretsRead, ManualStoresTable):
    """Calls the stores' own APIs, with their credentials; a manual store's connector is its table."""

    store_http_timeout_seconds: float = 10.0


# --- Each function's: exactly the resources it uses ----------------------------------------


class LinkedStoresSettings(LinksTable, SkuMapsTable, StoreConnections):
    """What every service working across a link reads: its stores, the link and its SKU map."""


class WebhookIngressSettings(
    LinksTable, IdempotencyTable, StockChangesQueue, StoreEventsQueue, OrderEventsQueue, StoreSecretsRead
):
    pass


class StoreCatchUpSettings(
    LinksTable, IdempotencyTable, StockChangesQueue, StoreEventsQueue, OrderEventsQueue, StoreConnections
):
    """Reads what stores changed, with their credentials, and queues it as the webhook ingress does (once per
    change); marks on the links table what it has read, and the stores that refuse it."""


class OrderWorkerSettings(LinkedStoresSettings, OrderMirrorsTable, PlansParameter):
    """The plans: each push counts in its destination's month, and waits at its limit (docs/plans.md)."""


class StockWorkerSettings(LinkedStoresSettings, OrderMirrorsTable):
    """Order mirrors: give-backs limited by the ledger are noted on the order's history."""


class CatalogueImportSettings(
    LinkedStoresSettings, CatalogueImportQueue, StockChangesQueue, OrderEventsQueue, PlansParameter
):
    """The stock changes and order events queues: orders that waited for the SKU map are sent again there; the
    plans: automatic matching stays within the destination's synced-products cap."""


class OrderHistorySettings(LinkedStoresSettings, OrderMirrorsTable, OrderHistoryQueue):
    pass


class StockSweepSettings(LinksTable, SweepQueue):
    pass


class SweepWorkerSettings(LinkedStoresSettings, SweepQueue, FiguresTable):
    """The figures: the drift each sweep found and corrected."""


class LinkManagementSettings(LinkedStoresSettings, SweepQueue, EventBus):
    """Ending, sweeping and removing the products of links."""


class StoreEventsSettings(LinkManagementSettings, PlansParameter):
    """An uninstalled app ends its store's links; a product change is re-matched on the links' SKU maps, within
    the destination's synced-products cap."""


class PlanPushesSettings(LinksTable, SkuMapsTable, OrderEventsQueue, CatalogueImportQueue, PlansParameter):
    """Sends the pushes held at their stores' limits to the order worker again, and the links with variants left
    at their synced-products cap to the catalogue import once it has room (counted on the SKU maps)."""


class ManagementApiSettings(
    LinkManagementSettings,
    PlansParameter,
    OrderMirrorsTable,
    OrderEventsQueue,
    StoreSecrets,
    IdempotencyTable,
    StockChangesQueue,
    StoreEventsQueue,
    FilesBucket,
    FileJobsTable,
    FileJobsQueue,
):
    """A manual store's changes made by hand are queued as the webhook ingress queues a platform's, once each;
    file jobs are made, with their presigned URLs, and shown; exports are queued for the file jobs function."""

    # Local deployments register sandbox stores at local addresses; a real one never calls an
    # address a caller chose (see StoreRegistrationRequest.api_base_url).
    allow_custom_store_urls: bool = False


class DashboardSettings(
    LinksTable, SkuMapsTable, OrderMirrorsTable, OrderEventsQueue, DashboardSessionsTable, PlansParameter
):
    """The dashboard page reads stores, links, oversells and order mirrors, queues pushes by hand, and keeps its
    sessions; it shows the store's plan usage (its mapped variants counted on the SKU maps), as the management API
    does; it never reaches a store's platform, so it reads no store's credentials."""


class FileJobsSettings(LinkedStoresSettings, FilesBucket, FileJobsTable, PlansParameter, OrderMirrorsRead):
    """Reads uploaded files and applies them through the stores' connectors and the SKU maps; writes exports of
    maps, stock and the pushed-orders report (read from the order mirrors)."""


# Which settings each function of template.yaml reads (by logical id): the handler's, and the test's.
SETTINGS_OF_FUNCTION: dict[str, type[_FromEnvironment]] = {
    "WebhookIngressFunction": WebhookIngressSettings,
    "StoreCatchUpFunction": StoreCatchUpSettings,
    "OrderWorkerFunction": OrderWorkerSettings,
    "StockWorkerFunction": StockWorkerSettings,
    "CatalogueImportFunction": CatalogueImportSettings,
    "OrderHistoryFunction": OrderHistorySettings,
    "StockSweepFunction": StockSweepSettings,
    "SweepWorkerFunction": SweepWorkerSettings,
    "StoreEventsFunction": StoreEventsSettings,
    "ManagementApiFunction": ManagementApiSettings,
    "DashboardFunction": DashboardSettings,
    "FileJobsFunction": FileJobsSettings,
    "PlanPushesFunction": PlanPushesSettings,
}
