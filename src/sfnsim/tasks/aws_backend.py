"""Where Task integrations go when no handler or mock answers them: a real AWS API through boto3.

``run(..., aws=...)`` takes one of

* ``"moto"``: moto's in-process AWS (``mock_aws``). sfnsim starts it while the execution runs, or
  joins the one the test already started (moto counts nested starts), so the test's own boto3
  calls and the workflow see the same buckets, tables, queues and topics;
* ``"endpoint=URL"`` (or just the URL): an AWS-compatible endpoint such as LocalStack or a
  ``moto_server``, with dummy credentials;
* ``"profile=NAME"`` or a ``boto3.Session``: a real account. Only ever used when asked for.
* a mapping per service, ``{"s3": "moto", "dynamodb": session, "*": "endpoint=http://..."}``:
  keys are service names as in the Task's Resource (``s3``, ``dynamodb``, ``sfn``, ``events``);
  ``*`` covers every other service.

Lambda is the exception: a Lambda ``invoke`` goes to Python handlers unless the mapping names
``lambda`` itself (e.g. ``{"lambda": "endpoint=http://localhost:4566"}``).

The calls themselves (parameters in, response and errors out, as Step Functions shapes them) are in
``sfnsim.tasks.aws_calls``.
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from sfnsim.errors import HandlerError, StatesError
from sfnsim.tasks.aws_sdk_names import botocore_service
from sfnsim.tasks.virtual_time import real_clock

if TYPE_CHECKING:
    from sfnsim.tasks.resources import Resource

_INSTALL_HINT = "install sfnsim's aws extra: pip install '.[aws]' in your sfnsim clone (boto3 and moto)"
_DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_ANY_SERVICE = "*"
_LAMBDA = "lambda"


@dataclass(frozen=True)
class Target:
    """One place requests go: moto in-process, an endpoint URL, or a boto3 Session."""

    kind: str  # "moto", "endpoint" or "session"
    endpoint: str | None = None
    session: Any = None

    def describe(self) -> str:
        if self.kind == "endpoint":
            return f"endpoint {self.endpoint}"
        if self.kind == "session":
            profile = getattr(self.session, "profile_name", None)
            return f"boto3 session (profile {profile!r})" if profile else "boto3 session"
        return "moto (in-process)"


def parse_target(spec: Any, where: str) -> Target:
    """A ``Target`` from ``"moto"``, ``"endpoint=URL"``, a URL, ``"profile=NAME"`` or a boto3 Session."""
    if isinstance(spec, str):
        text = spec.strip()
        if text == "moto":
            _require("moto", "aws='moto'")
            return Target("moto")
        if text.startswith("endpoint="):
            text = text[len("endpoint="):]
            if not text.startswith(("http://", "https://")):
                raise HandlerError(f"{where}: endpoint={text!r} is not an http(s) URL, e.g. endpoint=http://localhost:4566")
        if text.startswith(("http://", "https://")):
            _require("boto3", f"{where}={text!r}")
            return Target("endpoint", endpoint=text)
        if text.startswith("profile="):
            boto3 = _require("boto3", f"{where}={text!r}")
            name = text[len("profile="):]
            try:
                return Target("session", session=boto3.session.Session(profile_name=name))
            except Exception as exc:  # botocore's ProfileNotFound and friends
                raise HandlerError(f"{where}: cannot use AWS profile {name!r}: {exc}") from None
        raise HandlerError(
            f"{where}: {spec!r} is not an AWS backend; use 'moto', 'endpoint=URL', 'profile=NAME' or a boto3.Session"
        )
    if type(spec).__name__ == "Session" and hasattr(spec, "client"):
        return Target("session", session=spec)
    raise HandlerError(
        f"{where}: expected 'moto', 'endpoint=URL', 'profile=NAME' or a boto3.Session, got {type(spec).__name__}"
    )


def _require(module: str, what: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise HandlerError(f"{what} needs the {module!r} package: {_INSTALL_HINT}") from None


@dataclass(eq=False)
class AwsBackend:
    """The targets of one execution, per service, and the moto mock it keeps running while it runs."""

    targets: dict[str, Target]
    region: str = "us-east-1"
    _seed: dict[tuple[str, str], str | bytes] = field(default_factory=dict)
    _activations: int = 0

    @classmethod
    def from_option(cls, aws: Any, region: str = "us-east-1") -> "AwsBackend | None":
        """The backend for ``run(aws=...)``; None when ``aws`` is None or an empty mapping."""
        if aws is None:
            return None
        if isinstance(aws, Mapping):
            targets = {}
            for key, spec in aws.items():
                if not isinstance(key, str):
                    raise HandlerError(f"aws: keys are service names such as 's3' or '*', got {key!r}")
                targets[_service_key(key)] = parse_target(spec, f"aws[{key!r}]")
            return cls(targets, region) if targets else None
        return cls({_ANY_SERVICE: parse_target(aws, "aws")}, region)

    # -- which target serves a service ------------------------------------------------------------
    def target_for(self, service: str) -> Target | None:
        """The target for a botocore service name; Lambda only when named explicitly."""
        target = self.targets.get(service)
        if target is None and service != _LAMBDA:
            target = self.targets.get(_ANY_SERVICE)
        return target

    def covers(self, service: str) -> bool:
        return self.target_for(service) is not None

    def describe(self, service: str) -> str:
        target = self.target_for(service)
        return target.describe() if target else "no AWS backend"

    # -- clients ----------------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` (botocore's name) at its target; cached across runs."""
        target = self.target_for(service)
        if target is None:
            raise HandlerError(f"aws: no backend is configured for {service!r} (configured: {sorted(self.targets)})")
        return _client(target, service, self.region)

    def handler_for(self, state_name: str, resource: "Resource", parameters: Any) -> Any:
        """A handler that calls the service for this Task, or None when the Task is not for AWS here."""
        from sfnsim.tasks.aws_calls import service_call

        return service_call(self, state_name, resource, parameters)

    # -- running ----------------------------------------------------------------------------------
    def seed_s3(self, objects: Mapping[tuple[str, str], str | bytes]) -> None:
        """Objects to put in S3 before the execution starts (``run(s3_objects=...)``): moto only."""
        if not objects:
            return
        target = self.target_for("s3")
        if target is None:
            return
        if target.kind != "moto":
            raise HandlerError(
                f"s3_objects= fills moto's S3 only; S3 here is {target.describe()}: put the objects there with "
                f"boto3 (s3.put_object) before the run, or leave s3_objects out"
            )
        self._seed.update(objects)

    @contextmanager
    def active(self) -> Iterator[None]:
        """While the engine runs: moto's mock is on (joining the test's own, if any)."""
        if not any(target.kind == "moto" for target in self.targets.values()):
            yield
            return
        from moto import mock_aws

        first = self._activations == 0
        self._activations += 1
        mock = mock_aws()
        # The first start of an execution's own mock starts from an empty AWS; later ones (the run
        # resumed after a callback) keep what it made. A start nested in the test's mock resets nothing.
        mock.start(reset=first)
        try:
            if first and self._seed:
                self._put_seed()
            yield
        finally:
            mock.stop(remove_data=False)

    def _put_seed(self) -> None:
        s3 = self.client("s3")
        buckets = {bucket for bucket, _ in self._seed}
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        for bucket in sorted(buckets - existing):
            s3.create_bucket(**_bucket_location(bucket, self.region))
        for (bucket, key), body in self._seed.items():
            s3.put_object(Bucket=bucket, Key=key, Body=body if isinstance(body, (bytes, bytearray)) else body.encode())

    def s3_store(self) -> "BackendS3Store | None":
        """S3 for ItemReader/ResultWriter when S3 goes to this backend."""
        return BackendS3Store(self.client("s3")) if self.covers("s3") else None


def _service_key(key: str) -> str:
    if key == _ANY_SERVICE:
        return key
    return botocore_service(key, _available_services()) or key.lower()


def _bucket_location(bucket: str, region: str) -> dict[str, Any]:
    if region == "us-east-1":
        return {"Bucket": bucket}
    return {"Bucket": bucket, "CreateBucketConfiguration": {"LocationConstraint": region}}


# -- clients, cached: creating one loads the service model (tens of milliseconds) ------------------
_SHARED_CLIENTS: dict[tuple[str, str | None, str, str], Any] = {}
_SESSION_CLIENTS: "weakref.WeakKeyDictionary[Any, dict[tuple[str, str], Any]]" = weakref.WeakKeyDictionary()


def _client(target: Target, service: str, region: str) -> Any:
    if target.kind == "session":
        per_session = _SESSION_CLIENTS.setdefault(target.session, {})
        key = (service, region)
        if key not in per_session:
            per_session[key] = target.session.client(service, region_name=target.session.region_name or region,
                                                     config=_config(target))
        return per_session[key]
    shared_key = (target.kind, target.endpoint, service, region)
    client = _SHARED_CLIENTS.get(shared_key)
    if client is None:
        import boto3

        # Dummy credentials: moto and local endpoints accept any, and a real account is never reached by accident.
        session = boto3.session.Session(region_name=region, **_DUMMY_CREDENTIALS)
        client = session.client(service, endpoint_url=target.endpoint, config=_config(target))
        _SHARED_CLIENTS[shared_key] = client
    return client


def _config(target: Target) -> Any:
    from botocore.config import Config

    # Step Functions' SDK does not ask S3 for response checksums (its GetObject results have none);
    # an endpoint that does not answer should fail the task at once, not after the SDK's retries;
    # moto and endpoint targets go where they say, whatever AWS_ENDPOINT_URL the test has set.
    return Config(response_checksum_validation="when_required",
                  retries={"max_attempts": 1} if target.kind == "endpoint" else None,
                  ignore_configured_endpoint_urls=target.kind != "session")


_AVAILABLE: list[frozenset[str]] = []


def _available_services() -> frozenset[str]:
    if not _AVAILABLE:
        boto3 = _require("boto3", "aws=")
        _AVAILABLE.append(frozenset(boto3.session.Session().get_available_services()))
    return _AVAILABLE[0]


def available_services() -> frozenset[str]:
    """botocore's service names (``s3``, ``stepfunctions``, ``events``…)."""
    return _available_services()


# -- S3 for ItemReader and ResultWriter ------------------------------------------------------------
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"


class BackendS3Store:
    """The ItemReader/ResultWriter view of S3 (same methods as the in-memory store), through boto3."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3

    def bucket_exists(self, bucket: str) -> bool:
        try:
            with real_clock():
                self.s3.head_bucket(Bucket=bucket)
        except self.s3.exceptions.ClientError:
            return False
        return True

    def get(self, bucket: Any, key: Any) -> str:
        try:
            with real_clock():
                return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except self.s3.exceptions.ClientError as exc:
            raise StatesError(ITEM_READER_FAILED, _s3_cause(exc, bucket, key), runtime=True) from None

    def list(self, bucket: Any, prefix: str) -> list[tuple[str, str]]:
        keys: list[str] = []
        try:
            with real_clock():
                for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                    keys.extend(item["Key"] for item in page.get("Contents", []))
        except self.s3.exceptions.ClientError as exc:
            raise StatesError(ITEM_READER_FAILED, _s3_cause(exc, bucket), runtime=True) from None
        return [(key, self.get(bucket, key)) for key in keys]

    def put(self, bucket: str, key: str, body: str) -> None:
        try:
            with real_clock():
                self.s3.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"))
        except self.s3.exceptions.ClientError as exc:
            raise StatesError(RESULT_WRITER_FAILED, _s3_cause(exc, bucket, key), runtime=True) from None


def _s3_cause(exc: Any, bucket: Any, key: Any = None) -> str:
    """As Step Functions words an S3 failure of a Map's reader or writer (see the in-memory store)."""
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = error.get("Code")
    message = error.get("Message") or code or str(exc)
    if not message.endswith("."):
        message += "."
    named = f", Bucket: {bucket}" if code == "NoSuchBucket" else f", Key: {key}" if code == "NoSuchKey" else ""
    return f"{message} (Service: S3, Status Code: {status}{named})"


__all__ = ["AwsBackend", "BackendS3Store", "Target", "available_services", "parse_target"]
