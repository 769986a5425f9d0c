"""The Admin GraphQL documents the sandbox tests send: each one validates against the 2026-07 contract,
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
