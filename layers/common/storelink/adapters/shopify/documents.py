"""Every GraphQL document the Shopify connector sends, named, in one place.

tests/contract checks each one against Shopify's 2026-10 Admin schema, so a field Shopify does not
have fails in CI rather than in a merchant's store.
"""

SHOP = """
query StorelinkShop {
  shop { id name myshopifyDomain currencyCode }
}
"""

SCOPES = """
query StorelinkScopes {
  currentAppInstallation { accessScopes { handle } }
}
"""

LOCATIONS = """
query StorelinkLocations($after: String) {
  locations(first: 250, after: $after) {
    nodes { id name isActive }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CATALOGUE = """
query StorelinkCatalogue($after: String) {
  productVariants(first: 250, after: $after) {
    nodes {
      id title sku barcode requiresComponents
      product { id title }
      inventoryItem { id tracked }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CATALOGUE_SIZE = """
query StorelinkCatalogueSize {
  productVariantsCount { count precision }
}
"""

# The catalogue as a bulk operation: one JSONL line per variant, its product and item inline.
BULK_CATALOGUE_QUERY = """
{
  productVariants {
    edges { node {
      id title sku barcode requiresComponents
      product { id title }
      inventoryItem { id tracked }
    } }
  }
}
"""

PRODUCT_VARIANTS = """
query StorelinkProductVariants($id: ID!, $after: String) {
  product(id: $id) {
    variants(first: 250, after: $after) {
      nodes {
        id title sku barcode requiresComponents
        product { id title }
        inventoryItem { id tracked }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

PRODUCT_DELETE = """
mutation StorelinkProductDelete($id: ID!) {
  productDelete(input: {id: $id}) {
    deletedProductId
    userErrors { field message }
  }
}
"""

VARIANTS_MATCHING = """
query StorelinkVariantsMatching($query: String!) {
  productVariants(first: 50, query: $query) {
    nodes {
      id title sku barcode requiresComponents
      product { id title }
      inventoryItem { id tracked }
    }
  }
}
"""

VARIANT = """
query StorelinkVariant($id: ID!) {
  productVariant(id: $id) {
    id title sku barcode requiresComponents
    product { id title }
    inventoryItem { id tracked }
  }
}
"""

LEVELS_AT_LOCATION = """
query StorelinkLevelsAtLocation($locationId: ID!, $after: String) {
  location(id: $locationId) {
    inventoryLevels(first: 250, after: $after) {
      nodes { item { id } quantities(names: ["available"]) { name quantity } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

READ_AVAILABLE = """
query StorelinkReadAvailable($itemIds: [ID!]!, $locationId: ID!) {
  nodes(ids: $itemIds) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) {
        quantities(names: ["available"]) { name quantity }
      }
    }
  }
}
"""

SET_AVAILABLE = """
mutation StorelinkSetAvailable($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

ADJUST_AVAILABLE = """
mutation StorelinkAdjustAvailable($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup {
      id
      changes(quantityNames: ["available"]) { quantityAfterChange item { id } location { id } }
    }
    userErrors { field message code }
  }
}
"""

# The query a bulk operation runs (at most 5 connections, 2 levels deep); its JSONL puts each level
# on its own line with __parentId naming its location.
BULK_LEVELS_QUERY = """
{
  locations {
    edges { node { id inventoryLevels { edges { node {
      item { id } quantities(names: ["available"]) { name quantity }
    } } } } }
  }
}
"""

BULK_RUN = """
mutation StorelinkBulkRun($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_STATUS = """
query StorelinkBulkStatus($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount url } }
}
"""

_ORDER_FIELDS = """
  id name createdAt sourceName sourceIdentifier currencyCode tags cancelledAt
  displayFinancialStatus displayFulfillmentStatus discountCodes
  email phone
  customer { firstName lastName defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } }
  shippingAddress { name address1 address2 city provinceCode countryCodeV2 zip phone }
  lineItems(first: 25) {
    nodes { ...StorelinkLine }
    pageInfo { hasNextPage endCursor }
  }
  shippingLines(first: 5) { nodes { title originalPriceSet { shopMoney { amount } } } }
  taxLines { title rate priceSet { shopMoney { amount } } }
  totalDiscountsSet { shopMoney { amount } }
  totalPriceSet { shopMoney { amount } }
"""

_LINE_FIELDS = """
fragment StorelinkLine on LineItem {
  id title sku quantity variant { id } originalUnitPriceSet { shopMoney { amount } }
}
"""

# Five orders of 25 lines stay under Shopify's 1,000-point limit for one query; an order with more
# lines gets the rest through ORDER_LINES.
ORDERS = f"""
query StorelinkOrders($query: String!, $after: String) {{
  orders(first: 5, after: $after, query: $query, sortKey: CREATED_AT) {{
    nodes {{ {_ORDER_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
{_LINE_FIELDS}"""

ORDER = f"""
query StorelinkOrder($id: ID!) {{
  order(id: $id) {{ {_ORDER_FIELDS} }}
}}
{_LINE_FIELDS}"""

ORDER_LINES = f"""
query StorelinkOrderLines($id: ID!, $after: String) {{
  order(id: $id) {{
    lineItems(first: 100, after: $after) {{
      nodes {{ ...StorelinkLine }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
{_LINE_FIELDS}"""

ORDER_CREATE = """
mutation StorelinkOrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name }
    userErrors { field message code }
  }
}
"""

FULFILLMENT_ORDERS = """
query StorelinkFulfillmentOrders($id: ID!) {
  order(id: $id) {
    # 5 x 50 stays under Shopify's 1,000-point limit for one query (an order rarely has more).
    fulfillmentOrders(first: 5) {
      nodes { id status lineItems(first: 50) { nodes { id totalQuantity remainingQuantity lineItem { id } } } }
    }
  }
}
"""

# The source order of a push cut off after Shopify created it carries the part's own recovery tag.
ORDER_TAGGED = """
query StorelinkOrderTagged($query: String!) {
  orders(first: 1, query: $query) { nodes { id name } }
}
"""

FULFILLMENT_CREATE = """
mutation StorelinkFulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

ORDER_CANCELLED_AT = """
query StorelinkOrderCancelledAt($id: ID!) {
  order(id: $id) { cancelledAt }
}
"""

ORDER_CANCEL = """
mutation StorelinkOrderCancel($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!) {
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock, notifyCustomer: false) {
    job { id }
    orderCancelUserErrors { field message code }
  }
}
"""

# What is left to cancel of an order's lines: their units neither fulfilled nor removed (refunded or cancelled).
ORDER_LINES_LEFT = """
query StorelinkOrderLinesLeft($id: ID!, $after: String) {
  order(id: $id) {
    cancelledAt
    lineItems(first: 100, after: $after) {
      nodes { id unfulfilledQuantity }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

# What was paid on an order, for a refund to name as its parent (Shopify refunds money against a sale or capture).
ORDER_TRANSACTIONS = """
query StorelinkOrderTransactions($id: ID!) {
  order(id: $id) {
    transactions(first: 50) { id kind status gateway }
  }
}
"""

# From 2026-04 Shopify requires the idempotency key on refundCreate: a resend with it answers the first refund.
REFUND_CREATE = """
mutation StorelinkRefundCreate($input: RefundInput!, $idempotencyKey: String!) {
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {
    refund { id totalRefundedSet { shopMoney { amount } } }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query StorelinkWebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic endpoint { ... on WebhookHttpEndpoint { callbackUrl } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WEBHOOK_SUBSCRIBE = """
mutation StorelinkSubscribe($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""

# Every document above, for the contract test.
ALL = {name: value for name, value in dict(globals()).items() if name.isupper() and not name.startswith("_")}
