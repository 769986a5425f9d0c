"""ShopWired accounts: REST v1 at api.ecommerceapi.uk (client.py), how storelink names ShopWired things (ids.py),
webhooks (webhooks.py)."""
