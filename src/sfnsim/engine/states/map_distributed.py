"""Distributed Map (AWS's "Using Map state in Distributed mode"): each item, or each batch of items,
runs as a child execution whose events stay out of the parent history::

    MapStateEntered → MapStateStarted → MapRunStarted → MapRunSucceeded|MapRunFailed
                    → MapStateSucceeded|MapStateFailed → MapStateExited

Its items may come from S3 (``ItemReader``, see :mod:`sfnsim.engine.item_reader`), be grouped
(``ItemBatcher``), and its results may be written to S3 (``ResultWriter``). Failed children up to
``ToleratedFailureCount``/``ToleratedFailurePercentage`` do not fail the Map Run; past that it fails
with ``States.ExceedToleratedFailureThreshold``. A failed child appears in the output as its
execution record (``Error``, ``Cause``, ``Status: FAILED`` ...), as AWS returns it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Generator

from sfnsim.dataflow.jsontypes import compact_json
from sfnsim.dataflow.pipeline import MAX_PAYLOAD_BYTES
from sfnsim.engine.child_executions import run_child, start_child
from sfnsim.engine.item_reader import Dataset, ItemReader, s3_store
from sfnsim.engine.runtime import Run
from sfnsim.engine.scheduler import Gather
from sfnsim.engine.states.base import Outcome, Visit
from sfnsim.engine.states.fields import NumberField, template_field
from sfnsim.engine.states.map_common import MapState
from sfnsim.errors import StatesError, UnsupportedFeatureError, runtime_error

EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
THRESHOLD_EXCEEDED_CAUSE = "The specified tolerated failure threshold was exceeded"
_PUT_OBJECT = "arn:aws:states:::s3:putObject"
_TRANSFORMATIONS = ("NONE", "COMPACT", "FLATTEN")
_OUTPUT_TYPES = ("JSON", "JSONL")


class DistributedMapState(MapState):
    def __init__(self, name: str, spec: dict[str, Any], compiler: Any) -> None:
        super().__init__(name, spec, compiler)
        self.label: str = spec.get("Label") or name
        self.reader = ItemReader(spec["ItemReader"], name, jsonata=self.jsonata) if "ItemReader" in spec else None
        self.batcher = _ItemBatcher(spec["ItemBatcher"], jsonata=self.jsonata) if "ItemBatcher" in spec else None
        self.writer = _ResultWriter(spec["ResultWriter"], name, jsonata=self.jsonata) if "ResultWriter" in spec else None
        self.tolerance = _Tolerance(spec)

    def run_items(self, visit: Visit, effective: Any) -> Generator[Any, Any, Outcome]:
        items = None if self.reader is not None else self.items(visit, effective)
        limit = self.concurrency(visit)
        # With an ItemReader the items are only known once the Map Run reads them.
        visit.record("MapStateStarted", {"length": 0 if items is None else len(items)})
        tolerance = self.tolerance.limits(visit, effective)
        map_run = _MapRun.create(visit, self.label)
        started_id = visit.record("MapRunStarted", {"mapRunArn": map_run.arn})
        try:
            dataset = self.reader.read(visit, effective) if self.reader is not None else Dataset(items or [])
            inputs = self._child_inputs(visit, effective, dataset)
            factories = [(lambda child_input=child_input: self._child_execution(visit, map_run, child_input))
                         for child_input, _ in inputs]
            children: list[_Child] = yield Gather(factories, limit, fail_fast=False)
            result = self._map_run_result(visit, effective, map_run, children)
            failed = sum(size for child, (_, size) in zip(children, inputs) if child.failed)
            if tolerance.exceeded(failed, len(dataset.items)):
                raise StatesError(EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_EXCEEDED_CAUSE)
        except StatesError as error:
            visit.record("MapRunFailed", {k: v for k, v in (("error", error.error), ("cause", error.cause)) if v})
            raise
        succeeded_id = visit.record("MapRunSucceeded")
        visit.record("MapStateSucceeded")
        # As recorded: MapStateExited links to MapRunStarted, or to MapRunSucceeded when the Map
        # is the first state of the execution.
        visit.branch.prev = succeeded_id if _entered_first(visit) else started_id
        return self.io.output(visit, result, self.next)

    def _child_inputs(self, visit: Visit, effective: Any, dataset: Dataset) -> list[tuple[Any, int]]:
        """Each child execution's input and how many items it carries (ItemSelector, then ItemBatcher)."""
        selected = [self._select(visit, effective, dataset, index) for index in range(len(dataset.items))]
        if self.batcher is None:
            return [(item, 1) for item in selected]
        return self.batcher.batches(visit, effective, selected)

    def _select(self, visit: Visit, effective: Any, dataset: Dataset, index: int) -> Any:
        if not self.has_selector:
            return dataset.items[index]
        key = dataset.keys[index] if dataset.keys is not None else None
        return self.item_input(visit, effective, index, dataset.value(index), key)

    def _child_execution(self, visit: Visit, map_run: "_MapRun", child_input: Any) -> Generator[Any, Any, "_Child"]:
        # Its history stays out of the parent's, but the parent keeps it (Execution.children).
        processor = self.spec.get("ItemProcessor") or self.spec.get("Iterator") or {}
        child_run, record = start_child(visit.run, kind="map", parent_state=self.name, name=visit.run.new_uuid(),
                                        machine_name=map_run.machine, machine_arn=map_run.state_machine_arn,
                                        definition=processor, child_input=child_input,
                                        express=processor.get("ProcessorConfig", {}).get("ExecutionType") == "EXPRESS")
        child = _Child(record.execution_arn, record.name, child_input, child_run.info.start_time)
        yield from run_child(child_run, record, self.flow, child_input)
        error = StatesError(record.error, record.cause) if record.status != "SUCCEEDED" else None
        return child.stopped(visit.run, output=record.output, error=error)

    def _map_run_result(self, visit: Visit, effective: Any, map_run: "_MapRun", children: list["_Child"]) -> Any:
        if self.writer is None:
            return [child.record(map_run) if child.failed else child.output for child in children]
        return self.writer.finish(visit, effective, map_run, children)


def _entered_first(visit: Visit) -> bool:
    events = visit.branch.recorder.events
    return len(events) >= visit.entered_id and events[visit.entered_id - 1]["previousEventId"] == 0


class _Cursor:
    """Where the next iteration's first event links to (AWS links it to the previous iteration's last state event)."""

    __slots__ = ("position", "last_iteration_event")

    def __init__(self, position: int) -> None:
        self.position = position
        self.last_iteration_event = 0


# -- the Map Run and its child executions ------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _MapRun:
    arn: str
    uuid: str
    prefix: str  # arn:aws:states:<region>:<account>
    machine: str  # the child executions' state machine name: <parent machine>/<Label>

    @classmethod
    def create(cls, visit: Visit, label: str) -> "_MapRun":
        run = visit.run
        parts = run.info.execution_arn.split(":")
        prefix = ":".join(parts[:5])
        machine = f"{run.info.state_machine_name}/{label}"
        uuid = run.new_uuid()
        return cls(f"{prefix}:mapRun:{machine}:{uuid}", uuid, prefix, machine)

    @property
    def state_machine_arn(self) -> str:
        return f"{self.prefix}:stateMachine:{self.machine}"


@dataclasses.dataclass
class _Child:
    arn: str
    name: str
    input: Any
    start: str
    stop: str = ""
    output: Any = None
    error: StatesError | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def stopped(self, run: Run, *, output: Any = None, error: StatesError | None = None) -> "_Child":
        self.stop, self.output, self.error = run.now_iso(), output, error
        return self

    def record(self, map_run: _MapRun) -> dict[str, Any]:
        """The child execution as AWS reports it (the ``NONE`` transformation), keys in AWS's order."""
        record: dict[str, Any] = {}
        if self.error is not None:
            if self.error.cause is not None:
                record["Cause"] = self.error.cause
            if self.error.error is not None:
                record["Error"] = self.error.error
        record.update({"ExecutionArn": self.arn, "Input": compact_json(self.input), "InputDetails": {"Included": True},
                       "Name": self.name})
        if self.error is None:
            record.update({"Output": compact_json(self.output), "OutputDetails": {"Included": True}})
        record["RedriveCount"] = 0
        if self.error is None:
            record.update({"RedriveStatus": "NOT_REDRIVABLE",
                           "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven"})
        else:
            record["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
        record.update({"StartDate": self.start, "StateMachineArn": map_run.state_machine_arn,
                       "Status": "FAILED" if self.failed else "SUCCEEDED", "StopDate": self.stop})
        return record


# -- ToleratedFailureCount / ToleratedFailurePercentage ----------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Limits:
    count: int | None
    percentage: float | None

    def exceeded(self, failed: int, total: int) -> bool:
        if self.count is None and self.percentage is None:
            return failed > 0  # by default no failure is tolerated
        if self.count is not None and failed > self.count:
            return True
        return self.percentage is not None and total > 0 and failed * 100 / total > self.percentage


class _Tolerance:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.count = NumberField(spec, "ToleratedFailureCount",
                                 on_negative=lambda: runtime_error("ToleratedFailureCount cannot be negative."))
        self.percentage = NumberField(spec, "ToleratedFailurePercentage", integer=False)

    def limits(self, visit: Visit, data: Any) -> _Limits:
        count = self.count.value(visit, data) if self.count.present else None
        percentage = self.percentage.value(visit, data) if self.percentage.present else None
        if percentage is not None and not 0 <= percentage <= 100:
            raise runtime_error("ToleratedFailurePercentage must be between 0 and 100.")
        return _Limits(None if count is None else int(count), percentage)


# -- ItemBatcher -------------------------------------------------------------------------------------
class _ItemBatcher:
    """Groups the (selected) items: each child gets ``{"BatchInput": ..., "Items": [...]}``."""

    def __init__(self, spec: dict[str, Any], *, jsonata: bool) -> None:
        self.max_items = NumberField(spec, "MaxItemsPerBatch")
        self.max_bytes = NumberField(spec, "MaxInputBytesPerBatch")
        self.batch_input = (template_field(spec["BatchInput"], "ItemBatcher/BatchInput", jsonata=jsonata)
                            if "BatchInput" in spec else None)

    def batches(self, visit: Visit, data: Any, items: list[Any]) -> list[tuple[Any, int]]:
        max_items = self.max_items.value(visit, data) if self.max_items.present else None
        max_bytes = self.max_bytes.value(visit, data) if self.max_bytes.present else None
        item_limit = int(max_items) if max_items else None
        byte_limit = int(max_bytes or MAX_PAYLOAD_BYTES)
        head = {"BatchInput": self.batch_input.evaluate(visit, data)} if self.batch_input is not None else {}
        empty_size = _size({**head, "Items": []})
        batches: list[list[Any]] = []
        current: list[Any] = []
        size = empty_size
        for item in items:
            grown = size + _size(item) + (1 if current else 0)  # the item and its separating comma
            full = item_limit is not None and len(current) >= item_limit
            if current and (full or grown > byte_limit):
                batches.append(current)
                current, grown = [], empty_size + _size(item)
            current.append(item)
            size = grown
        if current:
            batches.append(current)
        return [({**head, "Items": batch}, len(batch)) for batch in batches]


def _size(value: Any) -> int:
    return len(compact_json(value).encode("utf-8"))


# -- ResultWriter ------------------------------------------------------------------------------------
class _ResultWriter:
    """``WriterConfig`` shapes the results; with ``Resource`` (s3:putObject) they go to S3 as AWS lays
    them out (``<Prefix>/<map run id>/manifest.json``, ``SUCCEEDED_0.json``, ``FAILED_0.json``) and the
    Map's result becomes ``{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}``."""

    def __init__(self, spec: dict[str, Any], state_name: str, *, jsonata: bool) -> None:
        where = f"Map state {state_name!r} ResultWriter"
        resource = spec.get("Resource")
        if resource is not None and resource != _PUT_OBJECT:
            raise UnsupportedFeatureError(f"{where}: Resource {resource!r} is not supported (use {_PUT_OBJECT})")
        self.exports = resource is not None
        config = spec.get("WriterConfig", {})
        # NONE is the default when exporting to S3; COMPACT when only WriterConfig is given.
        self.transformation: str = config.get("Transformation", "NONE" if self.exports else "COMPACT")
        self.output_type: str = config.get("OutputType", "JSON")
        if self.transformation not in _TRANSFORMATIONS or self.output_type not in _OUTPUT_TYPES:
            raise UnsupportedFeatureError(
                f"{where}: WriterConfig Transformation must be one of {list(_TRANSFORMATIONS)} and OutputType one of "
                f"{list(_OUTPUT_TYPES)}"
            )
        self.arguments = template_field(spec.get("Arguments" if jsonata else "Parameters", {}),
                                        "ResultWriter/Arguments", jsonata=jsonata)

    def finish(self, visit: Visit, data: Any, map_run: _MapRun, children: list[_Child]) -> Any:
        succeeded = self._transform(map_run, [c for c in children if not c.failed])
        if not self.exports:
            return self._transform(map_run, children)
        arguments = self._arguments(visit, data)
        bucket, prefix = arguments.get("Bucket"), arguments.get("Prefix") or ""
        base = f"{prefix}/" if prefix and not prefix.endswith("/") else prefix
        base += f"{map_run.uuid}/"
        store = s3_store(visit.run)
        files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
        failed = [c.record(map_run) for c in children if c.failed]
        for status, records in (("SUCCEEDED", succeeded), ("FAILED", failed)):
            if records:
                key = f"{base}{status}_0.json"
                body = self._serialise(records)
                store.put(bucket, key, body)
                files[status].append({"Key": key, "Size": len(body.encode("utf-8"))})
        manifest_key = f"{base}manifest.json"
        manifest = {"DestinationBucket": bucket, "MapRunArn": map_run.arn, "ResultFiles": files}
        store.put(bucket, manifest_key, json.dumps(manifest, indent=2))
        return {"MapRunArn": map_run.arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}}

    def _transform(self, map_run: _MapRun, children: list[_Child]) -> list[Any]:
        results: list[Any] = []
        for child in children:
            # A failed child is always reported unchanged (as NONE would).
            if child.failed or self.transformation == "NONE":
                results.append(child.record(map_run))
            elif self.transformation == "FLATTEN" and isinstance(child.output, list):
                results.extend(child.output)
            else:
                results.append(child.output)
        return results

    def _serialise(self, records: list[Any]) -> str:
        if self.output_type == "JSONL":
            return "".join(compact_json(record) + "\n" for record in records)
        return compact_json(records)

    def _arguments(self, visit: Visit, data: Any) -> dict[str, Any]:
        arguments = self.arguments.evaluate(visit, data)
        if not isinstance(arguments, dict) or not isinstance(arguments.get("Bucket"), str):
            raise StatesError("States.ResultWriterFailed",
                              f"The ResultWriter needs a Bucket name, but its arguments were: {compact_json(arguments)}",
                              runtime=True)
        return arguments
