"""Webhook ingress: a store's signed webhook is verified, normalised and queued; no business work here."""

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from storelink import bootstrap
from storelink.adapters.sqs import once_per_delivery_config
from storelink.domain.stores import Platform
from storelink.entrypoints.http import raw_body, register_error_handlers
from storelink.observability import logger, metrics, tracer
from storelink.services.webhook_ingress import WebhookIngress, WebhookReceipt
from storelink.settings import WebhookIngressSettings

# The platform's delivery id (header names arrive lower-cased): Shopify's X-Shopify-Webhook-Id, WooCommerce's
# X-WC-Webhook-Delivery-ID (not unique: it is not the dedup key, only the thread of log lines), else API
# Gateway's request id.
DELIVERY_ID = (
    f'headers."x-shopify-webhook-id" || headers."x-wc-webhook-delivery-id" || {correlation_paths.API_GATEWAY_HTTP}'
)

app = APIGatewayHttpResolver(enable_validation=True)
register_error_handlers(app)
once_per_delivery = once_per_delivery_config()


@cache
def ingress() -> WebhookIngress:
    return bootstrap.webhook_ingress(WebhookIngressSettings.from_env(), once_per_delivery)


@app.post("/webhooks/shopify/<store_id>")
def receive_shopify_webhook(store_id: str) -> WebhookReceipt:
    return receive(Platform.SHOPIFY, store_id)


@app.post("/webhooks/woocommerce/<store_id>")
def receive_woocommerce_webhook(store_id: str) -> WebhookReceipt:
    return receive(Platform.WOOCOMMERCE, store_id)


@app.post("/webhooks/shopwired/<store_id>")
def receive_shopwired_webhook(store_id: str) -> WebhookReceipt:
    return receive(Platform.SHOPWIRED, store_id)


def receive(platform: Platform, store_id: str) -> WebhookReceipt:
    event = app.current_event
    receipt = ingress().accept(platform, store_id, event.headers, raw_body(event))
    metrics.add_metric(name="WebhooksAccepted", unit=MetricUnit.Count, value=1)
    return receipt


# The platform's delivery id: every log line its work causes, in every function, carries it (docs/observability.md).
@logger.inject_lambda_context(correlation_id_path=DELIVERY_ID)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    once_per_delivery.register_lambda_context(context)
    return app.resolve(event, context)
