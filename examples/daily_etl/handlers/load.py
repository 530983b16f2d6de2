"""Load: copy one partition into the warehouse's daily orders table."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    partition = event["partition"]
    return {
        "table": "orders_" + event["run_date"].replace("-", ""),
        "region": partition["region"],
        "rows_loaded": partition["rows"],
        "loaded_at": datetime.now(timezone.utc).isoformat(),
    }
