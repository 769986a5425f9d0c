"""The dashboard's HTML: Jinja2 templates (autoescaped: every value a store or a platform gave is escaped), a
session cookie, and the headers that keep the page to itself (docs/dashboard.md).

Jinja2 earns its place over string formatting: escaping by default, template inheritance for one layout, and
loops and conditions a reader can follow; it is imported by the dashboard alone."""

import secrets
from datetime import datetime, tzinfo
from decimal import Decimal
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from storelink.domain.dashboard_sessions import SESSION_LIFETIME
from storelink.entrypoints import dashboard_charts as charts
from storelink.entrypoints.http import raw_body
from storelink.errors import InvalidRequest

SESSION_COOKIE = "storelink_session"
# Everything the dashboard serves is under this path; the cookie goes nowhere else (not to the API's routes).
BASE_PATH = "/dashboard"
# A form is a few fields; anything larger is not one of the page's.
MAX_FORM_BYTES = 16 * 1024


@cache
def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "dashboard_templates"),
        autoescape=True,
        undefined=StrictUndefined,  # a name a template misspells fails the test that renders it
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["in_zone"] = _in_zone
    env.filters["money"] = _money
    env.globals["query"] = urlencode
    env.globals |= {"chart_left": charts.LEFT, "chart_top": charts.TOP, "chart_bottom": charts.BOTTOM}
    return env


def _in_zone(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _money(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def html(status: HTTPStatus, template: str, **context: Any) -> Response[str]:
    """A page: no caching (it shows a store's own figures), no framing, no script, styles only with this answer's
    nonce (the Content-Security-Policy)."""
    nonce = secrets.token_urlsafe(16)
    body = _templates().get_template(template).render(nonce=nonce, base=BASE_PATH, **context)
    policy = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    headers = {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-store",
        # "no-referrer" would make the browser send Origin: null with the page's own forms (Fetch standard).
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(status, "text/html; charset=utf-8", body, headers=headers)


def redirect(location: str, cookies: list[Cookie] | None = None) -> Response[str]:
    """See Other: after a form is posted, the browser asks for the page again (a reload does not post twice)."""
    return Response(HTTPStatus.SEE_OTHER, "text/plain", "", headers={"Location": location}, cookies=cookies or [])


def _secure(event: APIGatewayProxyEventV2) -> bool:
    return event.headers.get("x-forwarded-proto", "https") == "https"


def session_cookie(event: APIGatewayProxyEventV2, session_id: str) -> Cookie:
    return Cookie(
        name=SESSION_COOKIE,
        value=session_id,
        path=BASE_PATH,
        secure=_secure(event),
        http_only=True,
        same_site=SameSite.STRICT_MODE,
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )


def ended_cookie(event: APIGatewayProxyEventV2) -> Cookie:
    """The session cookie, deleted: the browser forgets it at once."""
    return Cookie(
        name=SESSION_COOKIE,
        value="",
        path=BASE_PATH,
        secure=_secure(event),
        http_only=True,
        same_site=SameSite.STRICT_MODE,
        max_age=0,
    )


def session_id_of(event: APIGatewayProxyEventV2) -> str | None:
    for cookie in event.cookies or []:
        name, _, value = cookie.partition("=")
        if name.strip() == SESSION_COOKIE and value.strip():
            return value.strip()
    return None


def form_of(event: APIGatewayProxyEventV2) -> dict[str, list[str]]:
    """The fields of a posted form (application/x-www-form-urlencoded, as the page's forms post)."""
    body = raw_body(event)
    if len(body) > MAX_FORM_BYTES:
        raise InvalidRequest("the form is larger than any of the page's")
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def same_origin(event: APIGatewayProxyEventV2) -> bool:
    """A form posted from this site: the browser's Origin names this host (every current browser sends Origin on
    a form post). With SameSite=Strict and the CSRF token, a third guard, and the only one on the login form."""
    origin = event.headers.get("origin")
    if origin is None:
        return event.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    host = event.headers.get("host") or event.request_context.domain_name
    return origin.partition("://")[2] == host
