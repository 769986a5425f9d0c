"""Plan pushes: every hour, the orders held at their destination's monthly push limit go to the order worker again,
as many as the month has room for: all of them once the month has turned or the plan no longer caps them
(docs/plans.md)."""

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from storelink import bootstrap
from storelink.observability import logger, metrics, tracer
from storelink.services.plans import PlanPushes
from storelink.settings import PlanPushesSettings


@cache
def plan_pushes() -> PlanPushes:
    return bootstrap.plan_pushes(PlanPushesSettings.from_env())


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    sent = plan_pushes().release()
    metrics.add_metric(name="HeldPushesSent", unit=MetricUnit.Count, value=sent)
    logger.info("held pushes sent to the order worker", extra={"pushes": sent})
    return {"pushes": sent}
