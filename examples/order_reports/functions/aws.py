"""One boto3 client per service, reused between invocations as a warm Lambda reuses it.

``AWS_ENDPOINT_URL`` (read by boto3 itself) points the functions at LocalStack or a moto server.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import boto3


def client(service: str) -> Any:
    return _client(service, os.environ.get("AWS_REGION", "us-east-1"), os.environ.get("AWS_ENDPOINT_URL"))


@lru_cache(maxsize=None)
def _client(service: str, region: str, endpoint: str | None) -> Any:
    return boto3.client(service, region_name=region)
