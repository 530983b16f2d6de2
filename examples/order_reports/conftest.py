"""Fixtures for the order-reports tests.

pytest puts this file's directory on ``sys.path``, so the tests import ``functions`` as the
deployed Lambda functions are imported, and ``aws_resources`` for the resources they need.
"""

from __future__ import annotations

from typing import Any

import pytest

from aws_resources import Resources, create_resources


@pytest.fixture
def aws(sfn: Any) -> Resources:
    """moto for this test: the workflow's service calls, the functions' boto3 calls and the test's see one AWS."""
    return create_resources(sfn.use_aws("moto"))


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto's server mode on a free port of 127.0.0.1, for this test only: its URL."""
    from urllib.request import Request, urlopen

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # The functions' own boto3 clients: to the server, with dummy credentials.
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    try:
        yield url
    finally:
        urlopen(Request(f"{url}/moto-api/reset", method="POST"), timeout=5).close()
        server.stop()
