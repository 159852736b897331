"""The AI Hub client: the REST routes (``/ai/...``) and the streaming upload endpoint, over requests."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Literal, Mapping, Sequence, TypeVar, overload
from urllib.parse import quote

import requests

from . import errors
from .errors import (
    AihubError,
    ConflictError,
    ExportFailedError,
    IntegrityError,
    InvalidInputError,
    NotAihubError,
    TransportError,
    WaitTimeoutError,
)
from .types import (
    ArtifactFormat,
    DownloadedFile,
    Export,
    FeatureSet,
    Lineage,
    ModelStage,
    ModelVersion,
    OfflineFeatures,
    OnlineFeatures,
    OnlineVector,
    Promotion,
    Row,
    parse_time,
)

__version__ = "0.1.0"

#: Rows the server answers per offline request; larger spines and ranges are fetched in pages.
MAX_OFFLINE_ROWS = 10_000
#: Entities the server answers per online request (and per range page).
MAX_ENTITIES_PER_REQUEST = 1_000
#: Bytes read at a time when hashing, uploading and downloading files.
CHUNK_BYTES = 1 << 20

_HOUR = timedelta(hours=1)
_FORMATS: dict[str, ArtifactFormat] = {
    ".onnx": "onnx",
    ".joblib": "joblib",
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".json": "json",
    ".safetensors": "safetensors",
}

TimeLike = datetime | str
SpineLike = Iterable[tuple[str, TimeLike]] | Iterable[Mapping[str, Any]] | Any  # or a pandas DataFrame
T = TypeVar("T")


def _iso(value: TimeLike, field: str) -> str:
    """A time for the server: ISO 8601 with a zone. Naive datetimes are refused (which zone would it be?)."""
    if isinstance(value, str):
        return value  # the server checks it and names the field if it has no zone
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInputError(
                f"{field}: {value.isoformat()} has no time zone (use e.g. datetime(..., tzinfo=timezone.utc))",
                field_errors={field: ["must have a time zone"]},
            )
        return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    raise InvalidInputError(
        f"{field}: expected a datetime or an ISO 8601 string, got {type(value).__name__}",
        field_errors={field: ["must be a datetime or an ISO 8601 string"]},
    )


def _aware(value: TimeLike, field: str) -> datetime:
    parsed = parse_time(_iso(value, field))
    assert parsed is not None
    if parsed.tzinfo is None:
        raise InvalidInputError(f"{field}: '{value}' has no time zone", field_errors={field: ["must have a time zone"]})
    return parsed


def _json_default(value: Any) -> Any:
    """numpy scalars (from pandas/scikit-learn) and datetimes in request bodies."""
    if isinstance(value, datetime):
        return _iso(value, "body")
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


def _split_set(feature_set: str, version: int | None) -> tuple[str, int | None]:
    """``"name@2"`` (or ``"name@v2"``) is version 2 of ``name``; ``version=`` wins when both are given."""
    name, at, selector = feature_set.partition("@")
    if not at:
        return feature_set, version
    digits = selector[1:] if selector.startswith("v") else selector
    if not digits.isdigit():
        raise InvalidInputError(
            f"set: '{feature_set}' is not a feature set: use name or name@version",
            field_errors={"featureSet": ["use name or name@version"]},
        )
    return name, version if version is not None else int(digits)


def _spine_rows(spine: SpineLike) -> list[dict[str, str]]:
    """The spine as ``[{entityId, asOf}]`` from a DataFrame, (entity_id, as_of) pairs or dicts."""
    if hasattr(spine, "columns") and hasattr(spine, "itertuples"):  # a pandas DataFrame
        frame: Any = spine
        missing = {"entity_id", "as_of"} - set(frame.columns)
        if missing:
            raise InvalidInputError(
                f"spine: the DataFrame lacks column(s) {', '.join(sorted(missing))}",
                field_errors={"spine": ["needs columns entity_id and as_of"]},
            )
        pairs: Iterable[Any] = zip(frame["entity_id"], frame["as_of"])
    else:
        pairs = spine
    rows: list[dict[str, str]] = []
    for i, item in enumerate(pairs):
        if isinstance(item, Mapping):
            entity = item.get("entity_id", item.get("entityId"))
            as_of = item.get("as_of", item.get("asOf"))
        else:
            entity, as_of = item
        if entity is None or as_of is None:
            raise InvalidInputError(
                f"spine[{i}]: needs an entity id and an as-of time", field_errors={f"spine.{i}": ["needs entity_id and as_of"]}
            )
        rows.append({"entityId": str(entity), "asOf": _iso(as_of, f"spine[{i}].as_of")})
    return rows


def _one_source(spine: Any, window: Any) -> None:
    if (spine is None) == (window is None):
        raise InvalidInputError(
            "give exactly one of spine or range", field_errors={"spine": ["give exactly one of spine or range"]}
        )


def _lineage_json(lineage: Lineage | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if lineage is None:
        return None
    if isinstance(lineage, Lineage):
        items: Mapping[str, Any] = {
            "featureSet": lineage.feature_set,
            "featureSetVersion": lineage.feature_set_version,
            "targetMetric": lineage.target_metric,
            "exportId": lineage.export_id,
            "trainingFrom": lineage.training_from,
            "trainingTo": lineage.training_to,
        }
    else:
        camel = {
            "feature_set": "featureSet",
            "feature_set_version": "featureSetVersion",
            "target_metric": "targetMetric",
            "export_id": "exportId",
            "training_from": "trainingFrom",
            "training_to": "trainingTo",
        }
        items = {camel.get(k, k): v for k, v in lineage.items()}
    out: dict[str, Any] = {}
    for key, value in items.items():
        if value is None:
            continue
        out[key] = _iso(value, f"lineage.{key}") if isinstance(value, datetime) else value
    return out


def _sha256_of(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _model_ref(ref: str | ModelVersion) -> str:
    text = ref.id if isinstance(ref, ModelVersion) else ref
    if not text:
        raise InvalidInputError("ref: empty model reference", field_errors={"model_id": ["must not be empty"]})
    return quote(text, safe="@")


class Client:
    """A connection to one AI Hub server with one API key.

    ``url`` and ``api_key`` default to the ``AIHUB_URL`` and ``AIHUB_API_KEY`` environment variables.
    ``session`` may be a configured :class:`requests.Session` (proxies, retries, hooks).
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 300.0,
        session: requests.Session | None = None,
    ) -> None:
        url = url or os.environ.get("AIHUB_URL")
        api_key = api_key or os.environ.get("AIHUB_API_KEY")
        if not url:
            raise InvalidInputError("url: give the server's URL (or set AIHUB_URL)", field_errors={"url": ["required"]})
        if not api_key:
            raise InvalidInputError(
                "api_key: give an API key (or set AIHUB_API_KEY)", field_errors={"api_key": ["required"]}
            )
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._session = session or requests.Session()
        self._headers = {"Authorization": f"Bearer {api_key}", "User-Agent": f"aihub-python/{__version__}"}

    # ------------------------------------------------------------------ transport

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        data: IO[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        all_headers = dict(self._headers)
        payload: bytes | IO[bytes] | None = data
        if body is not None:
            # Absent, not null: the server's optional fields take no null.
            body = {k: v for k, v in body.items() if v is not None}
            try:
                payload = json.dumps(body, default=_json_default, allow_nan=False).encode()
            except ValueError as error:
                raise InvalidInputError(
                    f"request body: NaN and infinite numbers cannot be sent ({error})",
                    field_errors={"body": ["NaN and infinite numbers cannot be sent"]},
                ) from None
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        url = self.url + path
        try:
            response = self._session.request(
                method,
                url,
                params={k: v for k, v in (params or {}).items() if v is not None},
                data=payload,
                headers=all_headers,
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise TransportError(f"{method} {url} failed: {error}") from error
        return self._answer(response)

    @staticmethod
    def _answer(response: requests.Response) -> Any:
        request_id = response.headers.get("x-request-id")
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.ok:
            if data is None and response.content.strip() != b"null":
                raise NotAihubError(
                    f"{response.request.method} {response.url} answered {response.status_code} "
                    f"with {response.headers.get('content-type', 'no content type')}, not JSON: is this an AI Hub server?",
                    request_id=request_id,
                    status=response.status_code,
                )
            return data
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            field_errors = error.get("fieldErrors") or {}
            raise errors.error_for(
                error["code"],
                str(error.get("message", "")),
                request_id=error.get("requestId") or request_id,
                field_errors=field_errors if isinstance(field_errors, dict) else {},
                status=response.status_code,
            )
        snippet = response.text[:200].strip()
        raise NotAihubError(
            f"{response.request.method} {response.url} answered {response.status_code} {response.reason} "
            f"without an AI Hub error{': ' + snippet if snippet else ''}",
            code=errors.code_for_status(response.status_code) if request_id else None,
            request_id=request_id,
            status=response.status_code,
        )

    def _download(self, url: str, path: str | os.PathLike[str], name: str, sha256: str, size: int | None) -> DownloadedFile:
        """Streams ``url`` to ``path`` (a folder: ``path/name``) through a temporary file beside it, and
        keeps it only when its size and sha256 are the expected ones."""
        target = Path(path)
        if target.is_dir():
            target = target / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        written = 0
        fd, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                try:
                    # A presigned URL carries its own signature: no API key goes to the object store.
                    with self._session.get(url, stream=True, timeout=self.timeout) as response:
                        if not response.ok:
                            raise TransportError(
                                f"downloading {name} failed: the object store answered {response.status_code} {response.reason}",
                                status=response.status_code,
                            )
                        for chunk in response.iter_content(CHUNK_BYTES):
                            digest.update(chunk)
                            written += len(chunk)
                            out.write(chunk)
                except requests.RequestException as error:
                    raise TransportError(f"downloading {name} failed: {error}") from error
            actual = digest.hexdigest()
            if actual != sha256 or (size is not None and written != size):
                raise IntegrityError(
                    f"{name}: the download does not match what the server recorded "
                    f"(got {written} bytes with sha256 {actual}, expected {size} bytes with sha256 {sha256}); nothing was kept"
                )
            os.replace(part, target)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
        return DownloadedFile(path=str(target), sha256=actual, size_bytes=written)

    # ------------------------------------------------------------------ service

    def health(self) -> dict[str, Any]:
        """Readiness of the server and its services (``GET /ai/health/ready``)."""
        return dict(self._request("GET", "/ai/health/ready"))

    def whoami(self) -> dict[str, Any]:
        """The calling key's name, role and project."""
        return dict(self._request("GET", "/ai/auth/whoami"))

    # ------------------------------------------------------------------ features

    def feature_sets(self) -> list[FeatureSet]:
        """Predefined and user-defined feature sets, every version."""
        return [FeatureSet.from_json(s) for s in self._request("GET", "/ai/features/sets")]

    def materialize(self, set: str, metric: str, *, version: int | None = None, enabled: bool = True) -> dict[str, Any]:
        """Keeps a set's vectors of a metric online (writes the current hour's now), or stops (``enabled=False``)."""
        name, version = _split_set(set, version)
        return dict(self._request(
            "POST",
            "/ai/features/materializations",
            body={"featureSet": name, "version": version, "metric": metric, "enabled": enabled},
        ))

    @overload
    def get_online_features(
        self,
        set: str,
        metric: str,
        entity_ids: Sequence[str],
        as_of: TimeLike | None = ...,
        *,
        version: int | None = ...,
        as_frame: Literal[False] = ...,
    ) -> OnlineFeatures: ...
    @overload
    def get_online_features(
        self,
        set: str,
        metric: str,
        entity_ids: Sequence[str],
        as_of: TimeLike | None = ...,
        *,
        version: int | None = ...,
        as_frame: Literal[True],
    ) -> Any: ...
    def get_online_features(
        self,
        set: str,
        metric: str,
        entity_ids: Sequence[str],
        as_of: TimeLike | None = None,
        *,
        version: int | None = None,
        as_frame: bool = False,
    ) -> OnlineFeatures | Any:
        """The vectors of ``entity_ids`` for the current hour (from the online store when materialized),
        or point in time ``as_of``. ``set`` is ``name`` or ``name@version``. Unknown ids come back with
        ``status == "unknown_entity"``. More than 1,000 ids are asked in several requests.
        Returns :class:`OnlineFeatures` (iterate it for dict rows), or a DataFrame with ``as_frame=True``."""
        if isinstance(entity_ids, str):
            entity_ids = [entity_ids]
        name, version = _split_set(set, version)
        ids = list(entity_ids)
        if not ids:
            raise InvalidInputError("entity_ids: give at least one", field_errors={"entityIds": ["must name at least one entity"]})
        at = _iso(as_of, "as_of") if as_of is not None else None
        vectors: list[OnlineVector] = []
        answer: dict[str, Any] = {}
        for chunk in _chunks(ids, MAX_ENTITIES_PER_REQUEST):
            answer = self._request(
                "POST",
                "/ai/features/get",
                body={"featureSet": name, "version": version, "metric": metric, "entityIds": list(chunk), "asOf": at},
            )
            columns = answer["columns"]
            vectors += [
                OnlineVector(
                    entity_id=v["entityId"],
                    as_of=parse_time(v["asOf"]),  # type: ignore[arg-type]
                    values=dict(zip(columns, v["values"])),
                    source=v["source"],
                    stale=v["stale"],
                    status=v["status"],
                )
                for v in answer["vectors"]
            ]
        result = OnlineFeatures(
            feature_set=answer["featureSet"]["name"],
            version=answer["featureSet"]["version"],
            metric=answer["metric"],
            columns=list(answer["columns"]),
            vectors=vectors,
        )
        return result.to_pandas() if as_frame else result

    def _offline_page(self, body: dict[str, Any], labels: bool) -> tuple[dict[str, Any], list[Row]]:
        answer = self._request("POST", "/ai/features/offline", body=body)
        columns = answer["columns"]
        rows: list[Row] = []
        for r in answer["rows"]:
            row: Row = {"entity_id": r["entityId"], "as_of": parse_time(r["asOf"])}
            row.update(zip(columns, r["values"]))
            if labels:
                row["label_next_1h"] = r.get("label")
            rows.append(row)
        return answer, rows

    def get_offline_features(
        self,
        set: str,
        metric: str,
        spine: SpineLike | None = None,
        *,
        range: tuple[TimeLike, TimeLike] | None = None,
        entity_ids: Sequence[str] | None = None,
        labels: bool = False,
        version: int | None = None,
        as_frame: bool = False,
    ) -> OfflineFeatures | Any:
        """Point-in-time feature rows for a ``spine`` (``(entity_id, as_of)`` pairs, dicts, or a DataFrame
        with those columns; rows come back in its order) or a ``range=(start, end)`` (every whole hour in
        ``[start, end)`` of ``entity_ids``, or of every entity with readings of ``metric``; rows sorted by
        entity, then hour). ``labels=True`` adds ``label_next_1h``.

        The server answers at most 10,000 rows a request; larger spines and ranges are fetched page by
        page (spines in slices of 10,000 rows; ranges in blocks of whole hours of at most 1,000 entities).
        Returns :class:`OfflineFeatures` (iterate it for dict rows), or a DataFrame with ``as_frame=True``."""
        name, version = _split_set(set, version)
        _one_source(spine, range)
        base = {"featureSet": name, "version": version, "metric": metric, "includeLabel": labels}
        pages: list[tuple[dict[str, Any], list[Row]]] = []
        if spine is not None:
            rows = _spine_rows(spine)
            if not rows:
                raise InvalidInputError("spine: has no rows", field_errors={"spine": ["must have at least one row"]})
            for chunk in _chunks(rows, MAX_OFFLINE_ROWS):
                pages.append(self._offline_page({**base, "spine": list(chunk)}, labels))
        else:
            assert range is not None
            start, end = range
            pages = self._range_pages(base, _aware(start, "range.start"), _aware(end, "range.end"), entity_ids, labels)
        first = pages[0][0]
        all_rows = [row for _, page in pages for row in page]
        if spine is None:
            all_rows.sort(key=lambda r: (r["entity_id"], r["as_of"]))
        warnings = [w for answer, _ in pages for w in answer.get("warnings", [])]
        if len(pages) > 1 and spine is None:
            # The server judges each request's rows on their own: say which hours a warning is about.
            warnings = [
                f"hours [{answer['_window'][0]}, {answer['_window'][1]}): {w}"
                for answer, _ in pages
                for w in answer.get("warnings", [])
            ]
        result = OfflineFeatures(
            feature_set=first["featureSet"]["name"],
            version=first["featureSet"]["version"],
            metric=first["metric"],
            columns=list(first["columns"]),
            rows=all_rows,
            labels=labels,
            warnings=warnings,
            requests=len(pages),
        )
        return result.to_pandas() if as_frame else result

    def _range_pages(
        self,
        base: dict[str, Any],
        start: datetime,
        end: datetime,
        entity_ids: Sequence[str] | None,
        labels: bool,
    ) -> list[tuple[dict[str, Any], list[Row]]]:
        # The whole hours h with start <= h < end, as the server counts them.
        first = start.replace(minute=0, second=0, microsecond=0)
        if first < start:
            first += _HOUR
        hours: list[datetime] = []
        h = first
        while h < end:
            hours.append(h)
            h += _HOUR
        if not hours:  # no rows: let the server say so (and check the rest of the input)
            window = {"start": _iso(start, "start"), "end": _iso(end, "end")}
            if entity_ids:
                window["entityIds"] = list(entity_ids)[:MAX_ENTITIES_PER_REQUEST]  # type: ignore[assignment]
            return [self._offline_page({**base, "range": window}, labels)]

        def page(ids: Sequence[str] | None, block: Sequence[datetime]) -> tuple[dict[str, Any], list[Row]]:
            window: dict[str, Any] = {"start": _iso(block[0], "start"), "end": _iso(block[-1] + _HOUR, "end")}
            if ids is not None:
                window["entityIds"] = list(ids)
            answer, rows = self._offline_page({**base, "range": window}, labels)
            answer["_window"] = (window["start"], window["end"])
            return answer, rows

        pages: list[tuple[dict[str, Any], list[Row]]] = []
        if entity_ids is None:
            # Which entities have readings of the metric is the server's to say: the first hour tells
            # how many there are, which sizes the blocks of the remaining hours.
            try:
                pages.append(page(None, hours[:1]))
            except errors.BadRequestError as error:
                if "range" not in error.field_errors:
                    raise
                raise InvalidInputError(
                    f"range: one hour of every entity is over the {MAX_OFFLINE_ROWS} rows a request returns; "
                    "name the entities (entity_ids=...) or use an export",
                    field_errors={"range": [f"at most {MAX_OFFLINE_ROWS} rows per hour"]},
                ) from error
            entities = len(pages[0][1])
            if entities == 0:
                return pages
            per_block = max(1, MAX_OFFLINE_ROWS // entities)
            for block in _chunks(hours[1:], per_block) if len(hours) > 1 else []:
                pages.append(page(None, block))
            return pages
        ids = list(dict.fromkeys(entity_ids))
        if not ids:
            raise InvalidInputError("entity_ids: give at least one", field_errors={"range.entityIds": ["must not be empty"]})
        for group in _chunks(ids, MAX_ENTITIES_PER_REQUEST):
            per_block = max(1, MAX_OFFLINE_ROWS // len(group))
            for block in _chunks(hours, per_block):
                pages.append(page(group, block))
        return pages

    # ------------------------------------------------------------------ exports

    def start_export(
        self,
        set: str,
        metric: str,
        spine: SpineLike | None = None,
        *,
        range: tuple[TimeLike, TimeLike] | None = None,
        entity_ids: Sequence[str] | None = None,
        labels: bool = False,
        version: int | None = None,
    ) -> Export:
        """Queues a Parquet export of a ``spine`` (up to 100,000 rows) or a ``range=(start, end)`` (of
        ``entity_ids``, or of every entity with readings of ``metric``). Returns the queued record;
        :meth:`wait_export` waits for it."""
        name, version = _split_set(set, version)
        _one_source(spine, range)
        body: dict[str, Any] = {"featureSet": name, "version": version, "metric": metric, "includeLabel": labels}
        if spine is not None:
            body["spine"] = _spine_rows(spine)
        else:
            assert range is not None
            window: dict[str, Any] = {"start": _iso(range[0], "range.start"), "end": _iso(range[1], "range.end")}
            if entity_ids is not None:
                window["entityIds"] = list(entity_ids)
            body["range"] = window
        return Export.from_json(self._request("POST", "/ai/features/export", body=body))

    def get_export(self, export_id: str) -> Export:
        """An export's record; a succeeded one carries ``download_url`` and ``statistics``."""
        return Export.from_json(self._request("GET", f"/ai/features/exports/{quote(export_id, safe='')}"))

    def cancel_export(self, export_id: str) -> Export:
        return Export.from_json(self._request("POST", f"/ai/features/exports/{quote(export_id, safe='')}/cancel"))

    def wait_export(
        self,
        export_id: str | Export,
        progress: bool | Callable[[Export], None] = True,
        *,
        timeout: float | None = None,
        poll_interval: float = 1.0,
    ) -> Export:
        """Polls until the export finishes and returns its record (``succeeded``). ``progress=True`` prints
        a line on stderr whenever its status or row count changes; a callable gets each new record.
        Raises :class:`ExportFailedError` when it failed or was cancelled, :class:`WaitTimeoutError` after
        ``timeout`` seconds."""
        export_id = export_id.id if isinstance(export_id, Export) else export_id
        deadline = None if timeout is None else time.monotonic() + timeout
        shown: tuple[str, int] | None = None
        delay = min(0.2, poll_interval)
        while True:
            record = self.get_export(export_id)
            if (record.status, record.rows_written) != shown:
                shown = (record.status, record.rows_written)
                if callable(progress):
                    progress(record)
                elif progress:
                    total = f" of {record.total_rows:,}" if record.total_rows is not None else ""
                    print(f"export {record.id}: {record.status}, {record.rows_written:,}{total} rows", file=sys.stderr)
            if record.status == "succeeded":
                return record
            if record.status in ("failed", "cancelled"):
                raise ExportFailedError(
                    f"export {record.id} {record.status}" + (f": {record.error}" if record.error else ""),
                    export=record,
                    code="EXPORT_CANCELLED" if record.status == "cancelled" else "EXPORT_FAILED",
                )
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeoutError(f"export {record.id} still {record.status} after {timeout} s")
            pause = delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic()))
            time.sleep(pause)
            delay = min(poll_interval, delay * 2)

    def download_export(self, export_id: str | Export, path: str | os.PathLike[str]) -> DownloadedFile:
        """Downloads a succeeded export's Parquet file to ``path`` (a folder: under the file's own name),
        verifying its size and sha256; on a mismatch nothing is kept and :class:`IntegrityError` is raised."""
        record = self.get_export(export_id.id if isinstance(export_id, Export) else export_id)
        if record.status in ("failed", "cancelled"):
            raise ExportFailedError(f"export {record.id} {record.status}: nothing to download", export=record)
        if record.status != "succeeded" or not record.download_url or not record.sha256:
            raise ConflictError(f"export {record.id} is {record.status}: wait for it first (wait_export)")
        return self._download(record.download_url, path, record.file_name, record.sha256, record.bytes)

    # ------------------------------------------------------------------ models

    def register_model(
        self,
        name: str,
        path: str | os.PathLike[str],
        format: ArtifactFormat | None = None,
        metrics: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
        lineage: Lineage | Mapping[str, Any] | None = None,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        comment: str | None = None,
    ) -> ModelVersion:
        """Registers the next version of model ``name`` with the file at ``path`` as its artifact.

        The file is hashed first, then registered with its size and sha256 (``POST /ai/models/register``),
        then streamed to the upload path the server answered (``PUT /v1/models/uploads/<id>``); the
        server marks the version ``ready`` only when what arrived matches. ``format`` defaults from the
        file's suffix. Returns the ready version."""
        file = Path(path)
        if not file.is_file():
            raise InvalidInputError(f"path: {file} is not a file", field_errors={"path": ["must be a file"]})
        sha256, size = _sha256_of(file)
        body: dict[str, Any] = {
            "name": name,
            "format": format or _FORMATS.get(file.suffix.lower(), "other"),
            "metrics": {k: float(v) for k, v in (metrics or {}).items()},
            "params": dict(params or {}),
            "metadata": dict(metadata or {}),
            "sizeBytes": size,
            "sha256": sha256,
        }
        for key, value in (("description", description), ("tags", tags), ("comment", comment)):
            if value is not None:
                body[key] = dict(value) if isinstance(value, Mapping) else value
        lineage_body = _lineage_json(lineage)
        if lineage_body is not None:
            body["lineage"] = lineage_body
        registered = self._request("POST", "/ai/models/register", body=body)
        upload = registered["upload"]
        with file.open("rb") as f:  # requests streams a file object; it is never read whole
            answer = self._request(
                upload.get("method", "PUT"),
                upload["path"],
                data=f,
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            )
        return ModelVersion.from_json(answer["version"])

    def get_model(self, ref: str | ModelVersion) -> ModelVersion:
        """A version by id, ``name@3``, ``name@production`` (newest ready one in that stage) or ``name@<alias>``."""
        return ModelVersion.from_json(self._request("GET", f"/ai/models/{_model_ref(ref)}"))

    def list_models(
        self,
        where: str | Sequence[str] | None = None,
        *,
        name_contains: str | None = None,
        stage: ModelStage | None = None,
        status: Literal["pending", "ready", "failed"] | None = None,
        alias: str | None = None,
        tag: str | None = None,
        sort: Literal["createdAt", "name", "version", "metric"] | None = None,
        sort_metric: str | None = None,
        order: Literal["asc", "desc"] | None = None,
        limit: int | None = None,
        page_size: int = 500,
    ) -> list[ModelVersion]:
        """Model versions matching every filter: ``where`` is a metric condition or a list of them
        (``"mape < 0.1"``), ``tag`` is ``key`` or ``key=value``. Follows the server's pages of
        ``page_size`` (at most 500); ``limit`` caps how many are returned (all by default)."""
        conditions = [where] if isinstance(where, str) else list(where or [])
        found: list[ModelVersion] = []
        cursor: str | None = None
        while True:
            size = page_size if limit is None else max(1, min(page_size, limit - len(found)))
            params = {
                "metrics": conditions or None,
                "nameContains": name_contains,
                "stage": stage,
                "status": status,
                "alias": alias,
                "tag": tag,
                "sort": sort,
                "sortMetric": sort_metric,
                "order": order,
                "limit": size,
                "cursor": cursor,
            }
            answer = self._request("GET", "/ai/models", params=params)
            found += [ModelVersion.from_json(item) for item in answer["items"]]
            cursor = answer.get("nextCursor")
            if not cursor or (limit is not None and len(found) >= limit):
                return found[:limit] if limit is not None else found

    def promote(
        self,
        ref: str | ModelVersion,
        to: ModelStage = "production",
        *,
        demote_to: Literal["archived", "staging"] | None = None,
        comment: str | None = None,
    ) -> Promotion:
        """Moves a version (id or ``name@3``) to a stage; the previous production version goes to
        ``archived`` (or ``demote_to``)."""
        answer = self._request(
            "PUT",
            f"/ai/models/{_model_ref(ref)}/promote",
            body={k: v for k, v in {"to": to, "demoteTo": demote_to, "comment": comment}.items() if v is not None},
        )
        demoted = answer.get("demoted")
        return Promotion(
            version=ModelVersion.from_json(answer["version"]),
            demoted=ModelVersion.from_json(demoted) if demoted else None,
        )

    def set_alias(self, ref: str | ModelVersion, alias: str, *, comment: str | None = None) -> ModelVersion:
        """Points ``alias`` (e.g. ``champion``) of the model at this version (id or ``name@3``)."""
        body = {"alias": alias} if comment is None else {"alias": alias, "comment": comment}
        return ModelVersion.from_json(self._request("PUT", f"/ai/models/{_model_ref(ref)}/alias", body=body))

    def download_model(self, ref: str | ModelVersion, path: str | os.PathLike[str]) -> DownloadedFile:
        """Downloads a ready version's artifact to ``path`` (a folder: under ``<name>-v<version>.<format>``),
        verifying its size and sha256; on a mismatch nothing is kept and :class:`IntegrityError` is raised."""
        answer = self._request("GET", f"/ai/models/{_model_ref(ref)}/download")
        return self._download(answer["url"], path, answer["fileName"], answer["sha256"], answer.get("sizeBytes"))


__all__ = ["Client", "MAX_OFFLINE_ROWS", "MAX_ENTITIES_PER_REQUEST", "AihubError"]
