"""Domain rules as plain models and functions: no AWS, no HTTP."""
