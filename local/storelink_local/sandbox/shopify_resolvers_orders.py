"""Orders through the Admin API: orders and order reads, orderCreate, fulfillmentCreate, orderCancel.

Without `read_all_orders` an order created more than 60 days ago is not there at all: left out of
`orders`, null from `order`/`node`, its fulfillment orders unknown (shopify.dev: "Only the last 60 days'
worth of orders from a store are accessible from the Order object by default").
"""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from graphql import GraphQLResolveInfo

from storelink_local.sandbox.shopify_orders import (
    Customer,
    CustomerInput,
    DiscountApplication,
    DiscountInput,
    Fulfillment,
    FulfillmentLineItem,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentRequest,
    InventoryBehaviour,
    LineInput,
    LineItem,
    MailingAddress,
    Money,
    Order,
    OrderDraft,
    Percentage,
    Refund,
    RefundLineItem,
    ShippingInput,
    ShippingLine,
    TaxInput,
    TaxLine,
    TrackingInfo,
    TransactionInput,
    money,
)
from storelink_local.sandbox.shopify_payloads import (
    cancel_events,
    fulfillment_events,
    level_events,
    order_created_events,
)
from storelink_local.sandbox.shopify_resolvers import (
    connection,
    context,
    date_time,
    lookup,
    resolves,
    search,
    sorted_by,
    store,
    unsupported,
    user_errors,
)
from storelink_local.sandbox.shopify_search import Fields
from storelink_local.sandbox.shopify_store import Location, Product, UserError, Variant, legacy_id, parse_gid

_FULFILLMENT_STATUS_SEARCH = {
    "FULFILLED": ("fulfilled", "shipped"),
    "PARTIALLY_FULFILLED": ("partial",),
    "UNFULFILLED": ("unfulfilled", "unshipped"),
    "RESTOCKED": ("restocked", "unshipped"),
}

ORDER_FIELDS: Fields = {
    "id": lambda order: [legacy_id(order.id)],
    "name": lambda order: [order.name, order.name.lstrip("#")],
    "created_at": lambda order: [order.created_at],
    "updated_at": lambda order: [order.updated_at],
    "processed_at": lambda order: [order.processed_at],
    "source_name": lambda order: [order.source_name],
    "tag": lambda order: order.tags,
    "email": lambda order: [order.email],
    "sku": lambda order: [line.sku for line in order.line_items],
    "financial_status": lambda order: [order.financial_status.lower()],
    "fulfillment_status": lambda order: _FULFILLMENT_STATUS_SEARCH.get(order.fulfillment_status, ()),
    "status": lambda order: ["cancelled" if order.cancelled_at else "open"],
}


def _money_bag(amount: Decimal, currency: str) -> dict[str, Money]:
    value = Money(amount=money(amount), currency_code=currency)
    return {"shopMoney": value, "presentmentMoney": value}


def _currency(info: GraphQLResolveInfo) -> str:
    return store(info).shop.currency_code


# -- reads ------------------------------------------------------------------------------------------


@resolves("QueryRoot", "orders")
def _orders(
    _: None, info: GraphQLResolveInfo, query: str | None = None, sortKey: str = "PROCESSED_AT", **args: Any
) -> dict[str, Any]:
    request = context(info)
    keys: dict[str, Callable[[Order], Any]] = {
        "PROCESSED_AT": lambda order: order.processed_at,
        "CREATED_AT": lambda order: order.created_at,
        "UPDATED_AT": lambda order: order.updated_at,
        "ORDER_NUMBER": lambda order: order.number,
        "ID": lambda _: 0,
    }
    orders = search(request.orders.orders(created_since=request.orders_since()), query, ORDER_FIELDS)
    return connection(info, sorted_by(orders, sortKey, keys, "orders"), **args)


@resolves("QueryRoot", "order")
def _order(_: None, info: GraphQLResolveInfo, id: str) -> Order | None:
    return lookup(info, id, "Order")


@resolves("QueryRoot", "fulfillmentOrder")
def _fulfillment_order(_: None, info: GraphQLResolveInfo, id: str) -> FulfillmentOrder | None:
    return lookup(info, id, "FulfillmentOrder")


@resolves("QueryRoot", "job")
def _job(_: None, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    parsed = parse_gid(id)
    if parsed is None or parsed[0] != "Job" or not context(info).orders.job_exists(parsed[1]):
        return None
    # The sandbox runs a job before it answers the mutation that started it.
    return {"id": id, "done": True, "query": None}


@resolves("Order", "customer")
def _order_customer(order: Order, info: GraphQLResolveInfo) -> Customer | None:
    return context(info).orders.customer_of(order)


@resolves("Order", "displayAddress")
def _display_address(order: Order, _: GraphQLResolveInfo) -> MailingAddress | None:
    return order.shipping_address or order.billing_address


@resolves("Order", "closed", "fullyPaid", "unpaid", "confirmed", "fulfillable")
def _order_flags(order: Order, info: GraphQLResolveInfo) -> bool:
    return {
        "closed": False,
        "confirmed": True,
        "fullyPaid": order.financial_status == "PAID",
        "unpaid": order.financial_status in ("PENDING", "AUTHORIZED", "EXPIRED"),
        "fulfillable": order.cancelled_at is None and any(line.unfulfilled_quantity for line in order.line_items),
    }[info.field_name]


@resolves("Order", "closedAt")
def _closed_at(_: Order, __: GraphQLResolveInfo) -> None:
    return None


@resolves("Order", "displayFinancialStatus")
def _display_financial_status(order: Order, _: GraphQLResolveInfo) -> str:
    return order.financial_status


@resolves("Order", "displayFulfillmentStatus")
def _display_fulfillment_status(order: Order, _: GraphQLResolveInfo) -> str:
    return order.fulfillment_status


@resolves("Order", "lineItems")
def _line_items(order: Order, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return connection(info, order.line_items, **args)


@resolves("Order", "shippingLines")
def _shipping_lines(order: Order, info: GraphQLResolveInfo, includeRemovals: bool = False, **args: Any) -> Any:
    return connection(info, order.shipping_lines, **args)


@resolves("Order", "discountApplications")
def _discount_applications(order: Order, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return connection(info, order.discount_applications, number_of=lambda application: application.index, **args)


@resolves("Order", "discountCode")
def _discount_code(order: Order, _: GraphQLResolveInfo) -> str | None:
    return order.discount_applications[0].code if order.discount_applications else None


@resolves("Order", "discountCodes")
def _discount_codes(order: Order, _: GraphQLResolveInfo) -> list[str]:
    return [application.code for application in order.discount_applications]


_ORDER_AMOUNTS: dict[str, Callable[[Order], Decimal]] = {
    "subtotalPriceSet": lambda order: order.subtotal,
    "totalDiscountsSet": lambda order: order.total_discounts,
    "currentTotalDiscountsSet": lambda order: order.total_discounts,
    "totalShippingPriceSet": lambda order: order.total_shipping,
    "totalTaxSet": lambda order: order.total_tax,
    "totalPriceSet": lambda order: order.total_price,
    "currentTotalPriceSet": lambda order: order.total_price - order.total_refunded,
}


@resolves("Order", *_ORDER_AMOUNTS)
def _order_amount(order: Order, info: GraphQLResolveInfo) -> dict[str, Money]:
    return _money_bag(_ORDER_AMOUNTS[info.field_name](order), order.currency_code)


@resolves("Order", "fulfillments")
def _fulfillments(order: Order, _: GraphQLResolveInfo, first: int | None = None) -> list[Fulfillment]:
    return list(order.fulfillments[:first])


@resolves("Order", "refunds")
def _refunds(order: Order, _: GraphQLResolveInfo, first: int | None = None) -> list[Refund]:
    return list(order.refunds[:first])


@resolves("Order", "fulfillmentOrders")
def _fulfillment_orders(
    order: Order, info: GraphQLResolveInfo, displayable: bool = False, **args: Any
) -> dict[str, Any]:
    return connection(info, order.fulfillment_orders, **args)


@resolves("Customer", "defaultEmailAddress")
def _email_address(customer: Customer, _: GraphQLResolveInfo) -> dict[str, str] | None:
    return None if customer.email is None else {"emailAddress": customer.email}


@resolves("Customer", "defaultPhoneNumber")
def _phone_number(customer: Customer, _: GraphQLResolveInfo) -> dict[str, str] | None:
    return None if customer.phone is None else {"phoneNumber": customer.phone}


@resolves("MailingAddress", "countryCodeV2")
def _country_code(address: MailingAddress, _: GraphQLResolveInfo) -> str | None:
    return address.country_code


@resolves("MailingAddress", "province")
def _province(address: MailingAddress, _: GraphQLResolveInfo) -> str | None:
    return address.province_code


@resolves("LineItem", "variant")
def _line_variant(line: LineItem, info: GraphQLResolveInfo) -> Variant | None:
    return None if line.variant_id is None else store(info).variant(legacy_id(line.variant_id))


@resolves("LineItem", "product")
def _line_product(line: LineItem, info: GraphQLResolveInfo) -> Product | None:
    return None if line.product_id is None else store(info).product(legacy_id(line.product_id))


@resolves("LineItem", "refundableQuantity")
def _refundable_quantity(line: LineItem, _: GraphQLResolveInfo) -> int:
    return line.current_quantity


@resolves("LineItem", "nonFulfillableQuantity")
def _non_fulfillable_quantity(line: LineItem, _: GraphQLResolveInfo) -> int:
    return line.removed_quantity


@resolves("LineItem", "restockable")
def _restockable(line: LineItem, _: GraphQLResolveInfo) -> bool:
    return line.unfulfilled_quantity > 0


@resolves("LineItem", "isGiftCard")
def _is_gift_card(_: LineItem, __: GraphQLResolveInfo) -> bool:
    return False


@resolves("LineItem", "taxLines", "customAttributes", "duties")
def _none_listed(_: Any, __: GraphQLResolveInfo, first: int | None = None) -> list[Any]:
    return []


_LINE_AMOUNTS: dict[str, Callable[[LineItem], Decimal]] = {
    "originalUnitPriceSet": lambda line: line.price,
    "discountedUnitPriceSet": lambda line: line.price - line.discount / line.quantity,
    "discountedUnitPriceAfterAllDiscountsSet": lambda line: line.price - line.discount / line.quantity,
    "originalTotalSet": lambda line: line.total,
    "discountedTotalSet": lambda line: line.total - line.discount,
    "totalDiscountSet": lambda line: line.discount,
}


@resolves("LineItem", *_LINE_AMOUNTS)
def _line_amount(line: LineItem, info: GraphQLResolveInfo, withCodeDiscounts: bool = False) -> dict[str, Money]:
    return _money_bag(_LINE_AMOUNTS[info.field_name](line), _currency(info))


_SHIPPING_AMOUNTS: dict[str, Callable[[ShippingLine], Decimal]] = {
    "originalPriceSet": lambda line: line.price,
    "discountedPriceSet": lambda line: line.discounted_price,
    "currentDiscountedPriceSet": lambda line: line.discounted_price,
}


@resolves("ShippingLine", *_SHIPPING_AMOUNTS)
def _shipping_amount(line: ShippingLine, info: GraphQLResolveInfo) -> dict[str, Money]:
    return _money_bag(_SHIPPING_AMOUNTS[info.field_name](line), _currency(info))


@resolves("ShippingLine", "taxLines")
def _shipping_tax_lines(_: ShippingLine, __: GraphQLResolveInfo) -> list[TaxLine]:
    return []


@resolves("ShippingLine", "custom", "isRemoved")
def _shipping_flags(_: ShippingLine, info: GraphQLResolveInfo) -> bool:
    # orderCreate's shipping lines are custom ones; none is ever removed here.
    return info.field_name == "custom"


@resolves("TaxLine", "priceSet")
def _tax_price(tax: TaxLine, info: GraphQLResolveInfo) -> dict[str, Money]:
    return _money_bag(tax.price, _currency(info))


@resolves("TaxLine", "rate")
def _tax_rate(tax: TaxLine, _: GraphQLResolveInfo) -> float:
    return float(tax.rate)


@resolves("TaxLine", "ratePercentage")
def _tax_rate_percentage(tax: TaxLine, _: GraphQLResolveInfo) -> float:
    return float(tax.rate * 100)


@resolves("TaxLine", "channelLiable", "source")
def _tax_unknown(_: TaxLine, __: GraphQLResolveInfo) -> None:
    return None


@resolves("DiscountCodeApplication", "value")
def _discount_value(application: DiscountApplication, info: GraphQLResolveInfo) -> Money | Percentage:
    if application.value_type == "percentage":
        return Percentage(percentage=float(application.value))
    return Money(amount=money(application.value), currency_code=_currency(info))


@resolves("DiscountCodeApplication", "allocationMethod")
def _allocation_method(_: DiscountApplication, __: GraphQLResolveInfo) -> str:
    return "ACROSS"


@resolves("DiscountCodeApplication", "targetSelection")
def _target_selection(_: DiscountApplication, __: GraphQLResolveInfo) -> str:
    return "ALL"


# -- fulfillment orders, fulfillments, refunds ----------------------------------------------------


@resolves("FulfillmentOrder", "order")
def _fulfillment_order_order(fulfillment_order: FulfillmentOrder, info: GraphQLResolveInfo) -> Order | None:
    return context(info).orders.order(legacy_id(fulfillment_order.order_id))


@resolves("FulfillmentOrder", "assignedLocation")
def _assigned_location(fulfillment_order: FulfillmentOrder, info: GraphQLResolveInfo) -> dict[str, Any]:
    location = store(info).location(legacy_id(fulfillment_order.location_id))
    return {"location": location, "name": location.name if location else ""}


@resolves("FulfillmentOrder", "lineItems")
def _fulfillment_order_lines(fulfillment_order: FulfillmentOrder, info: GraphQLResolveInfo, **args: Any) -> Any:
    return connection(info, fulfillment_order.line_items, **args)


@resolves("FulfillmentOrder", "requestStatus")
def _request_status(_: FulfillmentOrder, __: GraphQLResolveInfo) -> str:
    return "UNSUBMITTED"


def _line_of(line: FulfillmentOrderLineItem | FulfillmentLineItem | RefundLineItem, info: GraphQLResolveInfo) -> Any:
    return context(info).orders.line_item(line.line_item_id)


for _type_name in ("FulfillmentOrderLineItem", "FulfillmentLineItem", "RefundLineItem"):
    resolves(_type_name, "lineItem")(_line_of)


@resolves("FulfillmentOrderLineItem", "sku", "variant", "productTitle", "variantTitle", "inventoryItemId")
def _fulfillment_order_line_detail(line: FulfillmentOrderLineItem, info: GraphQLResolveInfo) -> Any:
    item = context(info).orders.line_item(line.line_item_id)
    if item is None:
        return None
    match info.field_name:
        case "sku":
            return item.sku
        case "variant":
            return None if item.variant_id is None else store(info).variant(legacy_id(item.variant_id))
        case "productTitle":
            return item.title
        case "variantTitle":
            return item.variant_title
        case _:
            return item.inventory_item_id


@resolves("Fulfillment", "trackingInfo")
def _tracking_info(fulfillment: Fulfillment, _: GraphQLResolveInfo, first: int | None = None) -> list[TrackingInfo]:
    return list(fulfillment.tracking[:first])


@resolves("Fulfillment", "location")
def _fulfillment_location(fulfillment: Fulfillment, info: GraphQLResolveInfo) -> Location | None:
    return store(info).location(legacy_id(fulfillment.location_id))


@resolves("Fulfillment", "order")
def _fulfillment_order_of(fulfillment: Fulfillment, info: GraphQLResolveInfo) -> Order | None:
    return context(info).orders.order(legacy_id(fulfillment.order_id))


@resolves("Fulfillment", "fulfillmentLineItems")
def _fulfillment_lines(fulfillment: Fulfillment, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return connection(info, fulfillment.line_items, **args)


@resolves("Fulfillment", "displayStatus")
def _fulfillment_display_status(_: Fulfillment, __: GraphQLResolveInfo) -> str:
    return "FULFILLED"


@resolves("Fulfillment", "requiresShipping")
def _requires_shipping(_: Fulfillment, __: GraphQLResolveInfo) -> bool:
    return True


@resolves("Fulfillment", "deliveredAt", "inTransitAt", "estimatedDeliveryAt")
def _not_yet(_: Fulfillment, __: GraphQLResolveInfo) -> None:
    return None


@resolves("Refund", "refundLineItems")
def _refund_lines(refund: Refund, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return connection(info, refund.line_items, **args)


@resolves("Refund", "totalRefundedSet")
def _total_refunded(refund: Refund, info: GraphQLResolveInfo) -> dict[str, Money]:
    return _money_bag(refund.amount, _currency(info))


@resolves("Refund", "updatedAt")
def _refund_updated_at(refund: Refund, _: GraphQLResolveInfo) -> str:
    return date_time(refund.created_at)


@resolves("Refund", "order")
def _refund_order(refund: Refund, info: GraphQLResolveInfo) -> Order | None:
    return context(info).orders.order(legacy_id(refund.order_id))


@resolves("RefundLineItem", "location")
def _refund_location(line: RefundLineItem, info: GraphQLResolveInfo) -> Location | None:
    return None if line.location_id is None else store(info).location(legacy_id(line.location_id))


@resolves("RefundLineItem", "restocked")
def _restocked(line: RefundLineItem, _: GraphQLResolveInfo) -> bool:
    return line.restock_type != "NO_RESTOCK"


@resolves("RefundLineItem", "subtotalSet", "priceSet", "totalTaxSet")
def _refund_line_amount(line: RefundLineItem, info: GraphQLResolveInfo) -> dict[str, Money]:
    amounts = {
        "subtotalSet": line.subtotal,
        "priceSet": line.subtotal / line.quantity,
        "totalTaxSet": Decimal(0),
    }
    return _money_bag(amounts[info.field_name], _currency(info))


# -- mutations --------------------------------------------------------------------------------------

# OrderCreateOrderInput fields the sandbox reads; any other one given is refused loudly.
_ORDER_INPUT_FIELDS = frozenset(
    {
        "lineItems",
        "sourceName",
        "sourceIdentifier",
        "email",
        "phone",
        "customer",
        "shippingAddress",
        "billingAddress",
        "shippingLines",
        "taxLines",
        "taxesIncluded",
        "discountCode",
        "tags",
        "note",
        "financialStatus",
        "processedAt",
        "name",
        "test",
        "transactions",
    }
)
_LINE_INPUT_FIELDS = frozenset(
    {"variantId", "quantity", "priceSet", "title", "sku", "variantTitle", "vendor", "taxable", "requiresShipping"}
)


@resolves("Mutation", "orderCreate")
def _order_create(
    _: None, info: GraphQLResolveInfo, order: Mapping[str, Any], options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    request = context(info)
    _refuse_unread(order, _ORDER_INPUT_FIELDS, "OrderCreateOrderInput")
    customer, customer_errors = _customer_input(order.get("customer"))
    if customer_errors:
        return {"order": None, "userErrors": user_errors(customer_errors)}
    financial_status = order.get("financialStatus") or ("PAID" if order.get("transactions") else None)
    draft = OrderDraft(
        lines=tuple(_line_input(line) for line in order.get("lineItems") or ()),
        source_name=order.get("sourceName"),
        source_identifier=order.get("sourceIdentifier"),
        email=order.get("email"),
        phone=order.get("phone"),
        customer=customer,
        shipping_address=_address(order.get("shippingAddress")),
        billing_address=_address(order.get("billingAddress")),
        shipping_lines=tuple(
            ShippingInput(
                title=line["title"],
                price=_amount(line["priceSet"]),
                code=line.get("code"),
                source=line.get("source"),
            )
            for line in order.get("shippingLines") or ()
        ),
        tax_lines=tuple(
            TaxInput(
                title=tax["title"],
                rate=Decimal(str(tax["rate"])),
                price=None if tax.get("priceSet") is None else _amount(tax["priceSet"]),
            )
            for tax in order.get("taxLines") or ()
        ),
        taxes_included=bool(order.get("taxesIncluded")),
        discount=_discount_input(order.get("discountCode")),
        tags=tuple(order.get("tags") or ()),
        note=order.get("note"),
        financial_status=financial_status,
        processed_at=None if order.get("processedAt") is None else _instant(order["processedAt"]),
        name=order.get("name"),
        test=bool(order.get("test")),
        transactions=tuple(_transaction_input(t) for t in order.get("transactions") or ()),
    )
    inventory: InventoryBehaviour = (options or {}).get("inventoryBehaviour") or "BYPASS"
    outcome = request.orders.create(draft, inventory)
    if outcome.order is not None:
        request.events.extend(level_events(outcome.changed_levels))
        request.events.extend(order_created_events(outcome.order, request.orders.customer_of(outcome.order)))
    return {"order": outcome.order, "userErrors": user_errors(outcome.user_errors)}


_TRANSACTION_INPUT_FIELDS = frozenset({"amountSet", "kind", "status", "gateway"})


def _transaction_input(transaction: Mapping[str, Any]) -> TransactionInput:
    _refuse_unread(transaction, _TRANSACTION_INPUT_FIELDS, "OrderCreateOrderTransactionInput")
    return TransactionInput(
        amount=_amount(transaction["amountSet"]),
        kind=transaction.get("kind") or "SALE",
        status=transaction.get("status") or "SUCCESS",
        gateway=transaction.get("gateway"),
    )


def _refuse_unread(given: Mapping[str, Any], read: frozenset[str], type_name: str) -> None:
    # Falsy values are the schema's defaults (giftCard: false...) or say nothing.
    unread = sorted(name for name, value in given.items() if name not in read and value)
    if unread:
        raise unsupported(f"{type_name} fields {', '.join(unread)}")


def _instant(text: str) -> datetime:
    # A DateTime without an offset is UTC, as Shopify reads it.
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _amount(money_bag: Mapping[str, Any]) -> Decimal:
    return Decimal(str(money_bag["shopMoney"]["amount"]))


def _line_input(line: Mapping[str, Any]) -> LineInput:
    _refuse_unread(line, _LINE_INPUT_FIELDS, "OrderCreateLineItemInput")
    return LineInput(
        quantity=line["quantity"],
        variant_id=line.get("variantId"),
        title=line.get("title"),
        price=None if line.get("priceSet") is None else _amount(line["priceSet"]),
        sku=line.get("sku"),
        variant_title=line.get("variantTitle"),
        vendor=line.get("vendor"),
        taxable=line.get("taxable", True) is not False,
        requires_shipping=line.get("requiresShipping", True) is not False,
    )


def _customer_input(customer: Mapping[str, Any] | None) -> tuple[CustomerInput | None, list[UserError]]:
    if not customer:
        return None, []
    upsert, associate = customer.get("toUpsert"), customer.get("toAssociate")
    if upsert and associate:
        error = UserError(
            code="REDUNDANT_CUSTOMER_FIELDS",
            field=("order", "customer"),
            message="Only one of toUpsert or toAssociate can be provided.",
        )
        return None, [error]
    if associate:
        return CustomerInput(associate=True, id=associate.get("id"), email=associate.get("email")), []
    if upsert:
        return (
            CustomerInput(
                id=upsert.get("id"),
                email=upsert.get("email"),
                phone=upsert.get("phone"),
                first_name=upsert.get("firstName"),
                last_name=upsert.get("lastName"),
            ),
            [],
        )
    return None, []


def _address(address: Mapping[str, Any] | None) -> MailingAddress | None:
    if not address:
        return None
    return MailingAddress(
        first_name=address.get("firstName"),
        last_name=address.get("lastName"),
        company=address.get("company"),
        address1=address.get("address1"),
        address2=address.get("address2"),
        city=address.get("city"),
        province_code=address.get("provinceCode"),
        country_code=address.get("countryCode"),
        zip=address.get("zip"),
        phone=address.get("phone"),
    )


def _discount_input(discount: Mapping[str, Any] | None) -> DiscountInput | None:
    if not discount:
        return None
    if fixed := discount.get("itemFixedDiscountCode"):
        amount = Decimal(0) if fixed.get("amountSet") is None else _amount(fixed["amountSet"])
        return DiscountInput(code=fixed["code"], kind="fixed_amount", value=amount)
    if percentage := discount.get("itemPercentageDiscountCode"):
        return DiscountInput(
            code=percentage["code"], kind="percentage", value=Decimal(str(percentage.get("percentage") or 0))
        )
    if free := discount.get("freeShippingDiscountCode"):
        return DiscountInput(code=free["code"], kind="free_shipping")
    return None


@resolves("Mutation", "fulfillmentCreate")
def _fulfillment_create(
    _: None, info: GraphQLResolveInfo, fulfillment: Mapping[str, Any], message: str | None = None
) -> dict[str, Any]:
    request = context(info)
    _refuse_unread(
        fulfillment, frozenset({"lineItemsByFulfillmentOrder", "trackingInfo", "notifyCustomer"}), "FulfillmentInput"
    )
    entries = fulfillment["lineItemsByFulfillmentOrder"]
    # An order the app cannot see (older than 60 days) has no fulfillment orders it can name.
    hidden = [
        {
            "field": ["fulfillment", "lineItemsByFulfillmentOrder", str(index), "fulfillmentOrderId"],
            "message": f"Fulfillment order {entry['fulfillmentOrderId']} does not exist.",
        }
        for index, entry in enumerate(entries)
        if lookup(info, entry["fulfillmentOrderId"], "FulfillmentOrder") is None
    ]
    if hidden:
        return {"fulfillment": None, "userErrors": hidden}
    outcome = request.orders.fulfil(
        FulfillmentRequest(
            fulfillment_orders=tuple(
                (
                    entry["fulfillmentOrderId"],
                    None
                    if entry.get("fulfillmentOrderLineItems") is None
                    else tuple((line["id"], line["quantity"]) for line in entry["fulfillmentOrderLineItems"]),
                )
                for entry in entries
            ),
            tracking=_tracking(fulfillment.get("trackingInfo")),
            notify_customer=bool(fulfillment.get("notifyCustomer")),
        )
    )
    if outcome.fulfillment is not None and outcome.order is not None:
        request.events.extend(
            fulfillment_events(outcome.fulfillment, outcome.order, request.orders.customer_of(outcome.order))
        )
    errors = [{"field": list(error.field), "message": error.message} for error in outcome.user_errors]
    return {"fulfillment": outcome.fulfillment, "userErrors": errors}


def _tracking(tracking: Mapping[str, Any] | None) -> TrackingInfo | None:
    if not tracking:
        return None
    if tracking.get("numbers") or tracking.get("urls"):
        raise unsupported("trackingInfo with several numbers or urls")
    return TrackingInfo(company=tracking.get("company"), number=tracking.get("number"), url=tracking.get("url"))


@resolves("Mutation", "orderCancel")
def _order_cancel(
    _: None,
    info: GraphQLResolveInfo,
    orderId: str,
    reason: str,
    restock: bool,
    refund: bool | None = None,
    refundMethod: Mapping[str, Any] | None = None,
    notifyCustomer: bool | None = None,
    staffNote: str | None = None,
) -> dict[str, Any]:
    request = context(info)
    # 2025-07 on: `refundMethod` says how to refund (original payment methods or store credit); neither it nor
    # the deprecated `refund` means no refund.
    if refund is not None and refundMethod is not None:
        return _cancel_payload(
            None, [{"code": "INVALID", "field": ["refund"], "message": "Use either refund or refundMethod, not both."}]
        )
    refund = bool(refund) or bool(
        refundMethod and (refundMethod.get("originalPaymentMethodsRefund") or refundMethod.get("storeCreditRefund"))
    )
    if lookup(info, orderId, "Order") is None:
        return _cancel_payload(None, [{"code": "NOT_FOUND", "field": ["orderId"], "message": "Order does not exist."}])
    outcome = request.orders.cancel(orderId, reason, refund=refund, restock=restock, staff_note=staffNote)
    if outcome.order is not None:
        request.events.extend(level_events(outcome.changed_levels))
        request.events.extend(cancel_events(outcome.order, outcome.refund, request.orders.customer_of(outcome.order)))
    return _cancel_payload(outcome.job_id, user_errors(outcome.user_errors))


def _cancel_payload(job_id: str | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    # Shopify answers with the job that cancels the order; the sandbox has run it by the time it answers.
    return {
        "job": None if job_id is None else {"id": job_id, "done": False, "query": None},
        "orderCancelUserErrors": errors,
        "userErrors": [{"field": error["field"], "message": error["message"]} for error in errors],
    }
