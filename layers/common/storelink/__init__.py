"""storelink: link online stores (source stock to destinations, orders back to the source)."""
