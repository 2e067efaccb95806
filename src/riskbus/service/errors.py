"""Error bodies of the API: every error answers ``{"detail": str, "error_code": str}``.

* :class:`ApiError` — raised by routes with its own status and code;
* a riskbus :class:`~riskbus.core.errors.BadInputError` — 400 ``BAD_INPUT`` (the message names
  the field);
* request validation — 422 ``VALIDATION_ERROR``, ``detail`` naming each bad field;
* an unknown path — 404 ``NOT_FOUND``; a wrong method — 405 ``METHOD_NOT_ALLOWED``;
* anything else — 500 ``INTERNAL_ERROR`` (logged with its traceback, never shown).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from riskbus.core.errors import BadInputError

__all__ = ["ApiError", "ErrorBody", "error_responses", "install_error_handlers"]

log = logging.getLogger("riskbus.service")


class ErrorBody(BaseModel):
    """The body of every error response."""

    detail: str
    error_code: str


class ApiError(Exception):
    """An error a route answers with: HTTP ``status``, a stable ``error_code``, a ``detail``."""

    def __init__(self, status: int, error_code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.error_code = error_code
        self.detail = detail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting ``statuses`` with the :class:`ErrorBody` model."""
    return {
        status: {"model": ErrorBody, "description": HTTPStatus(status).phrase}
        for status in statuses
    }


def _body(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "error_code": code}, status_code=status)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _body(exc.status, exc.error_code, exc.detail)


async def _bad_input(_request: Request, exc: Exception) -> JSONResponse:
    return _body(400, "BAD_INPUT", str(exc))


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = [f"{_location(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
    return _body(422, "VALIDATION_ERROR", "; ".join(parts) or "invalid request")


_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 401: "UNAUTHORIZED", 403: "FORBIDDEN"}


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    response = _body(exc.status_code, code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _body(500, "INTERNAL_ERROR", "internal error (logged on the server)")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` answer an :class:`ErrorBody`."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(BadInputError, _bad_input)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _internal)
