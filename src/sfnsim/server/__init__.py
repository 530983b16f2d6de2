"""``sfnsim serve``: the Step Functions API over HTTP, on sfnsim's virtual clock.

    with sfnsim.serve(port=0) as endpoint:
        sfn = boto3.client("stepfunctions", endpoint_url=endpoint.url, region_name="us-east-1")

Any SDK works with only its endpoint changed: the server speaks AWS JSON 1.0 and answers with
AWS's field and exception names (see docs/serve/).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from sfnsim.engine.execution import DEFAULT_ACCOUNT, DEFAULT_REGION
from sfnsim.server.app import Endpoint, start_endpoint
from sfnsim.server.backend import Backend


@contextmanager
def serve(*, host: str = "127.0.0.1", port: int = 8083, handlers: Mapping[str, Any] | None = None,
          mock_config: str | os.PathLike[str] | None = None, region: str = DEFAULT_REGION,
          account: str = DEFAULT_ACCOUNT, time_scale: float | None = None,
          activity_poll_seconds: float = 60.0, log_requests: bool = False, aws: Any = None) -> Iterator[Endpoint]:
    """Run a Step Functions endpoint for the duration of the ``with`` block.

    ``port=0`` picks a free port (``endpoint.url`` says which). ``handlers`` answer Task states as in
    ``StateMachine.run``; ``mock_config`` is a MockConfigFile (default: ``$SFN_MOCK_CONFIG``) whose
    test case an execution picks with ``stateMachineArn#TestCaseName``. ``time_scale`` runs Waits at
    that many virtual seconds per wall second instead of at once (1.0: real time). ``aws`` sends
    the Tasks nothing else answers to an AWS API, as ``StateMachine.run(aws=...)`` (docs/aws.md).
    """
    endpoint = start(host=host, port=port, handlers=handlers, mock_config=mock_config, region=region,
                     account=account, time_scale=time_scale, activity_poll_seconds=activity_poll_seconds,
                     log_requests=log_requests, aws=aws)
    try:
        yield endpoint
    finally:
        endpoint.stop()


def start(*, host: str = "127.0.0.1", port: int = 8083, handlers: Mapping[str, Any] | None = None,
          mock_config: str | os.PathLike[str] | None = None, region: str = DEFAULT_REGION,
          account: str = DEFAULT_ACCOUNT, time_scale: float | None = None,
          activity_poll_seconds: float = 60.0, log_requests: bool = False, aws: Any = None) -> Endpoint:
    """Start an endpoint and return it; call ``endpoint.stop()`` when done (``serve`` does it for you)."""
    if time_scale is not None and not time_scale > 0:
        raise ValueError(f"time_scale must be a positive number of virtual seconds per wall second, got {time_scale!r}")
    backend = Backend(region=region, account=account, handlers=handlers, mock_config=mock_config,
                      time_scale=time_scale, activity_poll_seconds=activity_poll_seconds, aws=aws)
    try:
        return start_endpoint(backend, host, port, log_requests=log_requests)
    except BaseException:
        backend.close()
        raise


__all__ = ["serve", "start", "Endpoint"]
