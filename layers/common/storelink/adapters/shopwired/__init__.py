"""ShopWired accounts: REST v1 at api.ecommerceapi.uk, webhooks (webhooks.py)."""
