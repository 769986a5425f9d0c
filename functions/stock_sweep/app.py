"""Stock sweep: every 15 minutes, one sweep job per source store with connected links, for the sweep workers."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from storelink import bootstrap
from storelink.observability import logger, metrics, tracer
from storelink.settings import StockSweepSettings


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    queued = bootstrap.sweep_schedule(StockSweepSettings.from_env()).queue_every_link()
    metrics.add_metric(name="LinksToSweep", unit=MetricUnit.Count, value=queued)
    return {"links": queued}
