"""Errors as OpenAI's JSON: ``{"error": {"message", "type", "param", "code"}}``.

    400 invalid_request_error   bad JSON, wrong types, unknown fields, bad schema, caps
    401 authentication_error    missing/wrong API key
    404 model_not_found / task_not_found
    413 request_too_large       body over --max-body-bytes
    429 queue_full              the model's queue is full (Retry-After header)
    504 timeout                 over --timeout
    500 server_error            anything else; the traceback goes to the server log only
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import ConfigError, InvalidOutput, LadderError, MissingDependency, ModelNotFound
from .queue import QueueFull

log = logging.getLogger("ladder.server")


class ApiError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 type: str = "invalid_request_error", headers: dict | None = None):
        self.status, self.message, self.param, self.code, self.type = status, message, param, code, type
        self.headers = headers or {}
        super().__init__(message)


def error_body(message: str, type: str = "invalid_request_error", param=None, code=None) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def as_api_error(e: BaseException) -> ApiError:
    """Any exception -> the ApiError a client sees."""
    if isinstance(e, ApiError):
        return e
    if isinstance(e, QueueFull):
        return ApiError(429, str(e), code="queue_full", type="rate_limit_error",
                        headers={"Retry-After": str(e.retry_after)})
    if isinstance(e, ModelNotFound):
        return ApiError(404, str(e), "model", "model_not_found")
    if isinstance(e, ConfigError):
        return ApiError(400, str(e))
    if isinstance(e, InvalidOutput):
        return ApiError(422, str(e), code="invalid_output")
    if isinstance(e, MissingDependency):
        return ApiError(501, str(e), code="missing_dependency", type="server_error")
    if isinstance(e, LadderError):
        return ApiError(500, str(e), code="model_error", type="server_error")
    if isinstance(e, TimeoutError):
        return ApiError(504, "The request took longer than the server's --timeout.", code="timeout",
                        type="timeout_error")
    log.error("unhandled error", exc_info=e)
    return ApiError(500, "Internal server error; the details are in the server log.", type="server_error")


def api_error_response(e: BaseException) -> JSONResponse:
    err = as_api_error(e)
    return JSONResponse(error_body(err.message, err.type, err.param, err.code), err.status, headers=err.headers)


def _validation_message(errors: list[dict]) -> tuple[str, str | None]:
    parts, param = [], None
    for err in errors[:5]:
        loc = [str(x) for x in err.get("loc", ()) if x != "body"]
        where = ".".join(loc) or "body"
        param = param or where
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field (check its spelling; this server rejects fields it does not use)"
        parts.append(f"{where}: {msg}")
    return "Invalid request: " + "; ".join(parts), param


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError):
        message, param = _validation_message(list(e.errors()))
        return JSONResponse(error_body(message, param=param), 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, e: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(e.status_code)
        message = f"No route {request.method} {request.url.path}." if e.status_code in (404, 405) else str(e.detail)
        return JSONResponse(error_body(message, code=code), e.status_code, headers=getattr(e, "headers", None))

    async def known(request: Request, e: Exception):
        return api_error_response(e)

    for kind in (ApiError, QueueFull, LadderError, TimeoutError):  # handled: not re-raised
        app.add_exception_handler(kind, known)
    # Anything else: starlette's outermost handler sends our 500 JSON, then re-raises so
    # the server log gets the traceback.
    app.add_exception_handler(Exception, known)
