"""Reading what the functions queued, straight from the runtime's queues (their pollers are not started)."""

import json
import os
from typing import Any

import boto3


def take_queued(queue_variable: str = "STOCK_CHANGES_QUEUE_URL") -> list[dict[str, Any]]:
    """Every message on the queue its environment variable names, as JSON, taken off the queue."""
    sqs, queue_url = boto3.client("sqs"), os.environ[queue_variable]
    taken: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            taken.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return taken
