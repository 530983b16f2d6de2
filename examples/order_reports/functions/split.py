"""Split: reads Extract's object and writes one object per region for the Distributed Map."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from functions.aws import client


def handler(event: dict[str, Any], context: Any = None) -> dict[str, str]:
    s3 = client("s3")
    orders = json.loads(s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read())
    by_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in orders:
        by_region[order["region"]].append(order)
    prefix = f"parts/{event['run_id']}/"
    for region, region_orders in sorted(by_region.items()):
        s3.put_object(Bucket=event["bucket"], Key=f"{prefix}{region}.json", Body=json.dumps(region_orders).encode())
    return {"bucket": event["bucket"], "prefix": prefix}
