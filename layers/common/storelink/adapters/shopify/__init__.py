"""Shopify: Admin GraphQL connector and webhook verification, API version in one constant."""

SHOPIFY_API_VERSION = "2026-10"
