"""Stock sweep: every 15 minutes, one sweep job per source store with connected links, for the sweep workers."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from storelink import bootstrap
from storelink.observability import logger, metrics, tracer
from storelink.settings import StockSweepSettings

if TYPE_CHECKING:
    from storelink.services.stock_sweep import SweepSchedule  # imported by its wiring


@cache
def schedule() -> SweepSchedule:
    return bootstrap.sweep_schedule(StockSweepSettings.from_env())


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    queued = schedule().queue_every_link()
    metrics.add_metric(name="LinksToSweep", unit=MetricUnit.Count, value=queued)
    return {"links": queued}
