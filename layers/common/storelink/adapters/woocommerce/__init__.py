"""WooCommerce stores: REST wc/v3 (client.py), the StoreConnector port (connector.py), webhooks (webhooks.py)."""
