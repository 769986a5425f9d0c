"""Services: one use case each, written against ports only."""
