"""Domain errors become HTTP answers here, and only here, with one error body for every endpoint."""

import base64
from http import HTTPStatus

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

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
    errors.InvalidRequest: HTTPStatus.UNPROCESSABLE_ENTITY,
    errors.InvalidCursor: HTTPStatus.BAD_REQUEST,
    errors.PayloadTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    errors.StoreRejected: HTTPStatus.BAD_GATEWAY,
    errors.StoreUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}


def error_response(
    status: HTTPStatus, code: str, message: str, details: dict[str, str] | None = None
) -> Response[dict[str, dict[str, object]]]:
    error: dict[str, object] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body={"error": error})


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(errors.StorelinkError)
    def storelink_error(error: errors.StorelinkError) -> Response[dict[str, dict[str, object]]]:
        status = next(
            (status for kind, status in HTTP_STATUS_OF.items() if isinstance(error, kind)),
            HTTPStatus.INTERNAL_SERVER_ERROR,
        )
        logger.info("request refused", extra={"status": int(status), "code": error.code, "reason": str(error)})
        return error_response(status, error.code, str(error), getattr(error, "details", None))

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response[dict[str, dict[str, object]]]:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_request", problems)

    # Checked before RequestValidationError's handler by type: the framework would answer with its own body.
    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_body(error: RequestUnsupportedContentType) -> Response[dict[str, dict[str, object]]]:
        kinds = "; ".join(str(e.get("msg", "")) for e in error.errors())
        return error_response(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", f"send the body as JSON ({kinds})"
        )


def raw_body(event: APIGatewayProxyEventV2) -> bytes:
    """The body exactly as the caller sent it: signatures are computed over these bytes."""
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode()
