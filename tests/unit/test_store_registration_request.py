"""What a store registers with: one kind of credentials, the one its platform takes, and where it answers."""

import pytest
from pydantic import HttpUrl, ValidationError

from storelink.domain.shop_addresses import shop_address
from storelink.domain.stores import Platform
from storelink.errors import InvalidRequest
from storelink.services.stores import StoreRegistrationRequest

WOOCOMMERCE_KEY = {"consumer_key": "ck_" + "a" * 40, "consumer_secret": "cs_" + "b" * 40}


def woocommerce_site(site_url: str, *, allow_custom_urls: bool = False) -> tuple[str, str]:
    domain, api_base_url = shop_address(
        Platform.WOOCOMMERCE,
        shop_domain=None,
        site_url=HttpUrl(site_url),
        api_base_url=None,
        allow_custom_urls=allow_custom_urls,
    )
    return domain, str(api_base_url)


def test_a_woocommerce_site_is_named_by_its_host_and_path() -> None:
    # Given a WooCommerce shop under a path of its site, When its address is taken,
    # Then storelink calls the site's own address, and host and path name the shop (the same site twice is a duplicate)
    assert woocommerce_site("https://Example.com/shop/") == ("example.com/shop", "https://example.com/shop")


@pytest.mark.parametrize(
    "site_url",
    [
        "http://shop.example.com",  # not https: the consumer key would travel in clear text
        "https://169.254.169.254",  # an address, here the instance metadata service
        "https://localhost:8443",
        "https://wordpress.internal",
        "https://intranet",
    ],
)
def test_a_woocommerce_site_inside_the_deployments_network_or_without_https_is_refused(site_url: str) -> None:
    # Given a site address a real deployment should never call, When it is registered, Then it is refused by name
    with pytest.raises(InvalidRequest, match="site_url must be the shop's public https address"):
        woocommerce_site(site_url)


def test_a_local_deployment_may_register_a_sandbox_site_on_localhost() -> None:
    assert woocommerce_site("http://127.0.0.1:8123", allow_custom_urls=True) == (
        "127.0.0.1:8123",
        "http://127.0.0.1:8123/",
    )


@pytest.mark.parametrize(
    ("platform", "credentials", "refusal"),
    [
        (
            Platform.WOOCOMMERCE,
            {"access_token": "shpat_x", "webhook_secret": "s"},
            "woocommerce stores register with consumer_key and consumer_secret",
        ),
        (
            Platform.SHOPIFY,
            WOOCOMMERCE_KEY,
            "shopify stores register with access_token and webhook_secret; or client_id and client_secret",
        ),
    ],
)
def test_credentials_of_another_platform_are_refused_by_name(
    platform: Platform, credentials: dict[str, str], refusal: str
) -> None:
    # Given credentials of the other platform's kind, When they are checked for the store's platform,
    # Then the refusal says what that platform takes
    request = StoreRegistrationRequest(platform=platform, **credentials)  # type: ignore[arg-type]

    with pytest.raises(InvalidRequest, match=refusal):
        request.for_platform(platform)


def test_half_a_consumer_key_or_two_kinds_at_once_is_refused_before_anything() -> None:
    with pytest.raises(ValidationError, match="consumer_key and consumer_secret go together"):
        StoreRegistrationRequest(platform=Platform.WOOCOMMERCE, consumer_key="ck_1")
    with pytest.raises(ValidationError, match="send one kind of credentials"):
        StoreRegistrationRequest(platform=Platform.WOOCOMMERCE, access_token="t", webhook_secret="s", **WOOCOMMERCE_KEY)


SHOPWIRED_KEYS = {"api_key": "4e1c0a9d7b", "api_secret": "b7f3e2a1c9d8", "webhook_secret": "9f1c2e7a5b3d"}


def test_a_shopwired_account_registers_with_its_key_secret_and_webhook_secret() -> None:
    # Given the three values ShopWired's own inter-account stock sync asks of each replica
    request = StoreRegistrationRequest(platform=Platform.SHOPWIRED, **SHOPWIRED_KEYS)
    # Then they are the kind a ShopWired store takes
    assert request.for_platform(Platform.SHOPWIRED) is request


@pytest.mark.parametrize("left_out", ["api_secret", "webhook_secret"])
def test_a_shopwired_key_without_its_secrets_names_all_three(left_out: str) -> None:
    # Given a ShopWired key sent without its API secret, or without the webhook secret ShopWired shows the merchant
    sent = {name: value for name, value in SHOPWIRED_KEYS.items() if name != left_out}
    # Then the refusal names the three that go together
    with pytest.raises(ValidationError, match="api_key, api_secret and webhook_secret go together"):
        StoreRegistrationRequest(platform=Platform.SHOPWIRED, **sent)


def test_other_credentials_on_a_shopwired_store_are_refused_by_name() -> None:
    request = StoreRegistrationRequest(platform=Platform.SHOPWIRED, **WOOCOMMERCE_KEY)

    with pytest.raises(InvalidRequest, match="shopwired stores register with api_key, api_secret and webhook_secret"):
        request.for_platform(Platform.SHOPWIRED)


def test_a_shopwired_key_holding_a_colon_is_refused() -> None:
    # It is kept joined to its secret by a colon, as HTTP Basic joins them
    with pytest.raises(ValidationError, match="api_key"):
        StoreRegistrationRequest(platform=Platform.SHOPWIRED, **SHOPWIRED_KEYS | {"api_key": "key:with-colon"})


def shopwired_account(
    api_key: str, api_base_url: str | None = None, *, allow_custom_urls: bool = False
) -> tuple[str, HttpUrl]:
    return shop_address(
        Platform.SHOPWIRED,
        shop_domain=None,
        site_url=None,
        api_base_url=HttpUrl(api_base_url) if api_base_url else None,
        allow_custom_urls=allow_custom_urls,
        api_key=api_key,
    )


def test_a_shopwired_account_is_named_by_its_keys_digest_and_answers_at_shopwireds_api() -> None:
    # Given an account's API key (ShopWired's API names no shop or domain)
    name, api_url = shopwired_account("4e1c0a9d7b")
    # Then the same key always names the same account (a second registration is a duplicate), the key itself is not
    # in the name (it is a credential), and storelink calls ShopWired's one API address
    assert name == shopwired_account(" 4e1c0a9d7b ")[0] != shopwired_account("another-key")[0]
    assert name.startswith("shopwired-")
    assert "4e1c0a9d7b" not in name
    assert str(api_url) == "https://api.ecommerceapi.uk/v1"


def test_only_a_local_deployment_may_point_a_shopwired_account_at_a_sandbox() -> None:
    with pytest.raises(InvalidRequest, match="api_base_url is accepted by local deployments only"):
        shopwired_account("4e1c0a9d7b", "https://attacker.example/v1")
    assert str(shopwired_account("k", "http://127.0.0.1:8125/v1", allow_custom_urls=True)[1]) == (
        "http://127.0.0.1:8125/v1"
    )
