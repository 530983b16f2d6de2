"""AWS JSON 1.0, the wire protocol of the Step Functions API.

A request is ``POST /`` with ``X-Amz-Target: AWSStepFunctions.<Operation>`` and a JSON object body;
a response is a JSON object. Timestamps travel as epoch seconds (a JSON number), which is what
every SDK's JSON 1.0 parser expects. An error is HTTP 400 with ``{"__type": "<ExceptionName>",
"message": "..."}``: SDKs read ``__type`` to raise their typed exception (boto3's
``client.exceptions.ExecutionDoesNotExist``, the JS SDK's ``ExecutionDoesNotExist`` class).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

TARGET_PREFIX = "AWSStepFunctions."
CONTENT_TYPE = "application/x-amz-json-1.0"


class ServiceError(Exception):
    """An error the API returns, named as AWS names the exception."""

    def __init__(self, code: str, message: str, *, status: int = 400, **fields: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message, **self.fields}


def validation_error(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def missing_parameter(name: str) -> ServiceError:
    # AWS answers a missing required member with a ValidationException shaped like this.
    return ServiceError(
        "ValidationException",
        f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: "
        f"Member must not be null",
        reason="MISSING_REQUIRED_PARAMETER",
    )


def epoch(moment: datetime) -> float:
    """A timestamp as JSON 1.0 carries it: seconds since the epoch, millisecond precision."""
    return round(moment.timestamp(), 3)


def parse_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ServiceError("SerializationException", f"the request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ServiceError("SerializationException", "the request body must be a JSON object")
    return body


class Params:
    """Typed access to a request's members, answering bad ones with AWS's ValidationException."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def text(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self.body.get(name)
        if value is None:
            if required:
                raise missing_parameter(name)
            return default
        if not isinstance(value, str):
            raise validation_error(f"'{name}' must be a string, got {type(value).__name__}")
        return value

    def required(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def integer(self, name: str, *, default: int, low: int = 0, high: int = 1000) -> int:
        value = self.body.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise validation_error(
                f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: "
                f"Member must have value between {low} and {high} inclusive"
            )
        return value

    def flag(self, name: str, *, default: bool = False) -> bool:
        value = self.body.get(name, default)
        if not isinstance(value, bool):
            raise validation_error(f"'{name}' must be a boolean, got {type(value).__name__}")
        return value

    def json_text(self, name: str, *, what: str, error: str, default: Any = None) -> Any:
        """A member that holds JSON as text (``input``, ``output``): parsed, or ``error`` raised."""
        text = self.text(name)
        if text is None:
            return default
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ServiceError(error, f"Invalid {what}: {exc}") from None

    def tags(self, name: str = "tags") -> dict[str, str]:
        raw = self.body.get(name) or []
        if not isinstance(raw, list) or not all(isinstance(t, dict) and isinstance(t.get("key"), str) for t in raw):
            raise validation_error(f"'{name}' must be a list of {{\"key\": ..., \"value\": ...}} objects")
        return {t["key"]: str(t.get("value", "")) for t in raw}


__all__ = ["ServiceError", "Params", "parse_body", "epoch", "validation_error", "missing_parameter",
           "TARGET_PREFIX", "CONTENT_TYPE"]
