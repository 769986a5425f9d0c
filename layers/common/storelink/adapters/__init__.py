"""Adapters: the ports implemented for DynamoDB, SQS, Secrets Manager and each store platform."""
