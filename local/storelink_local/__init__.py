"""Laptop runtime for storelink: moto server as AWS, the template's routes, queues and schedules, sandbox stores."""
