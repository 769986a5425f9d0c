"""The dashboard's sessions in DashboardSessionsTable: one item per session, keyed by the digest of its id, which
DynamoDB's TTL deletes some time after `expires_at` (so a read checks the time itself, TTL being lazy)."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from storelink.domain.dashboard_sessions import DashboardSession

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class DynamoDbDashboardSessions:
    def __init__(self, table: "Table") -> None:
        self._table = table

    def open(self, session: DashboardSession) -> None:
        self._table.put_item(
            Item={
                "session_digest": session.session_digest,
                "store_id": session.store_id,
                "started_at": session.started_at.isoformat(),
                # TTL reads epoch seconds.
                "expires_at": int(session.expires_at.timestamp()),
            }
        )

    def get(self, session_digest: str) -> DashboardSession | None:
        item = self._table.get_item(Key={"session_digest": session_digest}, ConsistentRead=True).get("Item")
        if item is None:
            return None
        return DashboardSession(
            session_digest=str(item["session_digest"]),
            store_id=str(item["store_id"]),
            started_at=datetime.fromisoformat(str(item["started_at"])),
            expires_at=datetime.fromtimestamp(int(str(item["expires_at"])), UTC),
        )

    def end(self, session_digest: str) -> None:
        self._table.delete_item(Key={"session_digest": session_digest})
