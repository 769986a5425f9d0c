"""Store catch-up: every minute, what WooCommerce stores changed is read back and queued as their webhooks would
have been (WooCommerce never resends a lost delivery); the same change from both is queued once."""

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from storelink import bootstrap
from storelink.adapters.sqs import once_per_delivery_config
from storelink.observability import logger, metrics, tracer
from storelink.services.catch_up import StoreCatchUp
from storelink.settings import StoreCatchUpSettings

once_per_delivery = once_per_delivery_config()


@cache
def catch_up() -> StoreCatchUp:
    return bootstrap.store_catch_up(StoreCatchUpSettings.from_env(), once_per_delivery)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    once_per_delivery.register_lambda_context(context)
    report = catch_up().catch_up()
    metrics.add_metric(name="StoresCaughtUp", unit=MetricUnit.Count, value=report.stores_read)
    metrics.add_metric(name="CatchUpEvents", unit=MetricUnit.Count, value=report.events_published)
    report.raise_for_failures()
    return {"stores": report.stores_read, "events": report.events_published}
