"""Domain errors become HTTP answers here, and only here, with one error body for every endpoint."""

import base64
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel

from storelink import errors
from storelink.observability import logger

HTTP_STATUS_OF: dict[type[errors.StorelinkError], HTTPStatus] = {
    errors.MalformedWebhook: HTTPStatus.BAD_REQUEST,
    errors.InvalidSignature: HTTPStatus.UNAUTHORIZED,
    errors.UnknownStore: HTTPStatus.NOT_FOUND,
    errors.AlreadyExists: HTTPStatus.CONFLICT,
    errors.Conflict: HTTPStatus.CONFLICT,
    errors.NotAuthenticated: HTTPStatus.UNAUTHORIZED,
    errors.NotAllowed: HTTPStatus.FORBIDDEN,
    errors.NotFound: HTTPStatus.NOT_FOUND,
    # 402, not 403 or 409: the request is allowed and consistent; only the plan stands in the way, and a larger
    # plan is the fix. A client tells it from a wrong party (403) or a wrong state (409) by its status alone.
    errors.PlanLimitReached: HTTPStatus.PAYMENT_REQUIRED,
    errors.InvalidRequest: HTTPStatus.UNPROCESSABLE_ENTITY,
    errors.InvalidCursor: HTTPStatus.BAD_REQUEST,
    errors.PayloadTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    errors.StoreRejected: HTTPStatus.BAD_GATEWAY,
    errors.StoreUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}


# What the framework itself refuses, beside storelink's errors: a request its model does not read, a body not JSON.
REFUSED_BY_FRAMEWORK: dict[type[Exception], tuple[HTTPStatus, str]] = {
    RequestValidationError: (HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_request"),
    RequestUnsupportedContentType: (HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, str] | None = None


class ErrorBody(BaseModel):
    """The one body of every refusal."""

    error: ErrorDetail


def error_response(
    status: HTTPStatus, code: str, message: str, details: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, details=details or None))
    return Response(status, content_types.APPLICATION_JSON, body.model_dump(exclude_none=True))


def answers(
    *refusals: type[Exception],
    success: HTTPStatus = HTTPStatus.OK,
    media_type: str = content_types.APPLICATION_JSON,
    unprocessable: Any = None,
) -> dict[int, OpenAPIResponse]:
    """A route's `responses=` for its OpenAPI description: its success (the schema of what the handler returns,
    as `media_type`) and a status for each error it may raise, read from the one error table, in the error
    body; 422 always, as every route validates its request. `unprocessable` is what a 422 carries besides
    the error body (a CSV import's plan naming each bad row)."""
    codes: dict[HTTPStatus, list[str]] = {}
    every: tuple[type[Exception], ...] = (RequestValidationError, *refusals)
    for refusal in every:
        status, code = status_and_code(refusal)
        codes.setdefault(status, []).append(code)
    documented: dict[int, OpenAPIResponse] = {int(success): {"description": success.phrase}}
    if success is HTTPStatus.NO_CONTENT:
        documented[int(success)]["content"] = {}
    elif media_type != content_types.APPLICATION_JSON:
        documented[int(success)]["content"] = {media_type: {"schema": {"type": "string"}}}
    for status, status_codes in sorted(codes.items()):
        body = ErrorBody | unprocessable if unprocessable and status is HTTPStatus.UNPROCESSABLE_ENTITY else ErrorBody
        documented[int(status)] = {
            "description": f"{status.phrase}: {', '.join(dict.fromkeys(status_codes))}",
            "content": {content_types.APPLICATION_JSON: {"model": body}},
        }
    return documented


def status_and_code(refusal: type[Exception]) -> tuple[HTTPStatus, str]:
    if issubclass(refusal, errors.StorelinkError):
        return status_of(refusal), refusal.code
    return REFUSED_BY_FRAMEWORK[refusal]


def status_of(kind: type[errors.StorelinkError]) -> HTTPStatus:
    return next(
        (status for known, status in HTTP_STATUS_OF.items() if issubclass(kind, known)),
        HTTPStatus.INTERNAL_SERVER_ERROR,
    )


# Run on every request before it is validated: raises (e.g. NotAuthenticated) to refuse it.
RequestGuard = Callable[[Any], None]


class JsonBodiesOnly(OpenAPIRequestValidationMiddleware):
    """The framework's request validation, reading a body model from JSON only: storelink takes no forms, so a
    form body is refused with 415 like any other that is not JSON, before the framework parses it (a multipart
    body without its boundary was a 500). CSV uploads have no body model and are read raw by their route.

    The `guard` runs first: a caller who may not call learns that, not what their request lacks (the framework
    runs its validation before any middleware an app adds, so the guard lives here)."""

    def __init__(self, guard: RequestGuard | None = None) -> None:
        super().__init__()
        self._guard = guard

    def handler(self, app: Any, next_middleware: NextMiddleware) -> Response[Any]:
        if self._guard is not None:
            self._guard(app)
        return super().handler(app, next_middleware)

    def _get_body(self, app: Any) -> dict[str, Any]:
        content_type = app.current_event.headers.get("content-type", "").strip()
        if content_type and not content_type.startswith(content_types.APPLICATION_JSON):
            problem = {"type": "unsupported_content_type", "loc": ("body",), "msg": content_type, "input": {}}
            raise RequestUnsupportedContentType("Unsupported content type", errors=[problem])
        body: dict[str, Any] = super()._get_body(app)
        return body


def register_error_handlers(app: APIGatewayHttpResolver, guard: RequestGuard | None = None) -> None:
    # The resolver's own request validation, replaced before any route runs (it is built with the resolver).
    app._request_validation_middleware = JsonBodiesOnly(guard)

    @app.exception_handler(errors.StorelinkError)
    def storelink_error(error: errors.StorelinkError) -> Response[dict[str, Any]]:
        status = status_of(type(error))
        logger.info("request refused", extra={"status": int(status), "code": error.code, "reason": str(error)})
        return error_response(status, error.code, str(error), getattr(error, "details", None))

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return error_response(*REFUSED_BY_FRAMEWORK[RequestValidationError], problems)

    # Checked before RequestValidationError's handler by type: the framework would answer with its own body.
    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_body(error: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
        kinds = "; ".join(str(e.get("msg", "")) for e in error.errors())
        return error_response(*REFUSED_BY_FRAMEWORK[RequestUnsupportedContentType], f"send the body as JSON ({kinds})")


def raw_body(event: APIGatewayProxyEventV2) -> bytes:
    """The body exactly as the caller sent it: signatures are computed over these bytes."""
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode()
