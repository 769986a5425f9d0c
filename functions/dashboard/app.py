"""The merchant's dashboard page: signed in once with the store's API token, then a session cookie; links, their
orders and figures as HTML (docs/dashboard.md)."""

from datetime import UTC
from functools import cache
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from storelink import bootstrap
from storelink.domain.dashboard_ranges import ChosenRange
from storelink.domain.dashboard_sessions import csrf_matches, csrf_token
from storelink.domain.stores import Store
from storelink.entrypoints.dashboard_charts import figure_charts
from storelink.entrypoints.dashboard_html import (
    BASE_PATH,
    ended_cookie,
    form_of,
    html,
    redirect,
    same_origin,
    session_cookie,
    session_id_of,
)
from storelink.entrypoints.http import status_of
from storelink.errors import NotAllowed, NotAuthenticated, StorelinkError
from storelink.observability import logger, metrics, tracer
from storelink.services.dashboard import Dashboard
from storelink.settings import DashboardSettings

app = APIGatewayHttpResolver()


@cache
def services() -> Dashboard:
    return bootstrap.dashboard(DashboardSettings.from_env())


def signed_in() -> tuple[Store, str]:
    """The session's store and its CSRF token; NotAuthenticated (the sign-in page) without an open session."""
    session_id = session_id_of(app.current_event)
    store = services().signed_in(session_id)
    assert session_id is not None
    return store, csrf_token(session_id)


def posted_form() -> dict[str, list[str]]:
    """A form of this page, posted from this site by the session's own page (its CSRF token), else 403."""
    form = form_of(app.current_event)
    session_id = session_id_of(app.current_event)
    token = (form.get("csrf_token") or [""])[0]
    if not same_origin(app.current_event) or not session_id or not csrf_matches(session_id, token):
        raise NotAllowed("this form was not sent by your dashboard page: open the page again and resend it")
    return form


def picked_range() -> ChosenRange:
    """The range the page's picker names in its address."""
    fields = app.current_event.query_string_parameters or {}
    return services().period(fields.get("range"), fields.get("from"), fields.get("to"), fields.get("time_zone"))


@app.get(BASE_PATH)
def overview() -> Response[str]:
    if session_id_of(app.current_event) is None:
        signed_out = "signed_out" in (app.current_event.query_string_parameters or {})
        return html(HTTPStatus.OK, "sign_in.html", message="You have signed out." if signed_out else None)
    store, csrf = signed_in()
    shown = services().overview(store, picked_range())
    charts = figure_charts("store", shown.figures.days, shown.figures.top_products_by_units)
    return html(HTTPStatus.OK, "overview.html", store=store, csrf=csrf, overview=shown, charts=charts, utc=UTC)


@app.post(f"{BASE_PATH}/session")
def sign_in() -> Response[str]:
    if not same_origin(app.current_event):
        raise NotAllowed("sign in from the dashboard's own page")
    token = (form_of(app.current_event).get("api_token") or [""])[0].strip()
    try:
        session_id, _ = services().log_in(token)
    except NotAuthenticated:
        message = "That is not your store's current API token: check it (it starts with sl_) and sign in again."
        return html(HTTPStatus.UNAUTHORIZED, "sign_in.html", message=message)
    return redirect(BASE_PATH, [session_cookie(app.current_event, session_id)])


@app.post(f"{BASE_PATH}/logout")
def sign_out() -> Response[str]:
    posted_form()
    services().log_out(session_id_of(app.current_event))
    return redirect(f"{BASE_PATH}?signed_out", [ended_cookie(app.current_event)])


@app.get(f"{BASE_PATH}/links/<link_id>")
def link_page(link_id: str) -> Response[str]:
    store, csrf = signed_in()
    page = services().link(store, link_id, picked_range())
    charts = figure_charts("link", page.figures.days, page.figures.top_products_by_units)
    pushed = (app.current_event.query_string_parameters or {}).get("pushed")
    return html(HTTPStatus.OK, "link.html", store=store, csrf=csrf, page=page, charts=charts, pushed=pushed)


@app.post(f"{BASE_PATH}/links/<link_id>/orders/push")
def push_orders(link_id: str) -> Response[str]:
    store, _ = signed_in()
    form = posted_form()
    queued = services().push(store, link_id, form.get("order") or [])
    back = {name: form[name][0] for name in ("range", "from", "to", "time_zone") if form.get(name)}
    return redirect(f"{BASE_PATH}/links/{link_id}?{urlencode({**back, 'pushed': len(queued)})}")


@app.exception_handler(StorelinkError)
def refused(error: StorelinkError) -> Response[str]:
    """A refusal as a page: the sign-in page for a wrong token or an ended session, else what went wrong."""
    status = status_of(type(error))
    logger.info("dashboard request refused", extra={"status": int(status), "code": error.code})
    if isinstance(error, NotAuthenticated):
        return html(status, "sign_in.html", message=str(error))
    return html(status, "refused.html", refusal=status, message=str(error))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
