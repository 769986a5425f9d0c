"""Plan pushes: every hour, the orders held at their destination's monthly push limit go to the order worker again,
as many as the month has room for: all of them once the month has turned or the plan no longer caps them; and the
links with variants left unmapped at their destination's synced-products cap are matched again once it has room
(docs/plans.md)."""

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from storelink import bootstrap
from storelink.observability import logger, metrics, tracer
from storelink.services.plans import HeldMatches, PlanPushes
from storelink.settings import PlanPushesSettings


@cache
def settings() -> PlanPushesSettings:
    return PlanPushesSettings.from_env()


@cache
def plan_pushes() -> PlanPushes:
    return bootstrap.plan_pushes(settings())


@cache
def held_matches() -> HeldMatches:
    return bootstrap.held_matches(settings())


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    sent = plan_pushes().release()
    metrics.add_metric(name="HeldPushesSent", unit=MetricUnit.Count, value=sent)
    logger.info("held pushes sent to the order worker", extra={"pushes": sent})
    rematched = held_matches().release()
    logger.info("links with variants held at the plan's cap matched again", extra={"links": rematched})
    return {"pushes": sent, "links_rematched": rematched}
