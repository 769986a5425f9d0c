"""What storelink keeps of a verified webhook delivery, whatever the platform."""

import json
from typing import Any

from pydantic import ConfigDict, Field

from storelink.domain import DomainModel
from storelink.domain.events import StoreEvent
from storelink.errors import MalformedWebhook


class VerifiedDelivery(DomainModel):
    model_config = ConfigDict(frozen=True)

    # The platform's id for this delivery; its retries reuse it, so it is the dedup key.
    delivery_id: str = Field(min_length=1)
    topic: str
    # None when the topic carries nothing for storelink.
    event: StoreEvent | None = None
    # Events the delivery tells besides its own: the refunds a WooCommerce order lists.
    also: tuple[StoreEvent, ...] = ()
    # What the platform needs back to keep a new webhook: ShopWired's verification token, signed.
    verification: str | None = None


def json_object(body: bytes) -> dict[str, Any]:
    """A delivery's body, which every platform sends as one JSON object; MalformedWebhook (400) otherwise."""
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise MalformedWebhook(f"body is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise MalformedWebhook("body must be a JSON object")
    return payload
