"""The context object Lambda's Python runtime passes to a handler, with the same attribute names."""

import time
import uuid
from datetime import UTC, datetime
from typing import Any


class LambdaContext:
    """What `lambda_handler(event, context)` receives; Powertools reads these attributes by name."""

    def __init__(self, *, function_name: str, function_arn: str, memory_limit_in_mb: int, timeout_s: int):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        # Only set for invocations from the mobile SDKs.
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
