"""The one Logger, Tracer and Metrics every module imports (a second Logger would split the logs)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
