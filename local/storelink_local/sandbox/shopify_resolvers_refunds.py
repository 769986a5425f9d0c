"""The sandbox's order payments and refundCreate, as Shopify Admin GraphQL 2026-10 serves them.

A refund gives money back only against a successful sale or capture of the order (its parent), through the
parent's gateway; from 2026-04 refundCreate requires `@idempotent(key:)`, and a key used before answers with
its first refund. Only unfulfilled units are refunded here (the merchant's refund in the admin is the same).
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from graphql import GraphQLResolveInfo

from storelink_local.sandbox.shopify_orders import (
    Money,
    Order,
    OrderTransaction,
    RefundLineInput,
    RefundRequest,
    RefundTransactionInput,
)
from storelink_local.sandbox.shopify_payloads import level_events, refund_events
from storelink_local.sandbox.shopify_resolvers import (
    context,
    idempotency_key,
    key_reused,
    lookup,
    resolves,
    unsupported,
    user_errors,
)
from storelink_local.sandbox.shopify_store import IdempotencyKeyReused


@resolves("Order", "transactions")
def _transactions(order: Order, _: GraphQLResolveInfo, first: int | None = None, **filters: Any) -> list[Any]:
    if any(value is not None for value in filters.values()):
        raise unsupported(f"order transactions filtered by {', '.join(sorted(filters))}")
    return list(order.transactions[:first])


@resolves("OrderTransaction", "amountSet")
def _transaction_amount(transaction: OrderTransaction, info: GraphQLResolveInfo) -> dict[str, Money]:
    currency = context(info).store.shop.currency_code
    amount = Money(amount=transaction.amount, currency_code=currency)
    return {"shopMoney": amount, "presentmentMoney": amount}


@resolves("OrderTransaction", "parentTransaction")
def _parent_transaction(transaction: OrderTransaction, info: GraphQLResolveInfo) -> OrderTransaction | None:
    if transaction.parent_id is None:
        return None
    order = next(o for o in context(info).orders.orders() if transaction in o.transactions)
    return next((t for t in order.transactions if t.id == transaction.parent_id), None)


_REFUND_INPUT_FIELDS = frozenset({"orderId", "note", "notify", "refundLineItems", "transactions", "currency"})


@resolves("Mutation", "refundCreate")
def _refund_create(_: None, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> dict[str, Any]:
    key = idempotency_key(info)
    unread = sorted(name for name, value in input.items() if name not in _REFUND_INPUT_FIELDS and value)
    if unread:
        raise unsupported(f"RefundInput fields {', '.join(unread)}")
    request = RefundRequest(
        order_id=input["orderId"],
        note=input.get("note"),
        lines=tuple(
            RefundLineInput(
                line_item_id=line["lineItemId"],
                quantity=line["quantity"],
                restock_type=line.get("restockType") or "NO_RESTOCK",
                location_id=line.get("locationId"),
            )
            for line in input.get("refundLineItems") or ()
        ),
        transactions=tuple(
            RefundTransactionInput(
                parent_id=transaction.get("parentId"),
                gateway=transaction["gateway"],
                kind=transaction["kind"],
                amount=Decimal(str(transaction["amount"])),
            )
            for transaction in input.get("transactions") or ()
        ),
    )
    _refuse_unmodelled(info, request)
    try:
        outcome, new = context(info).orders.refund(request, key)
    except IdempotencyKeyReused as reused:
        raise key_reused(reused) from reused
    if new and outcome.order is not None and outcome.refund is not None:
        events = context(info).events
        events.extend(level_events(outcome.changed_levels))
        events.extend(refund_events(outcome.order, outcome.refund, context(info).orders.customer_of(outcome.order)))
    return {"order": outcome.order, "refund": outcome.refund, "userErrors": user_errors(outcome.user_errors)}


def _refuse_unmodelled(info: GraphQLResolveInfo, request: RefundRequest) -> None:
    """Shopify takes these; the sandbox does not model them, so it refuses them loudly rather than guess."""
    if any(transaction.kind != "REFUND" for transaction in request.transactions):
        raise unsupported("refund transactions of any kind but REFUND")
    order: Order | None = lookup(info, request.order_id, "Order")
    lines = {line.id: line for line in order.line_items} if order else {}
    if any(
        line.line_item_id in lines
        and lines[line.line_item_id].unfulfilled_quantity < line.quantity <= lines[line.line_item_id].current_quantity
        for line in request.lines
    ):
        raise unsupported("refunds of fulfilled line items")
