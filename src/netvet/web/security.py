"""Access control of the dashboard: loopback Host names without a token, the token on every request with one.

Without a token the app only answers requests whose ``Host`` is a loopback name (``127.0.0.1``,
``localhost``, ``[::1]``), which defeats DNS rebinding. With a token every request must carry it:
``Authorization: Bearer T``, ``X-Netvet-Token: T``, the ``netvet_token`` cookie, or ``?token=T`` (which
sets the cookie, HttpOnly and SameSite=Strict, and redirects to the same page without the token in the URL).
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse

COOKIE = "netvet_token"
HEADER = "x-netvet-token"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _host_name(host_header: str) -> str:
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[: h.find("]") + 1] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def _presented(request: Request) -> tuple[str | None, bool]:
    """The token the request carries, and whether it came in the query string."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    if request.headers.get(HEADER):
        return request.headers[HEADER].strip(), False
    if request.cookies.get(COOKIE):
        return request.cookies[COOKIE], False
    if request.query_params.get("token"):
        return request.query_params["token"], True
    return None, False


def install_security(app: FastAPI, token: str | None, bind_host: str) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next):
        if token is None:
            if _host_name(request.headers.get("host", "")) not in LOOPBACK_HOSTS:
                return PlainTextResponse("netvet serves loopback host names only", status_code=421)
        else:
            given, from_query = _presented(request)
            if given is None or not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
                return PlainTextResponse(
                    "netvet dashboard: a valid token is required (header "
                    "'Authorization: Bearer <token>', cookie or ?token=)",
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            if from_query and request.method == "GET":
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
                resp = RedirectResponse(target, status_code=303)
                resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
                _headers(resp)
                return resp
        response = await call_next(request)
        _headers(response)
        return response


def _headers(response) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
