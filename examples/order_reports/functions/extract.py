"""Extract: checks the day's orders and hands them on as one S3 object (not through the state)."""

from __future__ import annotations

import json
from typing import Any

from functions.aws import client

REQUIRED = ("id", "region", "amount")


def handler(event: dict[str, Any], context: Any = None) -> dict[str, str]:
    for order in event["orders"]:
        missing = [field for field in REQUIRED if field not in order]
        if missing:
            raise ValueError(f"order {order.get('id', '?')} has no {', '.join(missing)}")
    key = f"raw/{event['run_id']}/orders.json"
    client("s3").put_object(Bucket=event["bucket"], Key=key, Body=json.dumps(event["orders"]).encode())
    return {"bucket": event["bucket"], "key": key, "run_id": event["run_id"]}
