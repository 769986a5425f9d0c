"""The template's HttpApi routes served on 127.0.0.1, speaking Lambda payload format 2.0 as API Gateway does.

Reference: "Create AWS Lambda proxy integrations for HTTP APIs" in the API Gateway developer guide.
"""

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from storelink_local.template import HttpApiEvent, StackContext, Template, TemplateError

logger = logging.getLogger(__name__)

# API Gateway's payload quota; larger requests never reach the function.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
# Bodies of these media types reach the function as text; all others, form posts and requests without a
# Content-Type included, arrive base64-encoded (observed on AWS; the docs only say "binary").
_TEXT_MEDIA_TYPES = {"application/json", "application/xml", "application/javascript"}
# Connection-level headers, which a proxy such as API Gateway does not pass on (RFC 9110, 7.6.1).
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
_JSON = "application/json"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    raw_path: str
    raw_query_string: str
    headers: list[tuple[str, str]]  # as received: original case, repeated names repeated
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    server_port: int = 80


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass(frozen=True)
class Route:
    event: HttpApiEvent
    function: str  # logical id
    segments: tuple[str, ...]  # the route's path split on "/"; empty for $default

    def match(self, method: str, path_segments: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
        """How specific this route is for the request (higher wins), with its path parameters; None: no match."""
        if self.event.method not in (method, "ANY"):
            return None
        method_rank = 0 if self.event.method == "ANY" else 1
        if self.event.path is None:
            return (-1, method_rank), {}
        ranks: list[int] = []
        parameters: dict[str, str] = {}
        for position, segment in enumerate(self.segments):
            if greedy := re.fullmatch(r"\{(\w+)\+\}", segment):
                rest = path_segments[position:]
                if not rest or not all(rest):
                    return None
                parameters[greedy.group(1)] = "/".join(unquote(part) for part in rest)
                ranks.append(0)
                return (*ranks, method_rank), parameters
            if position >= len(path_segments):
                return None
            if variable := re.fullmatch(r"\{(\w+)\}", segment):
                if not path_segments[position]:
                    return None
                parameters[variable.group(1)] = unquote(path_segments[position])
                ranks.append(1)
            elif segment == path_segments[position]:
                ranks.append(2)
            else:
                return None
        if len(path_segments) != len(self.segments):
            return None
        return (*ranks, method_rank), parameters


def routes_of(template: Template) -> list[Route]:
    routes: dict[tuple[str, str], Route] = {}
    for event, function in template.routes:
        key = (event.api, event.route_key)
        if key in routes:
            raise TemplateError(f"{function.logical_id} and {routes[key].function} both declare {event.route_key}")
        segments = tuple(event.path.strip("/").split("/")) if event.path else ()
        routes[key] = Route(event, function.logical_id, segments)
    return list(routes.values())


def is_text(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type.startswith("text/") or media_type in _TEXT_MEDIA_TYPES


def payload_v2(
    request: HttpRequest, route: Route, path_parameters: Mapping[str, str], context: StackContext, request_id: str
) -> dict[str, Any]:
    """The event API Gateway sends for an HTTP API route with payload format 2.0."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        name = name.lower()
        if name == "cookie":  # format 2.0 moves cookies out of the headers
            cookies += [cookie.strip() for cookie in value.split(";") if cookie.strip()]
        elif name not in _HOP_BY_HOP:
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    # Headers API Gateway adds on its way to the function.
    forwarded_for = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded_for}, {request.source_ip}" if forwarded_for else request.source_ip
    headers["x-forwarded-port"] = str(request.server_port)
    headers["x-forwarded-proto"] = "http"
    headers["x-amzn-trace-id"] = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"

    query: dict[str, str] = {}
    for name, value in parse_qsl(request.raw_query_string, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value

    now = datetime.now(UTC)
    host = headers.get("host", "")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.event.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query_string,
        "headers": headers,
        "requestContext": {
            "accountId": context.account_id,
            "apiId": route.event.api_id,
            "domainName": host,
            "domainPrefix": host.split(":")[0].split(".")[0],
            "http": {
                "method": request.method,
                "path": request.raw_path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route.event.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    # Absent rather than empty, as API Gateway sends them.
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if request.body:
        if is_text(headers.get("content-type")):
            event["body"] = request.body.decode("utf-8", errors="replace")
        else:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


class MalformedResponse(Exception):
    """The function's result is not a response API Gateway can send; it answers 500 instead."""


def response_from_result(result: Any) -> HttpResponse:
    """Turn a function's result into the HTTP response, with API Gateway's format 2.0 rules."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: the whole result is a JSON body with status 200 (a string is sent as it is).
        inferred_body = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, [("content-type", _JSON)], inferred_body.encode())
    status = result["statusCode"]
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode must be an HTTP status, got {status!r}")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise MalformedResponse(f"header {name} must be a string, got {value!r}")
        if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
            headers.append((name, str(value)))
    # Format 2.0 has no multiValueHeaders (API Gateway ignores them); repeated Set-Cookie go in cookies.
    headers += [("set-cookie", str(cookie)) for cookie in result.get("cookies") or []]
    body = result.get("body")
    if body is None:
        return HttpResponse(status, headers)
    if not isinstance(body, str):
        raise MalformedResponse(f"body must be a string, got {type(body).__name__}")
    if result.get("isBase64Encoded"):
        try:
            return HttpResponse(status, headers, base64.b64decode(body, validate=True))
        except ValueError as error:
            raise MalformedResponse(f"isBase64Encoded is true but the body is not base64: {error}") from error
    return HttpResponse(status, headers, body.encode())


def status_of(result: Any) -> int:
    """The HTTP status a client gets for this result."""
    try:
        return response_from_result(result).status
    except MalformedResponse:
        return INTERNAL_SERVER_ERROR.status


def _message(status: int, message: str) -> HttpResponse:
    # Compact, byte for byte what API Gateway sends.
    body = json.dumps({"message": message}, separators=(",", ":"))
    return HttpResponse(status, [("content-type", _JSON)], body.encode())


NOT_FOUND = _message(404, "Not Found")
INTERNAL_SERVER_ERROR = _message(500, "Internal Server Error")
PAYLOAD_TOO_LARGE = HttpResponse(
    413,
    [("content-type", "text/plain; charset=utf-8")],
    f"HTTP content length exceeded {MAX_REQUEST_BYTES} bytes.".encode(),
)


class RequestTooLarge(Exception):
    pass


RouteInvoker = Callable[[Route, dict[str, Any]], Any]


class HttpApi:
    """The routes of every HttpApi in the template on one local port."""

    def __init__(self, template: Template, invoke: RouteInvoker, port: int = 0):
        self.routes = routes_of(template)
        self._context = template.context
        self._invoke = invoke
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def resolve(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        """The most specific route for a request, as API Gateway picks it, with its path parameters."""
        path_segments = raw_path.strip("/").split("/")
        matches = [(found, route) for route in self.routes if (found := route.match(method, path_segments))]
        if not matches:
            return None
        (_, path_parameters), route = max(matches, key=lambda match: match[0][0])
        return route, path_parameters

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = base64.b64encode(uuid.uuid4().bytes[:10]).decode("ascii")
        if (resolved := self.resolve(request.method, request.raw_path)) is None:
            return NOT_FOUND
        route, path_parameters = resolved
        event = payload_v2(request, route, path_parameters, self._context, request_id)
        try:
            response = response_from_result(self._invoke(route, event))
        except MalformedResponse as error:
            logger.error("%s returned a malformed response: %s", route.function, error)
            return INTERNAL_SERVER_ERROR
        except Exception:
            logger.exception("%s failed on %s", route.function, route.event.route_key)
            return INTERNAL_SERVER_ERROR
        return HttpResponse(response.status, [*response.headers, ("apigw-requestid", request_id)], response.body)

    def start(self) -> str:
        self._server = _Server(("127.0.0.1", self._port), _RequestHandler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="http-api", daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Ten destinations' webhooks arrive at once; Python's default backlog of 5 made the kernel drop some.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], api: HttpApi):
        super().__init__(address, handler)
        self.api = api


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except RequestTooLarge:
            # The rest of the body is still on the socket: answer, then close rather than read it.
            self.close_connection = True
            self._send(PAYLOAD_TOO_LARGE)
            return
        raw_path, _, raw_query = self.path.partition("?")
        request = HttpRequest(
            method=self.command,
            raw_path=raw_path,
            raw_query_string=raw_query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
            server_port=self.server.server_address[1],
        )
        self._send(self.server.api.handle(request))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY…) goes to the routes too: matching none, it answers 404 as any unmatched
        # request does, not http.server's 501.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_REQUEST_BYTES:
            raise RequestTooLarge
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            if len(body) + size > MAX_REQUEST_BYTES:
                raise RequestTooLarge
            body += self.rfile.read(size)
            self.rfile.readline()  # the CRLF after each chunk
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
            pass
        return bytes(body)

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)
