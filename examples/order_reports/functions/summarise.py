"""Summarise: one Distributed Map child per region object: how many orders, and their total."""

from __future__ import annotations

import json
from typing import Any

from functions.aws import client


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    body = client("s3").get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read()
    orders = json.loads(body)
    region = event["key"].rsplit("/", 1)[-1].removesuffix(".json")
    return {"region": region, "orders": len(orders), "total": round(sum(o["amount"] for o in orders), 2)}
