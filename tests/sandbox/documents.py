"""The Admin GraphQL documents the sandbox tests send: each one validates against the 2026-10 contract,
so the Shopify connector can use them as they are."""

SHOP = """
query Shop {
  shop { id name myshopifyDomain }
}
"""

LOCATIONS = """
query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after, sortKey: ID) {
    nodes { id name }
    pageInfo { hasNextPage endCursor }
  }
}
"""

INVENTORY_ITEM_LEVELS = """
query InventoryItemLevels($id: ID!, $locationId: ID!) {
  inventoryItem(id: $id) {
    id
    sku
    tracked
    legacyResourceId
    variant { id sku barcode }
    inventoryLevel(locationId: $locationId) {
      id
      quantities(names: ["available", "on_hand"]) { name quantity }
    }
    inventoryLevels(first: 50) {
      nodes {
        id
        location { id }
        quantities(names: ["available"]) { name quantity }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

PRODUCT_VARIANTS = """
query ProductVariants($first: Int!, $after: String, $query: String) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes {
      id
      sku
      barcode
      inventoryItem { id tracked }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

NODES = """
query Nodes($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename
    id
    ... on InventoryItem { sku }
    ... on InventoryLevel { quantities(names: ["available"]) { name quantity } }
    ... on ProductVariant { sku }
    ... on Location { name }
  }
}
"""

# Shopify 2026-04+: @idempotent(key:) is required on the field, and every quantity must carry
# changeFromQuantity (null only to skip the compare-and-swap).
SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup {
      id
      reason
      referenceDocumentUri
      createdAt
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { code field message }
  }
}
"""

# Shopify 2026-04+: the key is mandatory here too; deltas, so a retry must reuse its key to apply once.
ADJUST_QUANTITIES = """
mutation AdjustQuantities($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup {
      id
      reason
      referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { code field message }
  }
}
"""

APP_SCOPES = """
query AppScopes {
  currentAppInstallation { accessScopes { handle } }
}
"""

PRODUCTS = """
query Products($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query) {
    edges {
      cursor
      node {
        id
        title
        hasVariantsThatRequiresComponents
        variants(first: 20) {
          nodes {
            id
            sku
            barcode
            requiresComponents
            inventoryItem { id tracked }
            product { id title }
          }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

BUNDLE_VARIANT = """
query BundleVariant($id: ID!) {
  productVariant(id: $id) {
    id
    sku
    requiresComponents
    productVariantComponents(first: 10) {
      nodes { quantity productVariant { id sku } }
    }
    product { id hasVariantsThatRequiresComponents }
  }
}
"""

ITEM_LEVELS_PAGE = """
query ItemLevelsPage($id: ID!, $first: Int!, $after: String) {
  inventoryItem(id: $id) {
    inventoryLevels(first: $first, after: $after) {
      edges {
        cursor
        node { location { id } quantities(names: ["available", "committed", "on_hand"]) { name quantity } }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

LOCATION_LEVELS_PAGE = """
query LocationLevelsPage($id: ID!, $first: Int!, $after: String) {
  location(id: $id) {
    inventoryLevels(first: $first, after: $after) {
      nodes { item { id sku } quantities(names: ["available"]) { name quantity } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

# Bulk query: connections need no `first`; a variant's levels are nested two connections deep.
BULK_VARIANT_LEVELS = """
{
  productVariants {
    edges {
      node {
        id
        sku
        barcode
        inventoryItem {
          id
          tracked
          inventoryLevels {
            edges { node { id location { id } quantities(names: ["available"]) { name quantity } } }
          }
        }
      }
    }
  }
}
"""

RUN_BULK_QUERY = """
mutation RunBulkQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { code field message }
  }
}
"""

BULK_OPERATION = """
query BulkOperation($id: ID!) {
  node(id: $id) {
    ... on BulkOperation {
      id status errorCode objectCount rootObjectCount url partialDataUrl createdAt completedAt
    }
  }
}
"""

CURRENT_BULK_OPERATION = """
query CurrentBulkOperation {
  currentBulkOperation { id status errorCode objectCount url }
}
"""

ORDER_FIELDS = """
fragment OrderFields on Order {
  id
  name
  createdAt
  processedAt
  cancelledAt
  cancelReason
  sourceName
  tags
  email
  phone
  displayFinancialStatus
  displayFulfillmentStatus
  customer { id firstName lastName defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } }
  shippingAddress { firstName lastName address1 city zip countryCodeV2 }
  shippingLines(first: 5) { nodes { title originalPriceSet { shopMoney { amount currencyCode } } } }
  discountCodes
  discountApplications(first: 5) {
    nodes {
      ... on DiscountCodeApplication {
        code
        value { ... on MoneyV2 { amount } ... on PricingPercentageValue { percentage } }
      }
    }
  }
  totalDiscountsSet { shopMoney { amount } }
  totalTaxSet { shopMoney { amount } }
  totalPriceSet { shopMoney { amount currencyCode } }
  taxLines { title rate priceSet { shopMoney { amount } } }
  lineItems(first: 50) {
    nodes { id sku quantity unfulfilledQuantity variant { id } originalUnitPriceSet { shopMoney { amount } } }
  }
  fulfillments(first: 10) { id name status trackingInfo(first: 5) { company number url } }
}
"""

ORDERS = (
    """
query Orders($first: Int!, $after: String, $query: String, $sortKey: OrderSortKeys, $reverse: Boolean) {
  orders(first: $first, after: $after, query: $query, sortKey: $sortKey, reverse: $reverse) {
    nodes { ...OrderFields }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + ORDER_FIELDS
)

ORDER = (
    """
query Order($id: ID!) {
  order(id: $id) { ...OrderFields }
}
"""
    + ORDER_FIELDS
)

# inventoryBehaviour defaults to BYPASS: a mirrored order must not take stock a second time.
ORDER_CREATE = """
mutation OrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name sourceName displayFinancialStatus lineItems(first: 50) { nodes { sku quantity } } }
    userErrors { code field message }
  }
}
"""

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 5) {
      nodes {
        id
        status
        assignedLocation { location { id } }
        lineItems(first: 20) { nodes { id totalQuantity remainingQuantity lineItem { id sku } } }
      }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id name status trackingInfo(first: 5) { company number url } }
    userErrors { field message }
  }
}
"""

# 2025-07 deprecated `refund: Boolean` for `refundMethod` ({originalPaymentMethodsRefund: true} or store credit);
# neither means no refund.
ORDER_CANCEL = """
mutation OrderCancel(
  $orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput, $restock: Boolean!
) {
  orderCancel(
    orderId: $orderId, reason: $reason, refundMethod: $refundMethod, restock: $restock, notifyCustomer: false
  ) {
    job { id done }
    orderCancelUserErrors { code field message }
  }
}
"""

JOB = """
query Job($id: ID!) {
  job(id: $id) { id done }
}
"""

# The contract (2025-04 base) has `callbackUrl`; 2025-10 deprecates it for `uri`, which it lacks.
WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription { id topic format endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions($first: Int!, $topics: [WebhookSubscriptionTopic!]) {
  webhookSubscriptions(first: $first, topics: $topics) {
    nodes { id topic endpoint { ... on WebhookHttpEndpoint { callbackUrl } } }
  }
}
"""

WEBHOOK_SUBSCRIPTION_DELETE = """
mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
"""

ORDER_PAYMENTS = """
query OrderPayments($id: ID!) {
  order(id: $id) {
    displayFinancialStatus
    lineItems(first: 50) { nodes { id quantity currentQuantity } }
    transactions(first: 10) { id kind status gateway amountSet { shopMoney { amount } } parentTransaction { id } }
  }
}
"""

# From 2026-04 refundCreate requires an idempotency key.
REFUND_CREATE = """
mutation RefundCreate($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund {
      id
      totalRefundedSet { shopMoney { amount } }
      refundLineItems(first: 10) { nodes { quantity restockType } }
    }
    userErrors { field message }
  }
}
"""

REFUND_CREATE_WITHOUT_KEY = """
mutation RefundCreate($input: RefundInput!) {
  refundCreate(input: $input) { refund { id } userErrors { field message } }
}
"""
