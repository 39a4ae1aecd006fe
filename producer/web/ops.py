"""Operating the service: liveness, readiness with per-check time, and Prometheus metrics.

`/healthz` answers as long as the process serves requests (a supervisor restarts it otherwise);
`/readyz` says whether this server can do its work now — database, job queue and file store each
checked, with the time each took — so a load balancer stops sending it traffic during an outage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from producer.metrics import Metrics
from producer.web.deps import AppState, State

router = APIRouter()
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Liveness(BaseModel):
    status: Literal["ok"]


class Check(BaseModel):
    status: Literal["ok", "unavailable"]
    seconds: float
    error: str | None = None


class Readiness(BaseModel):
    status: Literal["ok", "error"]
    checks: dict[str, Check]


@router.get(
    "/healthz", tags=["public"], summary="Liveness: the process serves requests", response_model=Liveness
)
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get(
    "/readyz",
    tags=["public"],
    summary="Readiness: database, job queue and file store, each with its time",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is unavailable"}},
)
def readyz(state: State) -> JSONResponse:
    checks = {name: _timed(check) for name, check in _checks(state).items()}
    ready = all(check.status == "ok" for check in checks.values())
    body = Readiness(status="ok" if ready else "error", checks=checks)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=200 if ready else 503)


@router.get("/metrics", tags=["public"], summary="Prometheus metrics", response_class=Response)
def metrics(state: State) -> Response:
    return Response(generate_latest(state.queue.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _checks(state: AppState) -> dict[str, Callable[[], object]]:
    def database() -> None:
        with state.db.read() as s:
            s.execute(text("SELECT 1"))

    return {"database": database, "queue": state.queue.broker.pending, "storage": state.store.check}


def _timed(check: Callable[[], object]) -> Check:
    start = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure of a dependency is "unavailable", with its kind
        return Check(
            status="unavailable", seconds=round(time.perf_counter() - start, 4), error=type(exc).__name__
        )
    return Check(status="ok", seconds=round(time.perf_counter() - start, 4))


class HttpMetrics:
    """Times every HTTP request by its route template (pure ASGI, streaming untouched); paths
    that match no route share one label, so scanners cannot grow the label set."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            self.metrics.http_seconds.labels(method, route, str(status)).observe(time.perf_counter() - start)
