"""A Dev Dashboard app's access token (client credentials grant) is obtained, kept and renewed by storelink:
before it expires, and once when the store refuses it with a 401; concurrent callers share one renewal.
Against the sandbox store, whose tokens expire on its own clock."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from graphql import GraphQLSchema

from storelink.adapters.connectors import PlatformConnectors
from storelink.domain.stores import StoreCredentials
from storelink.errors import StoreRejected
from storelink_local.sandbox import ShopifySandbox
from storelink_local.sandbox.clock import ManualClock
from tests.builders import a_store
from tests.fakes import FakeSecrets

pytestmark = pytest.mark.contract

CLIENT_ID, CLIENT_SECRET = "dev-dashboard-app", "client-secret"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(contract_schema: GraphQLSchema, clock: ManualClock) -> Iterator[ShopifySandbox]:
    with ShopifySandbox(
        shop_domain="outlet.myshopify.com",
        access_token="legacy",
        webhook_secret="legacy-secret",
        schema=contract_schema,
        clock=clock,
    ) as shop:
        shop.install_dev_dashboard_app(CLIENT_ID, CLIENT_SECRET, token_seconds=3600)
        yield shop


def connected(sandbox: ShopifySandbox, clock: ManualClock) -> tuple[PlatformConnectors, FakeSecrets]:
    """Connectors for a store registered with the app's client credentials, its first token granted."""
    store = a_store("outlet", api_base_url=sandbox.base_url)
    connectors = PlatformConnectors(FakeSecrets(), httpx.Client(), now=clock)
    token = connectors.grant(store, CLIENT_ID, CLIENT_SECRET)
    secrets = FakeSecrets(
        {
            "outlet": StoreCredentials(
                access_token=token.access_token,
                webhook_secret=CLIENT_SECRET,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                expires_at=token.expires_at,
            )
        }
    )
    return PlatformConnectors(secrets, httpx.Client(), now=clock), secrets


def test_a_token_about_to_expire_is_renewed_before_the_call(sandbox: ShopifySandbox, clock: ManualClock) -> None:
    # Given a token granted for an hour
    connectors, secrets = connected(sandbox, clock)
    # When 55 minutes later the store is called
    clock.advance(55 * 60)
    shop = connectors.connector_for(a_store("outlet", api_base_url=sandbox.base_url)).shop()
    # Then a new token was granted and kept for every function, and the call went through
    assert shop.domain == "outlet.myshopify.com"
    assert (sandbox.tokens_granted, secrets.replaced) == (2, 1)
    assert secrets.by_store["outlet"].expires_at == clock() + timedelta(hours=1)


def test_a_token_the_store_refuses_is_renewed_once_and_the_call_sent_again(
    sandbox: ShopifySandbox, clock: ManualClock
) -> None:
    # Given a token storelink believes good for hours, which the store has expired early
    connectors, secrets = connected(sandbox, clock)
    stale = secrets.by_store["outlet"]
    secrets.by_store["outlet"] = stale.model_copy(update={"expires_at": clock() + timedelta(days=1)})
    clock.advance(3601)
    # When the store is called
    shop = connectors.connector_for(a_store("outlet", api_base_url=sandbox.base_url)).shop()
    # Then the 401 renewed the token once, and the call was answered
    assert shop.domain == "outlet.myshopify.com"
    assert sandbox.tokens_granted == 2


def test_concurrent_callers_share_one_renewal(sandbox: ShopifySandbox, clock: ManualClock) -> None:
    # Given a token that has expired
    connectors, _ = connected(sandbox, clock)
    clock.advance(3601)
    store = a_store("outlet", api_base_url=sandbox.base_url)
    # When eight workers call the store at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        shops = list(pool.map(lambda _: connectors.connector_for(store).shop().domain, range(8)))
    # Then one token was granted for all of them
    assert set(shops) == {"outlet.myshopify.com"}
    assert sandbox.tokens_granted == 2


def test_wrong_client_credentials_are_refused_and_nothing_is_kept(sandbox: ShopifySandbox, clock: ManualClock) -> None:
    # Given connectors, When the grant is asked with a wrong client secret, Then the store refuses it
    connectors = PlatformConnectors(FakeSecrets(), httpx.Client(), now=clock)
    with pytest.raises(StoreRejected, match="client credentials"):
        connectors.grant(a_store("outlet", api_base_url=sandbox.base_url), CLIENT_ID, "wrong")
    assert sandbox.tokens_granted == 0
