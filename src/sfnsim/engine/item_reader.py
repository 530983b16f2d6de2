"""ItemReader: where a Distributed Map reads its dataset, served from the execution's S3 objects.

AWS's "ItemReader (Map)" page, as sfnsim models it (``run.s3_objects`` is ``{(bucket, key): body}``):

* ``arn:aws:states:::s3:getObject`` reads one object, parsed by ``ReaderConfig.InputType``:
  ``JSON`` (an array; ``ItemsPointer`` selects a nested node, and an object found there gives
  ``{"Key", "Value"}`` items; a file that is itself an object fails, as AWS recorded), ``JSONL`` (one value per line), ``CSV`` (``CSVHeaderLocation`` ``FIRST_ROW`` or
  ``GIVEN`` with ``CSVHeaders``; ``CSVDelimiter``; every value is a string, missing ones are ``""``)
  and ``MANIFEST`` (an S3 Inventory ``manifest.json`` and its CSV data files).
* ``arn:aws:states:::s3:listObjectsV2`` lists a bucket (``Prefix`` optional); each item is the
  object's metadata as Step Functions passes it on (``Etag``, ``Key``, ``LastModified``, ``Size``,
  ``StorageClass``), or with ``Transformation: LOAD_AND_FLATTEN`` the items of every object.
* ``MaxItems``/``MaxItemsPath`` caps the dataset (0 means no cap).
* The bucket/key come from ``Parameters`` (JSONPath, ``.$`` paths allowed) or ``Arguments``
  (JSONata), evaluated against the Map state's input.

A missing bucket or key, a body that does not parse, duplicate CSV headers or a negative
``MaxItemsPath`` fail the Map Run with ``States.ItemReaderFailed`` (causes as AWS records them,
without the state prefix).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from sfnsim.dataflow.jsontypes import compact_json, loads_json
from sfnsim.engine.states.fields import NumberField, template_field
from sfnsim.errors import StatesError, UnsupportedFeatureError

if TYPE_CHECKING:
    from sfnsim.engine.states.base import Visit

ITEM_READER_FAILED = "States.ItemReaderFailed"
MAX_ITEMS_LIMIT = 100_000_000
_S3_PREFIX = "arn:aws:states:::s3:"
_CSV_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}


def reader_failed(cause: str) -> StatesError:
    # AWS's recorded ItemReaderFailed causes carry no "An error occurred while executing the
    # state" prefix (e.g. "CSV headers cannot contain duplicates.").
    return StatesError(ITEM_READER_FAILED, cause)


# -- the dataset ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dataset:
    """The items read; ``keys`` is set for a JSON object dataset (``$$.Map.Item.Key``)."""

    items: list[Any]
    keys: list[str] | None = None

    def limited(self, max_items: int | None) -> "Dataset":
        if not max_items:
            return self
        keys = None if self.keys is None else self.keys[:max_items]
        return Dataset(self.items[:max_items], keys)

    def value(self, index: int) -> Any:
        """``$$.Map.Item.Value``: for an object dataset the member's value, not the Key/Value pair."""
        item = self.items[index]
        return item["Value"] if self.keys is not None else item


class S3Store:
    """S3 as the execution sees it: the ``s3_objects`` given to the run."""

    def __init__(self, objects: dict[tuple[str, str], str]) -> None:
        self.objects = objects

    def put(self, bucket: str, key: str, body: str) -> None:
        self.objects[(bucket, key)] = body

    def bucket_exists(self, bucket: str) -> bool:
        return any(name == bucket for name, _ in self.objects)

    def get(self, bucket: Any, key: Any) -> str:
        # A bucket or key that is not text (an object, a list) names no object: nothing to look up.
        body = self.objects.get((bucket, key)) if isinstance(bucket, str) and isinstance(key, str) else None
        if body is not None:
            return body
        if not self.bucket_exists(bucket):
            raise reader_failed(_no_such_bucket(bucket))
        raise reader_failed(f"The specified key does not exist. (Service: S3, Status Code: 404, Key: {key})")

    def list(self, bucket: Any, prefix: str) -> list[tuple[str, str]]:
        if not self.bucket_exists(bucket):
            raise reader_failed(_no_such_bucket(bucket))
        # S3 lists keys in ascending UTF-8 byte order.
        found = [(key, body) for (name, key), body in self.objects.items() if name == bucket and key.startswith(prefix)]
        return sorted(found, key=lambda pair: pair[0].encode("utf-8"))


def s3_store(run: Any) -> Any:
    """The S3 a Map reads and writes: the AWS backend's when ``aws=`` covers S3, else ``s3_objects``."""
    backend = run.tasks.aws
    store = backend.s3_store() if backend is not None else None
    return store if store is not None else S3Store(run.s3_objects)


def _no_such_bucket(bucket: Any) -> str:
    return f"The specified bucket does not exist. (Service: S3, Status Code: 404, Bucket: {bucket})"


# -- parsing one object -----------------------------------------------------------------------------
class ReaderConfig:
    def __init__(self, config: dict[str, Any], where: str) -> None:
        self.input_type: str = config.get("InputType", "JSON")
        self.items_pointer: str | None = config.get("ItemsPointer")
        # A field given as null reads as absent (the validator lets null through for optional fields).
        self.header_location: str = config.get("CSVHeaderLocation") or "FIRST_ROW"
        self.headers: list[str] = list(config.get("CSVHeaders") or ())
        delimiter = config.get("CSVDelimiter") or "COMMA"
        if delimiter not in _CSV_DELIMITERS:
            raise UnsupportedFeatureError(f"{where}: CSVDelimiter {delimiter!r} is not one of {sorted(_CSV_DELIMITERS)}")
        self.delimiter = _CSV_DELIMITERS[delimiter]
        self.transformation: str = config.get("Transformation", "NONE")
        if self.input_type not in _PARSERS:
            raise UnsupportedFeatureError(
                f"{where}: ReaderConfig InputType {self.input_type!r} is not supported (use one of {sorted(_PARSERS)})"
            )

    def parse(self, body: str, store: S3Store) -> Dataset:
        return _PARSERS[self.input_type](self, body, store)


def _parse_json(config: ReaderConfig, body: str, store: S3Store) -> Dataset:
    try:
        document = loads_json(body)
    except ValueError as problem:
        raise reader_failed(f"The ItemReader could not parse the JSON data: {problem}") from None
    if config.items_pointer:
        document = _follow_pointer(document, config.items_pointer)
    if isinstance(document, list):
        return Dataset(document)
    if isinstance(document, dict) and config.items_pointer:
        return Dataset([{"Key": key, "Value": value} for key, value in document.items()], list(document))
    # AWS's recording (a file holding {"Hello": "world"}, no ItemsPointer) fails this way.
    raise reader_failed("Attempting to map over non-iterable node.")


def _follow_pointer(document: Any, pointer: str) -> Any:
    """RFC 6901 JSON Pointer, as ``ReaderConfig.ItemsPointer`` uses it."""
    node = document
    for raw in pointer.split("/")[1:] if pointer.startswith("/") else pointer.split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise reader_failed("The provided ReaderConfig.ItemsPointer does not match any valid path in the JSON structure.")
    return node


def _parse_jsonl(config: ReaderConfig, body: str, store: S3Store) -> Dataset:
    items = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(loads_json(line))
        except ValueError as problem:
            raise reader_failed(f"The ItemReader could not parse line {number} as JSON: {problem}") from None
    return Dataset(items)


def _parse_csv(config: ReaderConfig, body: str, store: S3Store) -> Dataset:
    rows = [row for row in csv.reader(io.StringIO(body), delimiter=config.delimiter) if row]
    if config.header_location == "GIVEN":
        headers = config.headers
    else:
        headers, rows = (rows[0], rows[1:]) if rows else ([], [])
    if len(set(headers)) != len(headers):
        raise reader_failed("CSV headers cannot contain duplicates.")
    # Every value is a string; a short row pads with "", a long row drops its extra fields.
    return Dataset([{h: (row[i] if i < len(row) else "") for i, h in enumerate(headers)} for row in rows])


def _parse_manifest(config: ReaderConfig, body: str, store: S3Store) -> Dataset:
    """An S3 Inventory manifest: its CSV data files, one item per row, named by ``fileSchema``."""
    try:
        manifest = loads_json(body)
        bucket = manifest["destinationBucket"].rsplit(":", 1)[-1]
        columns = [name.strip() for name in manifest["fileSchema"].split(",")]
        keys = [entry["key"] for entry in manifest["files"]]
    except (ValueError, KeyError, TypeError, AttributeError) as problem:
        raise reader_failed(f"The ItemReader could not read the S3 Inventory manifest: {problem!r}") from None
    items = []
    for key in keys:
        for row in csv.reader(io.StringIO(store.get(bucket, key))):
            if row:
                items.append(dict(zip(columns, row)))
    return Dataset(items)


_PARSERS: dict[str, Callable[[ReaderConfig, str, S3Store], Dataset]] = {
    "JSON": _parse_json,
    "JSONL": _parse_jsonl,
    "CSV": _parse_csv,
    "MANIFEST": _parse_manifest,
}


# -- the S3 actions ---------------------------------------------------------------------------------
def _get_object(config: ReaderConfig, arguments: dict[str, Any], store: Any, started: float) -> Dataset:
    return config.parse(store.get(arguments.get("Bucket"), arguments.get("Key")), store)


def _list_objects(config: ReaderConfig, arguments: dict[str, Any], store: Any, started: float) -> Dataset:
    bucket = arguments.get("Bucket")
    listed = store.list(bucket, arguments.get("Prefix") or "")
    if config.transformation == "LOAD_AND_FLATTEN":
        items: list[Any] = []
        for _, body in listed:
            items.extend(config.parse(body, store).items)
        return Dataset(items)
    return Dataset([_object_metadata(key, body, started) for key, body in listed])


def _object_metadata(key: str, body: str, modified: float) -> dict[str, Any]:
    data = body.encode("utf-8")
    # As Step Functions hands a listed object to a child: the ETag keeps its quotes and
    # LastModified is epoch seconds.
    return {
        "Etag": f"\"{hashlib.md5(data).hexdigest()}\"",
        "Key": key,
        "LastModified": modified,
        "Size": len(data),
        "StorageClass": "STANDARD",
    }


_ACTIONS = {"getObject": _get_object, "listObjectsV2": _list_objects}


class ItemReader:
    """A compiled ``ItemReader`` field."""

    def __init__(self, spec: dict[str, Any], state_name: str, *, jsonata: bool) -> None:
        where = f"Map state {state_name!r} ItemReader"
        resource = spec.get("Resource", "")
        action = resource[len(_S3_PREFIX):] if resource.startswith(_S3_PREFIX) else None
        if action not in _ACTIONS:
            raise UnsupportedFeatureError(
                f"{where}: Resource {resource!r} is not supported (use arn:aws:states:::s3:getObject "
                f"or arn:aws:states:::s3:listObjectsV2)"
            )
        self.action = _ACTIONS[action]
        config = spec.get("ReaderConfig", {})
        self.config = ReaderConfig(config, where)
        self.max_items = NumberField(config, "MaxItems",
                                     on_negative=lambda: reader_failed("field MaxItems must be positive"))
        self.arguments = template_field(spec.get("Arguments" if jsonata else "Parameters", {}),
                                        "ItemReader/Arguments", jsonata=jsonata)

    def read(self, visit: "Visit", data: Any) -> Dataset:
        arguments = self.arguments.evaluate(visit, data)
        if not isinstance(arguments, dict):
            raise reader_failed(f"The ItemReader arguments must be an object, but were: {compact_json(arguments)}")
        store = s3_store(visit.run)
        dataset = self.action(self.config, arguments, store, visit.run.clock.now().timestamp())
        max_items = self.max_items.value(visit, data) if self.max_items.present else None
        return dataset.limited(int(max_items) if max_items is not None and max_items <= MAX_ITEMS_LIMIT else None)
