"""Extract: read the manifest the upstream export publishes for ``run_date`` and list its partitions."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


class UpstreamIncomplete(Exception):
    """The upstream export did not finish: retrying will not help, someone has to look."""


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    manifest = event["manifest"]
    if manifest["status"] != "COMPLETE":
        raise UpstreamIncomplete(f"upstream export for {event['run_date']} is {manifest['status']}")
    partitions = [{"region": f["region"], "path": f["path"], "rows": f["rows"]} for f in manifest["files"]]
    return {
        "schema_version": manifest["schema_version"],
        "row_count": sum(p["rows"] for p in partitions),
        "partitions": partitions,
        "extracted_at": datetime.now(timezone.utc).isoformat(),
    }
