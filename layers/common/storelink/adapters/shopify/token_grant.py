"""Shopify's client credentials grant: a Dev Dashboard app installed on the merchant's own store exchanges its
client id and secret for an access token that expires (about 24 h)."""

from datetime import datetime, timedelta

import httpx

from storelink.domain.stores import GrantedToken
from storelink.errors import StoreRejected, StoreUnavailable


def grant_access_token(
    http: httpx.Client, api_base_url: str, client_id: str, client_secret: str, now: datetime
) -> GrantedToken:
    """POST /admin/oauth/access_token with grant_type=client_credentials; refused credentials raise
    StoreRejected (no retry heals them), an unanswered or failing call StoreUnavailable."""
    try:
        response = http.post(
            f"{api_base_url.rstrip('/')}/admin/oauth/access_token",
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret},
        )
    except httpx.TransportError as error:
        raise StoreUnavailable(f"Shopify did not answer the token request: {type(error).__name__}") from error
    if response.status_code == 429 or response.status_code >= 500:
        raise StoreUnavailable(f"Shopify answered the token request with HTTP {response.status_code}")
    if response.status_code >= 400:
        raise StoreRejected(
            f"Shopify refused the app's client credentials (HTTP {response.status_code}): check the client id "
            "and secret, and that the app is installed on this store"
        )
    body = response.json()
    expires_in = body.get("expires_in")
    return GrantedToken(
        access_token=str(body["access_token"]),
        expires_at=None if expires_in is None else now + timedelta(seconds=int(expires_in)),
    )
