"""The HTTP side: a WSGI application on werkzeug's threaded server.

werkzeug (Pallets; already installed with moto) gives a maintained HTTP/1.1 parser, a thread per
request, and a ``shutdown()`` that returns once the serving loop has stopped, which is all an SDK
endpoint needs; no framework sits in between.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sfnsim.server.backend import Backend
from sfnsim.server.operations import OPERATIONS
from sfnsim.server.protocol import CONTENT_TYPE, TARGET_PREFIX, Params, ServiceError, parse_body

log = logging.getLogger("sfnsim.server")


class StepFunctionsApp:
    """WSGI: ``POST /`` with ``X-Amz-Target: AWSStepFunctions.<Operation>``."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            body = self.dispatch(request)
            status = 200
        except ServiceError as error:
            body, status = error.body(), error.status
        except Exception as exc:  # a bug in sfnsim: say so, never a traceback on the wire
            log.exception("internal error in %s", request.headers.get("X-Amz-Target"))
            body = {"__type": "InternalFailure", "message": f"sfnsim internal error: {type(exc).__name__}: {exc}"}
            status = 500
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        return Response(text, status=status, content_type=CONTENT_TYPE,
                        headers={"x-amzn-RequestId": request_id})

    def dispatch(self, request: Request) -> dict[str, Any]:
        if request.method != "POST":
            raise ServiceError("UnknownOperationException",
                               "the Step Functions API takes POST requests with an X-Amz-Target header")
        target = request.headers.get("X-Amz-Target", "")
        name = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else None
        operation = OPERATIONS.get(name or "")
        if operation is None:
            raise ServiceError("UnknownOperationException", f"unknown or unsupported operation: {target!r}")
        params = Params(parse_body(request.get_data()))
        # GetActivityTask's long poll waits on the backend's condition, which releases the lock.
        with self.backend.lock:
            return operation(self.backend, params)


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's handler, logging each request only when asked (``--log-requests``)."""

    log_requests = False

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.log_requests:
            super().log_request(code, size)


@dataclass
class Endpoint:
    """A running endpoint: point an SDK's ``endpoint_url`` at ``url``."""

    host: str
    port: int
    region: str
    account: str
    backend: Backend
    _server: BaseWSGIServer
    _thread: threading.Thread

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        """Stop serving (in-flight requests finish) and the timers; idempotent."""
        if self._thread.is_alive():
            self.backend.close()
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> "Endpoint":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_endpoint(backend: Backend, host: str = "127.0.0.1", port: int = 8083, *,
                   log_requests: bool = False) -> Endpoint:
    """Serve ``backend`` on ``host:port`` (0: any free port) from a background thread."""
    handler = type("RequestHandler", (_RequestHandler,), {"log_requests": log_requests})
    server = make_server(host, port, StepFunctionsApp(backend), threaded=True, request_handler=handler)
    server.daemon_threads = True  # a worker's long poll must not hold up shutdown
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="sfnsim-serve", daemon=True)
    thread.start()
    return Endpoint(host, server.server_port, backend.region, backend.account, backend, server, thread)


__all__ = ["StepFunctionsApp", "Endpoint", "start_endpoint"]
