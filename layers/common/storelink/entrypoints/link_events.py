"""storelink's own link events (services/links.py), as an EventBridge rule puts them on a queue: only the
fields the functions it feeds read."""

from pydantic import AwareDatetime, BaseModel, Field


class LinkEventDetail(BaseModel):
    link_id: str
    # When the link's status changed (granted, reconnected...).
    at: AwareDatetime


class LinkEvent(BaseModel):
    detail_type: str = Field(alias="detail-type")
    detail: LinkEventDetail
