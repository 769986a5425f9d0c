"""Where a registered store answers, and the name that makes a second registration of it a duplicate."""

import ipaddress
import re

from pydantic import HttpUrl

from storelink.domain.credentials import digest
from storelink.domain.stores import Platform
from storelink.errors import InvalidRequest

SHOPIFY_SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
# Every ShopWired account answers at the one API address (the version segment is required).
SHOPWIRED_API_URL = "https://api.ecommerceapi.uk/v1"


def shop_address(
    platform: Platform,
    *,
    shop_domain: str | None,
    site_url: HttpUrl | None,
    api_base_url: HttpUrl | None,
    allow_custom_urls: bool,
    api_key: str | None = None,
) -> tuple[str, HttpUrl]:
    """The store's name (its shop domain) and the address its API answers at. `allow_custom_urls` only in local
    deployments, whose sandbox stores answer on localhost."""
    if platform is Platform.SHOPIFY:
        return _shopify_shop(shop_domain, api_base_url, allow_custom_urls)
    if platform is Platform.WOOCOMMERCE:
        return _woocommerce_site(site_url, allow_custom_urls)
    if platform is Platform.SHOPWIRED:
        return _shopwired_account(api_key, api_base_url, allow_custom_urls)
    raise InvalidRequest(f"{platform} stores cannot be registered yet; shopify, woocommerce and shopwired can")


def _shopify_shop(
    shop_domain: str | None, api_base_url: HttpUrl | None, allow_custom_urls: bool
) -> tuple[str, HttpUrl]:
    """Shopify answers at the shop's own domain: storelink never calls an address a caller chose."""
    domain = (shop_domain or "").strip().lower()
    if not SHOPIFY_SHOP_DOMAIN.match(domain):
        raise InvalidRequest(f"shop_domain must be the shop's myshopify.com domain, not {shop_domain!r}")
    if api_base_url and not allow_custom_urls:
        raise InvalidRequest("api_base_url is accepted by local deployments only")
    return domain, api_base_url or HttpUrl(f"https://{domain}")


def _woocommerce_site(site: HttpUrl | None, allow_custom_urls: bool) -> tuple[str, HttpUrl]:
    """A WooCommerce shop is wherever its WordPress runs, so storelink calls an address the merchant gives: it
    must be a public HTTPS site, never one inside the deployment's own network."""
    if site is None or site.host is None:
        raise InvalidRequest("site_url is required for a woocommerce store, e.g. https://shop.example.com")
    if not allow_custom_urls and (site.scheme != "https" or _names_a_private_host(site.host)):
        raise InvalidRequest(f"site_url must be the shop's public https address, not {str(site)!r}")
    port = f":{site.port}" if site.port not in (None, 443, 80) else ""
    # Host and path name the shop: the same site registered twice is refused as a duplicate.
    domain = f"{site.host}{port}{(site.path or '').rstrip('/')}".lower()
    return domain, HttpUrl(str(site).rstrip("/"))


def _shopwired_account(
    api_key: str | None, api_base_url: HttpUrl | None, allow_custom_urls: bool
) -> tuple[str, HttpUrl]:
    """ShopWired's API names no account (no shop, no domain), and an account has one API key: the account is named
    by its key's digest (the key itself is a credential, kept only in Secrets Manager), so registering the same
    account twice is refused as a duplicate."""
    if not api_key:
        raise InvalidRequest("api_key is required for a shopwired store")
    if api_base_url and not allow_custom_urls:
        raise InvalidRequest("api_base_url is accepted by local deployments only")
    return f"shopwired-{digest(api_key.strip())[:16]}", api_base_url or HttpUrl(SHOPWIRED_API_URL)


def _names_a_private_host(host: str) -> bool:
    """An IP address, or a name only the deployment's own network resolves (localhost, .internal, .local)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost" or host.endswith((".localhost", ".internal", ".local")) or "." not in host
    return True
