"""Dead-letter queue redrive, which moto lacks: `aws sqs start-message-move-task` on a laptop.

Like SQS's move task, each message goes back with its body and message attributes (so a redriven message
still shows why it failed last time) as a new message: a new message id, a new receive count, and for FIFO
queues its group kept and its dead-letter message id as the deduplication id, which no earlier send used.
"""

from typing import TYPE_CHECKING

from storelink_local.template import Queue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef, SendMessageBatchRequestEntryTypeDef

SQS_MAX_MESSAGES_PER_CALL = 10


def redrive(sqs: "SQSClient", dead_letter_queue: Queue, queue: Queue) -> int:
    """Move every message of `dead_letter_queue` to `queue`, oldest first; returns how many moved."""
    moved = 0
    while messages := sqs.receive_message(
        QueueUrl=dead_letter_queue.url,
        MaxNumberOfMessages=SQS_MAX_MESSAGES_PER_CALL,
        MessageSystemAttributeNames=["MessageGroupId"],
        MessageAttributeNames=["All"],
    ).get("Messages", []):
        sent = sqs.send_message_batch(QueueUrl=queue.url, Entries=[_entry(m, queue.fifo) for m in messages])
        if sent.get("Failed"):
            raise RuntimeError(f"redriving {dead_letter_queue.name} to {queue.name} failed: {sent['Failed']}")
        sqs.delete_message_batch(
            QueueUrl=dead_letter_queue.url,
            Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in messages],
        )
        moved += len(messages)
    return moved


def _entry(message: "MessageTypeDef", fifo: bool) -> "SendMessageBatchRequestEntryTypeDef":
    entry: SendMessageBatchRequestEntryTypeDef = {
        "Id": message["MessageId"],
        "MessageBody": message["Body"],
        "MessageAttributes": message.get("MessageAttributes", {}),
    }
    if fifo:
        entry["MessageGroupId"] = message["Attributes"]["MessageGroupId"]
        entry["MessageDeduplicationId"] = message["MessageId"]
    return entry
