"""The app's side of the Admin API: its installation and scopes, bulk operations, webhook subscriptions."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from graphql import GraphQLError, GraphQLResolveInfo, execute_sync

from storelink_local.sandbox.shopify_bulk import (
    BulkOperation,
    BulkQueryRefused,
    BulkQueryUnsupported,
    jsonl_lines,
    prepare,
)
from storelink_local.sandbox.shopify_resolvers import (
    TYPE_NAMES,
    connection,
    context,
    resolve_field,
    resolve_type,
    resolves,
    sorted_by,
    store,
    unsupported,
)
from storelink_local.sandbox.shopify_store import gid, legacy_id
from storelink_local.sandbox.shopify_webhooks import TOPIC_ENUMS, WebhookSubscription

# The sandbox's receivers run on the test machine: a loopback http:// address stands in for the public
# https:// one Shopify requires.
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class HttpEndpoint:
    callback_url: str


TYPE_NAMES[HttpEndpoint] = "WebhookHttpEndpoint"


@resolves("QueryRoot", "currentAppInstallation")
def _current_app_installation(_: None, info: GraphQLResolveInfo) -> dict[str, Any]:
    scopes = sorted(context(info).scopes.granted)
    return {
        "id": gid("AppInstallation", legacy_id(store(info).shop.id)),
        "accessScopes": [{"handle": scope, "description": ""} for scope in scopes],
    }


# -- bulk operations --------------------------------------------------------------------------------


@resolves("QueryRoot", "currentBulkOperation")
def _current_bulk_operation(_: None, info: GraphQLResolveInfo, type: str = "QUERY") -> BulkOperation | None:
    request = context(info)
    return request.bulk_operations.current(request.base_url) if type == "QUERY" else None


@resolves("Mutation", "bulkOperationRunQuery")
def _bulk_operation_run_query(_: None, info: GraphQLResolveInfo, query: str) -> dict[str, Any]:
    request = context(info)
    running = request.bulk_operations.running()
    if len(running) >= request.bulk_operations.limit:
        message = f"A bulk query operation for this app and shop is already in progress: {running[-1]}."
        return _bulk_refused("OPERATION_IN_PROGRESS", message)
    try:
        bulk_query = prepare(info.schema, query)
    except BulkQueryRefused as refused:
        return _bulk_refused("INVALID", str(refused))
    except BulkQueryUnsupported as missing:
        raise unsupported(str(missing)) from None
    run = dataclasses.replace(request, events=[], unpaged=True)
    result = execute_sync(
        info.schema,
        bulk_query.document,
        context_value=run,
        field_resolver=resolve_field,
        type_resolver=resolve_type,
    )
    codes = {(error.extensions or {}).get("code") for error in result.errors or ()}
    if codes - {"ACCESS_DENIED"}:
        # Not Shopify's answer to anything: a query the sandbox cannot run, said where the client sees it.
        raise GraphQLError(
            f"The bulk query failed in the sandbox: {result.errors}", extensions={"code": "SANDBOX_UNSUPPORTED"}
        )
    lines: list[dict[str, Any]] = []
    roots, error_code = 0, None
    if codes:
        error_code = "ACCESS_DENIED"
    else:
        lines, roots = jsonl_lines(info.schema, bulk_query, result.data or {})
    operation = request.bulk_operations.start(query, lines, roots, error_code)
    return {"bulkOperation": operation, "userErrors": []}


def _bulk_refused(code: str, message: str) -> dict[str, Any]:
    return {"bulkOperation": None, "userErrors": [{"code": code, "field": ["query"], "message": message}]}


@resolves("BulkOperation", "objectCount", "rootObjectCount", "fileSize")
def _bulk_counts(operation: BulkOperation, info: GraphQLResolveInfo) -> str | None:
    # UnsignedInt64 goes over the wire as a string.
    value = {
        "objectCount": operation.object_count,
        "rootObjectCount": operation.root_object_count,
        "fileSize": operation.file_size,
    }[info.field_name]
    return None if value is None else str(value)


# -- webhook subscriptions --------------------------------------------------------------------------


@resolves("QueryRoot", "webhookSubscriptions")
def _webhook_subscriptions(
    _: None,
    info: GraphQLResolveInfo,
    topics: list[str] | None = None,
    callbackUrl: str | None = None,
    format: str | None = None,
    sortKey: str = "CREATED_AT",
    **args: Any,
) -> dict[str, Any]:
    subscriptions = [
        subscription
        for subscription in context(info).webhooks.subscriptions
        if (topics is None or subscription.topic_enum in topics)
        and (callbackUrl is None or subscription.url == callbackUrl)
        and format in (None, "JSON")
    ]
    keys = {"CREATED_AT": lambda subscription: subscription.created_at, "ID": lambda _: 0}
    return connection(info, sorted_by(subscriptions, sortKey, keys, "webhookSubscriptions"), **args)


@resolves("Mutation", "webhookSubscriptionCreate")
def _webhook_subscription_create(
    _: None, info: GraphQLResolveInfo, topic: str, webhookSubscription: Mapping[str, Any]
) -> dict[str, Any]:
    request = context(info)
    if topic not in TOPIC_ENUMS:
        raise unsupported(f"webhooks for {topic}; it fires {', '.join(sorted(TOPIC_ENUMS))}")
    if webhookSubscription.get("format") not in (None, "JSON"):
        raise unsupported("webhook subscriptions in another format than JSON")
    extras = sorted(
        name
        for name in ("filter", "includeFields", "metafieldNamespaces", "metafields")
        if webhookSubscription.get(name)
    )
    if extras:
        raise unsupported(f"webhook subscriptions with {', '.join(extras)}")
    # `uri` from 2025-10 (an HTTPS address, or a Pub/Sub or EventBridge one); `callbackUrl` is deprecated.
    field = "uri" if "uri" in webhookSubscription else "callbackUrl"
    url = webhookSubscription.get(field)
    refusal = _address_refusal(url)
    if refusal is None and any(
        subscription.topic == TOPIC_ENUMS[topic] and subscription.url == url
        for subscription in request.webhooks.subscriptions
    ):
        refusal = "Address for this topic has already been taken"
    if refusal is not None:
        errors = [{"field": ["webhookSubscription", field], "message": refusal}]
        return {"webhookSubscription": None, "userErrors": errors}
    assert url is not None
    return {"webhookSubscription": request.webhooks.subscribe(TOPIC_ENUMS[topic], url), "userErrors": []}


def _address_refusal(url: str | None) -> str | None:
    if not url:
        return "Address can't be blank"
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS):
        return None
    return f"Address protocol {parts.scheme}:// is not supported"


@resolves("Mutation", "webhookSubscriptionDelete")
def _webhook_subscription_delete(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    if context(info).webhooks.unsubscribe(id):
        return {"deletedWebhookSubscriptionId": id, "userErrors": []}
    errors = [{"field": ["id"], "message": "Webhook subscription does not exist"}]
    return {"deletedWebhookSubscriptionId": None, "userErrors": errors}


@resolves("WebhookSubscription", "topic")
def _subscription_topic(subscription: WebhookSubscription, _: GraphQLResolveInfo) -> str:
    return subscription.topic_enum


@resolves("WebhookSubscription", "format")
def _subscription_format(_: WebhookSubscription, __: GraphQLResolveInfo) -> str:
    return "JSON"


@resolves("WebhookSubscription", "callbackUrl")
def _subscription_callback_url(subscription: WebhookSubscription, _: GraphQLResolveInfo) -> str:
    return subscription.url


@resolves("WebhookSubscription", "endpoint")
def _subscription_endpoint(subscription: WebhookSubscription, _: GraphQLResolveInfo) -> HttpEndpoint:
    return HttpEndpoint(callback_url=subscription.url)


@resolves("WebhookSubscription", "apiVersion")
def _subscription_api_version(_: WebhookSubscription, info: GraphQLResolveInfo) -> dict[str, Any]:
    version = context(info).webhooks.api_version
    return {"handle": version, "displayName": version, "supported": True}


@resolves("WebhookSubscription", "includeFields", "metafieldNamespaces", "metafields")
def _subscription_lists(_: WebhookSubscription, __: GraphQLResolveInfo) -> list[Any]:
    return []


@resolves("WebhookSubscription", "filter")
def _subscription_filter(_: WebhookSubscription, __: GraphQLResolveInfo) -> None:
    return None
