"""What storelink keeps of a verified webhook delivery, whatever the platform."""

from pydantic import BaseModel, ConfigDict, Field

from storelink.domain.events import StoreEvent


class VerifiedDelivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    # The platform's id for this delivery; its retries reuse it, so it is the dedup key.
    delivery_id: str = Field(min_length=1)
    topic: str
    # None when the topic carries nothing for storelink.
    event: StoreEvent | None = None
    # Events the delivery tells besides its own: the refunds a WooCommerce order lists.
    also: tuple[StoreEvent, ...] = ()
