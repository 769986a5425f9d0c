"""Management API: stores register and link themselves. Every call but registration carries a store's
API token, and a store sees and acts only on itself and on links it is a party to."""

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime, BaseModel, Field

from storelink import bootstrap
from storelink.adapters.sqs import once_per_delivery_config
from storelink.domain.cursors import opened_cursor, sealed_cursor
from storelink.domain.figures import LinkFigures, StoreFigures
from storelink.domain.file_jobs import FileJob, PushedOrdersFilters, direct_csv
from storelink.domain.links import Action, DisconnectOption, Link, SkuMapEntry
from storelink.domain.manual_desk import CataloguePlan, OrderEntry, ProductRequest
from storelink.domain.manual_stores import ManualOrder, ManualVariant
from storelink.domain.mapping_csv import MappingImportPlan
from storelink.domain.matching import HealthReport, MatchState
from storelink.domain.mirrors import MirrorStatus, OrderMirror
from storelink.domain.orders import Tracking
from storelink.domain.plans import PlanUsage
from storelink.domain.reports import EARLIEST, LATEST, FiguresRange, date_range, time_zone
from storelink.domain.stock_csv import StockUpdatePlan
from storelink.domain.stores import Store
from storelink.entrypoints.http import answers, raw_body, register_error_handlers
from storelink.errors import (
    Conflict,
    InvalidCursor,
    InvalidRequest,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PlanLimitReached,
    StoreRejected,
    StoreUnavailable,
)
from storelink.observability import logger, metrics, tracer
from storelink.services.file_jobs import JobView, StartedImport, UploadRequest
from storelink.services.link_orders import PushByHand
from storelink.services.links import Disconnection, LinkRequest, LinkSettingsChange, LinkView
from storelink.services.manual_stores import OrdersImport
from storelink.services.stores import (
    CredentialsRequest,
    IssuedSecrets,
    RegisteredStore,
    StoreRegistrationRequest,
    StoreView,
)
from storelink.settings import ManagementApiSettings

PageSize = Annotated[int, Query(ge=1, le=100, description="items a page")]
# A store's, link's or order's id: a key of storelink's tables, none longer (DynamoDB refuses keys over 2 KB).
PathId = Annotated[str, Path(min_length=1, max_length=128)]
Cursor = Annotated[str | None, Query(description="next_cursor of the page before")]

# What routes may answer besides their success, by what they do; each route's `answers` names its own.
YOURS = (NotAuthenticated, NotFound)  # a store's own record, or a link it is a party to (else: not found)
A_PAGE = (InvalidCursor,)
A_JSON_BODY = (RequestUnsupportedContentType, InvalidRequest)
ASKS_THE_STORES = (StoreRejected, StoreUnavailable)

app = APIGatewayHttpResolver(enable_validation=True)


# A manual store's changes made by hand are queued once each, as the webhook ingress queues a platform's.
once_per_delivery = once_per_delivery_config()


@cache
def services() -> bootstrap.Management:
    return bootstrap.management(ManagementApiSettings.from_env(), once_per_delivery)


# The only routes a caller reaches without a store's API token: registration, and the API's description.
PUBLIC_ROUTES = frozenset({("POST", "/stores"), ("GET", "/openapi.json")})


def authenticate(resolver: APIGatewayHttpResolver) -> None:
    """Every route but the public ones: the calling store, from its API token, before anything else (401
    otherwise), so that no route can forget to ask."""
    route = resolver.context["_route"]
    if (route.method, route.path) not in PUBLIC_ROUTES:
        scheme, _, token = resolver.current_event.headers.get("authorization", "").partition(" ")
        store = services().stores.authenticate(token.strip() if scheme.lower() == "bearer" else None)
        resolver.append_context(caller=store)


register_error_handlers(app, guard=authenticate)


def caller() -> Store:
    """The store the guard authenticated for this request."""
    store: Store = app.context["caller"]
    return store


def _listing() -> str:
    """What a cursor belongs to: the path and the filters, not the page size or the cursor itself."""
    event = app.current_event
    filters = sorted((k, v) for k, v in (event.query_string_parameters or {}).items() if k not in ("cursor", "limit"))
    return f"{event.path}?{urlencode(filters)}"


def position(store: Store, cursor: str | None) -> str | None:
    """The repository's position a client's cursor carries (400 for any cursor this listing did not give)."""
    return opened_cursor(cursor, store.api_token_digest, _listing()) if cursor else None


def sealed(store: Store, position: str | None) -> str | None:
    """The next page's cursor as the client gets it: the position, sealed for this store and listing."""
    return sealed_cursor(position, store.api_token_digest, _listing()) if position else None


def created(body: Any) -> Response[Any]:
    return Response(HTTPStatus.CREATED, content_types.APPLICATION_JSON, body)


def csv_file(lines: Iterable[str], export_route: str) -> Response[str]:
    """A CSV export answered whole; one too large for an answer is refused with 413 naming its export route."""
    return Response(HTTPStatus.OK, "text/csv; charset=utf-8", direct_csv(lines, export_route=export_route))


def all_or_nothing(
    plan: MappingImportPlan | StockUpdatePlan | CataloguePlan | OrdersImport,
) -> Response[dict[str, Any]]:
    """A CSV import's plan: 200 when every row is valid (applied, or a dry run), else 422 naming each bad row."""
    status = HTTPStatus.OK if plan.applicable else HTTPStatus.UNPROCESSABLE_ENTITY
    return Response(status, content_types.APPLICATION_JSON, plan.model_dump(mode="json"))


@app.post("/stores", responses=answers(*A_JSON_BODY, Conflict, *ASKS_THE_STORES, success=HTTPStatus.CREATED))
def register_store(request: StoreRegistrationRequest) -> Response[RegisteredStore]:
    event = app.current_event
    base_url = f"{event.headers.get('x-forwarded-proto', 'https')}://{event.request_context.domain_name}"
    return created(services().stores.register(request, base_url))


@app.get("/stores/<store_id>", responses=answers(*YOURS))
def get_store(store_id: PathId) -> StoreView:
    return services().stores.view(caller(), store_id)


@app.delete("/stores/<store_id>", responses=answers(*YOURS, success=HTTPStatus.NO_CONTENT))
def remove_store(store_id: PathId) -> Response[None]:
    links = services().links
    services().stores.remove(caller(), store_id, lambda store: links.end_links_of(store, "store removed"))
    return Response(HTTPStatus.NO_CONTENT)


@app.post("/stores/<store_id>/api-token", responses=answers(*YOURS, success=HTTPStatus.CREATED))
def rotate_api_token(store_id: PathId) -> Response[IssuedSecrets]:
    return created(services().stores.rotate_api_token(caller(), store_id))


@app.put("/stores/<store_id>/credentials", responses=answers(*YOURS, *A_JSON_BODY, Conflict, *ASKS_THE_STORES))
def replace_credentials(store_id: PathId, request: CredentialsRequest) -> StoreView:
    return services().stores.replace_credentials(caller(), store_id, request)


@app.post("/stores/<store_id>/verification-code", responses=answers(*YOURS, success=HTTPStatus.CREATED))
def rotate_verification_code(store_id: PathId) -> Response[IssuedSecrets]:
    return created(services().stores.rotate_verification_code(caller(), store_id))


@app.get(
    "/stores/<store_id>/stock.csv",
    responses=answers(*YOURS, PayloadTooLarge, *ASKS_THE_STORES, media_type="text/csv"),
)
def export_stock(store_id: PathId) -> Response[str]:
    """The store's stock as a CSV that POST reads back, here or in another of the merchant's stores; a file too
    large for one answer is exported through POST /stores/{store_id}/stock/exports (413 says so)."""
    return csv_file(services().stock.export(caller(), store_id), f"POST /stores/{store_id}/stock/exports")


@app.post(
    "/stores/<store_id>/stock.csv",
    responses=answers(*YOURS, PayloadTooLarge, *ASKS_THE_STORES, unprocessable=StockUpdatePlan),
)
def bulk_adjust_stock(store_id: PathId, dry_run: Annotated[bool, Query()] = False) -> Response[dict[str, Any]]:
    """Set or adjust the store's own stock levels from a CSV: all rows or none (docs/stock-csv.md)."""
    body = raw_body(app.current_event)
    started = datetime.now(UTC)
    plan = services().stock.upload(caller(), store_id, body, dry_run=dry_run)
    if plan.applied:  # a manual store's new levels go out at once, as a platform's webhooks would carry them
        services().manual.deliver(caller(), started)
    return all_or_nothing(plan)


# --- a manual store's own catalogue and orders (docs/manual-stores.md); another platform's store answers 403 ---
MANUAL = (*YOURS, NotAllowed)


@app.post("/stores/<store_id>/products", responses=answers(*MANUAL, *A_JSON_BODY, Conflict, success=HTTPStatus.CREATED))
def add_manual_product(store_id: PathId, request: ProductRequest) -> Response[dict[str, list[ManualVariant]]]:
    return created({"variants": services().manual.add_product(caller(), store_id, request)})


@app.get("/stores/<store_id>/catalogue.csv", responses=answers(*MANUAL, media_type="text/csv"))
def export_manual_catalogue(store_id: PathId) -> Response[str]:
    return Response(HTTPStatus.OK, "text/csv; charset=utf-8", services().manual.export_catalogue(caller(), store_id))


@app.post(
    "/stores/<store_id>/catalogue.csv",
    responses=answers(*MANUAL, PayloadTooLarge, Conflict, unprocessable=CataloguePlan),
)
def import_manual_catalogue(store_id: PathId, dry_run: Annotated[bool, Query()] = False) -> Response[dict[str, Any]]:
    """Add and change the manual store's variants from a CSV: all rows or none."""
    body = raw_body(app.current_event)
    return all_or_nothing(services().manual.import_catalogue(caller(), store_id, body, dry_run=dry_run))


@app.post("/stores/<store_id>/orders", responses=answers(*MANUAL, *A_JSON_BODY, Conflict, success=HTTPStatus.CREATED))
def enter_manual_order(store_id: PathId, entry: OrderEntry) -> Response[ManualOrder]:
    order = services().manual.enter_order(caller(), store_id, entry)
    return created(services().manual.order(caller(), store_id, order.order_id))


@app.get("/stores/<store_id>/orders", responses=answers(*MANUAL, *A_PAGE))
def list_manual_orders(store_id: PathId, limit: PageSize = 25, cursor: Cursor = None) -> dict[str, Any]:
    store = caller()
    orders, after = services().manual.orders(store, store_id, limit=limit, cursor=position(store, cursor))
    return {"orders": orders, "next_cursor": sealed(store, after)}


@app.post(
    "/stores/<store_id>/orders.csv", responses=answers(*MANUAL, PayloadTooLarge, Conflict, unprocessable=OrdersImport)
)
def import_manual_orders(store_id: PathId, dry_run: Annotated[bool, Query()] = False) -> Response[dict[str, Any]]:
    """Enter the manual store's orders from a CSV, a row per line: all orders or none."""
    body = raw_body(app.current_event)
    return all_or_nothing(services().manual.import_orders(caller(), store_id, body, dry_run=dry_run))


@app.get("/stores/<store_id>/orders/<order_id>", responses=answers(*MANUAL))
def get_manual_order(store_id: PathId, order_id: PathId) -> ManualOrder:
    return services().manual.order(caller(), store_id, order_id)


class FulfilRequest(BaseModel):
    tracking: Tracking = Tracking()


@app.post("/stores/<store_id>/orders/<order_id>/fulfil", responses=answers(*MANUAL, *A_JSON_BODY, Conflict))
def fulfil_manual_order(store_id: PathId, order_id: PathId, request: FulfilRequest) -> ManualOrder:
    """Ship what is left of the order, with its tracking (carried to the order's destination when it was pushed)."""
    return services().manual.fulfil(caller(), store_id, order_id, request.tracking)


@app.post("/stores/<store_id>/orders/<order_id>/cancel", responses=answers(*MANUAL, Conflict))
def cancel_manual_order(
    store_id: PathId,
    order_id: PathId,
    restock: Annotated[bool, Query(description="give its unshipped units back to stock")] = True,
) -> ManualOrder:
    return services().manual.cancel(caller(), store_id, order_id, restock=restock)


@app.post(
    "/links",
    responses=answers(*YOURS, *A_JSON_BODY, Conflict, PlanLimitReached, *ASKS_THE_STORES, success=HTTPStatus.CREATED),
)
def request_link(request: LinkRequest) -> Response[Link]:
    return created(services().links.request(caller(), request))


@app.get("/links", responses=answers(NotAuthenticated, *A_PAGE))
def list_links(limit: PageSize = 25, cursor: Cursor = None) -> dict[str, Any]:
    store = caller()
    links, after = services().links.page(store, limit=limit, cursor=position(store, cursor))
    return {"links": links, "next_cursor": sealed(store, after)}


@app.get("/links/<link_id>", responses=answers(*YOURS))
def get_link(link_id: PathId) -> LinkView:
    return services().links.view(caller(), link_id)


@app.patch("/links/<link_id>", responses=answers(*YOURS, *A_JSON_BODY, NotAllowed, Conflict, *ASKS_THE_STORES))
def change_link_settings(link_id: PathId, change: LinkSettingsChange) -> Link:
    return services().links.change_settings(caller(), link_id, change)


@app.get("/links/<link_id>/history", responses=answers(*YOURS, *A_PAGE))
def link_history(link_id: PathId, limit: PageSize = 25, cursor: Cursor = None) -> dict[str, Any]:
    store = caller()
    transitions, after = services().links.history(store, link_id, limit=limit, cursor=position(store, cursor))
    return {"transitions": transitions, "next_cursor": sealed(store, after)}


@app.get("/links/<link_id>/oversells", responses=answers(*YOURS, *A_PAGE))
def link_oversells(link_id: PathId, limit: PageSize = 25, cursor: Cursor = None) -> dict[str, Any]:
    store = caller()
    oversells, after = services().links.oversells(store, link_id, limit=limit, cursor=position(store, cursor))
    return {"oversells": oversells, "next_cursor": sealed(store, after)}


@app.get("/links/<link_id>/orders", responses=answers(*YOURS, *A_PAGE, InvalidRequest))
def list_link_orders(
    link_id: PathId,
    status: Annotated[
        MirrorStatus, Query(description="pushed, not_pushed, partially_pushed, failed, cancelled, history")
    ],
    since: Annotated[
        AwareDatetime | None, Query(ge=EARLIEST, le=LATEST, description="created at or after (ISO 8601 with a zone)")
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(ge=EARLIEST, le=LATEST, description="created at or before (ISO 8601 with a zone)")
    ] = None,
    limit: PageSize = 25,
    cursor: Cursor = None,
) -> dict[str, Any]:
    store = caller()
    orders, after = services().orders.page(
        store, link_id, status, since=since, until=until, limit=limit, cursor=position(store, cursor)
    )
    return {"orders": orders, "next_cursor": sealed(store, after)}


@app.get("/links/<link_id>/orders/<order_ref>", responses=answers(*YOURS))
def get_link_order(link_id: PathId, order_ref: PathId) -> OrderMirror:
    return services().orders.get(caller(), link_id, order_ref)


@app.post(
    "/links/<link_id>/orders/push",
    responses=answers(*YOURS, *A_JSON_BODY, NotAllowed, Conflict, success=HTTPStatus.ACCEPTED),
)
def push_link_orders(link_id: PathId, request: PushByHand) -> Response[dict[str, Any]]:
    queued = services().orders.push(caller(), link_id, request)
    return Response(HTTPStatus.ACCEPTED, content_types.APPLICATION_JSON, {"queued": queued})


# The pushed-orders report's filters, the same for its JSON pages and its CSV.
ReportStatus = Annotated[
    MirrorStatus | None,
    Query(description="only orders in this status: pushed, not_pushed, partially_pushed, failed, cancelled, history"),
]
ReportFrom = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=40,
        description="created on or after: a date (from its first moment in time_zone) or a date and time with its"
        " offset (2026-11-30T23:00:00Z)",
    ),
]
ReportTo = Annotated[
    str | None,
    Query(
        alias="to",
        max_length=40,
        description="created on or before: a date (to its last moment in time_zone) or a date and time with its offset",
    ),
]
ReportTimeZone = Annotated[
    str, Query(alias="time_zone", max_length=64, description="the store's time zone, as Europe/London")
]


@app.get("/links/<link_id>/reports/pushed-orders", responses=answers(*YOURS, *A_PAGE, InvalidRequest))
def pushed_orders_report(
    link_id: PathId,
    status: ReportStatus = None,
    start: ReportFrom = None,
    end: ReportTo = None,
    time_zone_name: ReportTimeZone = "UTC",
    limit: PageSize = 25,
    cursor: Cursor = None,
) -> Response[Any]:
    """Each order mirrored on the link in the range, newest first: the destination's and the source's order, its
    lines, units and value (in its currency), its status, and whether it was pushed automatically or by hand.
    The same report as CSV with `Accept: text/csv`."""
    if "text/csv" in app.current_event.headers.get("accept", ""):
        return pushed_orders_report_csv(link_id, status, start, end, time_zone_name)
    store, zone = caller(), time_zone(time_zone_name)
    since, until = date_range(start, end, zone)
    orders, after = services().orders.report(
        store, link_id, status, since=since, until=until, limit=limit, cursor=position(store, cursor)
    )
    body = {"from": since, "to": until, "orders": orders, "next_cursor": sealed(store, after)}
    return Response(HTTPStatus.OK, content_types.APPLICATION_JSON, body)


@app.get(
    "/links/<link_id>/reports/pushed-orders.csv",
    responses=answers(*YOURS, InvalidRequest, PayloadTooLarge, media_type="text/csv"),
)
def pushed_orders_report_csv(
    link_id: PathId,
    status: ReportStatus = None,
    start: ReportFrom = None,
    end: ReportTo = None,
    time_zone_name: ReportTimeZone = "UTC",
) -> Response[Any]:
    """The pushed-orders report as one CSV (dates in time_zone); a report too large for one answer is exported
    through POST /links/{link_id}/reports/pushed-orders/exports (413 says so)."""
    zone = time_zone(time_zone_name)
    since, until = date_range(start, end, zone)
    lines = services().orders.report_csv(caller(), link_id, status, since=since, until=until, zone=zone)
    return csv_file(lines, f"POST /links/{link_id}/reports/pushed-orders/exports")


# -- Figures (docs/reports.md, Figures): a link's or a store's counters summed over a range ------------------

FiguresRangeQuery = Annotated[
    FiguresRange | None,
    Query(alias="range", description="today, 7d or 30d (with today), in time_zone; 30d when neither range nor from/to"),
]


@app.get("/links/<link_id>/figures", responses=answers(*YOURS, InvalidRequest))
def link_figures(
    link_id: PathId,
    named: FiguresRangeQuery = None,
    start: ReportFrom = None,
    end: ReportTo = None,
    time_zone_name: ReportTimeZone = "UTC",
) -> LinkFigures:
    """The link's orders by state, units and revenue per currency, per day in time_zone, its top products, its
    products at the source and synced, and its stock path: oversells, sweeps' drift, sync lag p50/p95."""
    figures = services().figures
    return figures.for_link(caller(), link_id, figures.period(named, start, end, time_zone_name))


@app.get("/stores/<store_id>/figures", responses=answers(*YOURS, InvalidRequest))
def store_figures(
    store_id: PathId,
    named: FiguresRangeQuery = None,
    start: ReportFrom = None,
    end: ReportTo = None,
    time_zone_name: ReportTimeZone = "UTC",
) -> StoreFigures:
    """The store's links and their status, its orders as a destination (with its top products and sources), what
    its destinations took from it as a source, and its links' stock paths."""
    figures = services().figures
    return figures.for_store(caller(), store_id, figures.period(named, start, end, time_zone_name))


class MapRequest(BaseModel):
    """Map a destination variant to a source variant by hand; no source unmaps it (kept unmapped)."""

    destination_variant_id: str = Field(min_length=1, max_length=255)
    source_variant_id: str | None = Field(default=None, min_length=1, max_length=255)


@app.get("/links/<link_id>/mappings", responses=answers(*YOURS, *A_PAGE))
def list_mappings(
    link_id: PathId, state: Annotated[MatchState | None, Query()] = None, limit: PageSize = 25, cursor: Cursor = None
) -> dict[str, Any]:
    store = caller()
    entries, after = services().mappings.page(store, link_id, state, limit=limit, cursor=position(store, cursor))
    return {"mappings": entries, "next_cursor": sealed(store, after)}


@app.put(
    "/links/<link_id>/mappings",
    responses=answers(*YOURS, *A_JSON_BODY, NotAllowed, Conflict, PlanLimitReached, *ASKS_THE_STORES),
)
def map_variant(link_id: PathId, request: MapRequest) -> SkuMapEntry:
    mappings, store = services().mappings, caller()
    if request.source_variant_id is None:
        return mappings.unmap(store, link_id, request.destination_variant_id)
    return mappings.map(store, link_id, request.destination_variant_id, request.source_variant_id)


@app.get("/links/<link_id>/health", responses=answers(*YOURS, *ASKS_THE_STORES))
def catalogue_health(link_id: PathId) -> HealthReport:
    return services().mappings.health(caller(), link_id)


@app.get(
    "/links/<link_id>/mappings.csv",
    responses=answers(*YOURS, PayloadTooLarge, *ASKS_THE_STORES, media_type="text/csv"),
)
def export_mappings(link_id: PathId) -> Response[str]:
    """The link's SKU map as CSV; a map too large for one answer is exported through
    POST /links/{link_id}/mappings/exports (413 says so)."""
    return csv_file(services().mappings.export(caller(), link_id), f"POST /links/{link_id}/mappings/exports")


@app.post(
    "/links/<link_id>/mappings.csv",
    responses=answers(
        *YOURS, NotAllowed, PayloadTooLarge, PlanLimitReached, *ASKS_THE_STORES, unprocessable=MappingImportPlan
    ),
)
def import_mappings(link_id: PathId, dry_run: Annotated[bool, Query()] = False) -> Response[dict[str, Any]]:
    text = raw_body(app.current_event).decode("utf-8-sig", errors="replace")
    return all_or_nothing(services().mappings.import_csv(caller(), link_id, text, dry_run=dry_run))


# --- Files of any size (docs/files.md): jobs with presigned upload and download URLs ---------------------------


@app.post(
    "/links/<link_id>/mappings/imports",
    responses=answers(*YOURS, *A_JSON_BODY, NotAllowed, PayloadTooLarge, success=HTTPStatus.CREATED),
)
def start_mappings_import(link_id: PathId, request: UploadRequest) -> Response[StartedImport]:
    """A mappings CSV of any size: PUT the file to the answer's upload URL, then follow the job at /jobs/{job_id};
    its rows are checked and applied all or none, as POST /links/{link_id}/mappings.csv does."""
    return created(services().files.start_mappings_import(caller(), link_id, request))


@app.post(
    "/stores/<store_id>/stock/imports",
    responses=answers(*YOURS, *A_JSON_BODY, PayloadTooLarge, success=HTTPStatus.CREATED),
)
def start_stock_import(store_id: PathId, request: UploadRequest) -> Response[StartedImport]:
    """The store's stock CSV of any size, up to 100,000 rows: PUT the file to the answer's upload URL, then follow
    the job at /jobs/{job_id}; its rows are checked and written all or none, as POST /stores/{store_id}/stock.csv
    does."""
    return created(services().files.start_stock_import(caller(), store_id, request))


def accepted(job: FileJob) -> Response[FileJob]:
    return Response(HTTPStatus.ACCEPTED, content_types.APPLICATION_JSON, job)


@app.post("/links/<link_id>/mappings/exports", responses=answers(*YOURS, success=HTTPStatus.ACCEPTED))
def start_mappings_export(link_id: PathId) -> Response[FileJob]:
    """The link's SKU map as GET /links/{link_id}/mappings.csv answers it, of any size: follow the job at
    /jobs/{job_id}; once `ready`, it answers a URL to download the file from."""
    return accepted(services().files.start_mappings_export(caller(), link_id))


@app.post("/stores/<store_id>/stock/exports", responses=answers(*YOURS, success=HTTPStatus.ACCEPTED))
def start_stock_export(store_id: PathId) -> Response[FileJob]:
    """The store's stock as GET /stores/{store_id}/stock.csv answers it, of any size (see the mappings export)."""
    return accepted(services().files.start_stock_export(caller(), store_id))


@app.post(
    "/links/<link_id>/reports/pushed-orders/exports",
    responses=answers(*YOURS, *A_JSON_BODY, success=HTTPStatus.ACCEPTED),
)
def start_pushed_orders_export(link_id: PathId, filters: PushedOrdersFilters) -> Response[FileJob]:
    """The pushed-orders report as its CSV route answers it, with the same filters in the body (`status`, `from`,
    `to`, `time_zone`), of any size (see the mappings export)."""
    return accepted(services().files.start_pushed_orders_export(caller(), link_id, filters))


@app.get("/jobs/<job_id>", responses=answers(*YOURS))
def get_file_job(job_id: PathId) -> JobView:
    """A file job of the caller's: its state, the rows read and applied, and the bad rows; a ready export's rows
    and `download`, a URL to GET its file from, signed now for 15 minutes."""
    return services().files.view(caller(), job_id)


@app.post("/links/<link_id>/sweep", responses=answers(*YOURS, Conflict, success=HTTPStatus.ACCEPTED))
def sweep_link(link_id: PathId) -> Response[dict[str, str]]:
    link = services().links.sweep_now(caller(), link_id)
    return Response(HTTPStatus.ACCEPTED, content_types.APPLICATION_JSON, {"link_id": link.link_id, "sweep": "queued"})


@app.post("/links/<link_id>/disconnect", responses=answers(*YOURS, NotAllowed, Conflict, *ASKS_THE_STORES))
def disconnect_link(
    link_id: PathId,
    option: Annotated[DisconnectOption | None, Query()] = None,
    dry_run: Annotated[bool, Query(description="answer what would happen to the products, change nothing")] = False,
) -> Disconnection:
    return services().links.disconnect(caller(), link_id, option, dry_run=dry_run)


# Registered after every fixed path under /links/{link_id}/: the resolver takes the first route that matches.
@app.post("/links/<link_id>/<action>", responses=answers(*YOURS, NotAllowed, Conflict, PlanLimitReached))
def act_on_link(link_id: PathId, action: Action, option: Annotated[DisconnectOption | None, Query()] = None) -> Link:
    return services().links.act(caller(), link_id, action, option)


# --- plans (docs/plans.md) ---


@app.get("/stores/<store_id>/plan", responses=answers(*YOURS))
def store_plan(store_id: PathId) -> PlanUsage:
    """The store's plan, its limits and what it uses of them (pushed orders: this UTC month's, and those held)."""
    return services().plans.usage(caller(), store_id)


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    schema = app.get_openapi_json_schema(title="storelink management API", version="1")
    return Response(HTTPStatus.OK, content_types.APPLICATION_JSON, schema)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    once_per_delivery.register_lambda_context(context)
    return app.resolve(event, context)
