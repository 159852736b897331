"""The shapes the client returns and accepts: dataclasses with snake_case fields.

Times are timezone-aware :class:`datetime.datetime` objects in UTC. Every record keeps the server's
whole answer in ``raw`` (camelCase JSON, dates as ISO 8601 strings), so nothing it sends is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator, Literal, Mapping

if TYPE_CHECKING:  # pandas is optional
    import pandas

ExportStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
ModelStage = Literal["staging", "production", "archived"]
ArtifactFormat = Literal["onnx", "joblib", "pickle", "json", "safetensors", "other"]
Row = dict[str, Any]


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time from the server (always with a zone) as an aware datetime."""
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _frame(rows: list[Row], columns: list[str]) -> "pandas.DataFrame":
    try:
        import pandas
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("to_pandas() needs pandas: install it (e.g. apt-get install python3-pandas)") from error
    frame = pandas.DataFrame.from_records(rows, columns=columns)
    if "as_of" in frame.columns:
        frame["as_of"] = pandas.to_datetime(frame["as_of"], utc=True)
    return frame


@dataclass(frozen=True)
class FeatureSet:
    name: str
    version: int
    features: list[str]
    predefined: bool
    description: str | None
    created_at: datetime | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "FeatureSet":
        return cls(
            name=data["name"],
            version=data["version"],
            features=list(data["features"]),
            predefined=bool(data.get("predefined", False)),
            description=data.get("description"),
            created_at=parse_time(data.get("createdAt")),
        )


@dataclass(frozen=True)
class OnlineVector:
    """One entity's vector: the hour it is for (``as_of``), its values by feature name, and where it came from."""

    entity_id: str
    as_of: datetime
    values: dict[str, float | None]
    #: ``online`` (Redis), ``offline`` (computed from PostgreSQL) or ``none`` (unknown entity).
    source: Literal["online", "offline", "none"]
    stale: bool
    #: ``ok`` or ``unknown_entity``.
    status: Literal["ok", "unknown_entity"]


@dataclass(frozen=True)
class OnlineFeatures:
    """The answer of :meth:`aihub.Client.get_online_features`; iterating it gives the rows as dicts."""

    feature_set: str
    version: int
    metric: str
    columns: list[str]
    vectors: list[OnlineVector]

    @property
    def rows(self) -> list[Row]:
        """One dict per entity: ``entity_id``, ``as_of``, each feature, ``source``, ``stale``, ``status``."""
        return [
            {"entity_id": v.entity_id, "as_of": v.as_of, **v.values, "source": v.source, "stale": v.stale, "status": v.status}
            for v in self.vectors
        ]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.vectors)

    def to_pandas(self) -> "pandas.DataFrame":
        """The rows as a DataFrame (needs pandas), columns in the set's order."""
        return _frame(self.rows, ["entity_id", "as_of", *self.columns, "source", "stale", "status"])


@dataclass(frozen=True)
class OfflineFeatures:
    """The answer of :meth:`aihub.Client.get_offline_features`; iterating it gives the rows as dicts."""

    feature_set: str
    version: int
    metric: str
    columns: list[str]
    #: One dict per row: ``entity_id``, ``as_of``, each feature, and ``label_next_1h`` with labels.
    rows: list[Row]
    labels: bool
    #: The server's warnings (e.g. most rows of a range have no readings). A range fetched in several
    #: requests is judged request by request, so each warning then starts with the hours it is about.
    warnings: list[str] = field(default_factory=list)
    #: How many requests the rows took (the server answers at most 10,000 rows per request).
    requests: int = 1

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def to_pandas(self) -> "pandas.DataFrame":
        """The rows as a DataFrame (needs pandas): ``entity_id``, ``as_of``, the features[, ``label_next_1h``]."""
        label = ["label_next_1h"] if self.labels else []
        return _frame(self.rows, ["entity_id", "as_of", *self.columns, *label])


@dataclass(frozen=True)
class Export:
    """A training-set export record."""

    id: str
    status: ExportStatus
    feature_set: str
    feature_set_version: int
    metric: str
    rows_written: int
    total_rows: int | None
    bytes: int | None
    sha256: str | None
    error: str | None
    warnings: list[str]
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    #: A presigned URL of the Parquet file, while it is ``succeeded`` (from :meth:`aihub.Client.get_export`).
    download_url: str | None
    #: Per-feature statistics of a succeeded export (see the server's README), as sent.
    statistics: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False)

    @property
    def file_name(self) -> str:
        """The file's own name: ``<set>-v<version>.parquet``."""
        key = self.raw.get("objectKey")
        return str(key).rsplit("/", 1)[-1] if key else f"{self.feature_set}-v{self.feature_set_version}.parquet"

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed", "cancelled")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Export":
        return cls(
            id=data["id"],
            status=data["status"],
            feature_set=data["featureSet"],
            feature_set_version=data["featureSetVersion"],
            metric=data["metric"],
            rows_written=data.get("rowsWritten", 0),
            total_rows=data.get("totalRows"),
            bytes=data.get("bytes"),
            sha256=data.get("sha256"),
            error=data.get("error"),
            warnings=list(data.get("warnings") or []),
            created_at=parse_time(data.get("createdAt")),
            started_at=parse_time(data.get("startedAt")),
            finished_at=parse_time(data.get("finishedAt")),
            download_url=data.get("downloadUrl"),
            statistics=data.get("statistics"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Lineage:
    """Where a model came from. Every field is optional; a feature set goes with its version, a window with both ends."""

    feature_set: str | None = None
    feature_set_version: int | None = None
    target_metric: str | None = None
    export_id: str | None = None
    training_from: datetime | str | None = None
    training_to: datetime | str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "Lineage":
        data = data or {}
        return cls(
            feature_set=data.get("featureSet"),
            feature_set_version=data.get("featureSetVersion"),
            target_metric=data.get("targetMetric"),
            export_id=data.get("exportId"),
            training_from=parse_time(data.get("trainingFrom")),
            training_to=parse_time(data.get("trainingTo")),
        )


@dataclass(frozen=True)
class ModelVersion:
    """One registered model version."""

    id: str
    name: str
    version: int
    status: Literal["pending", "ready", "failed"]
    stage: ModelStage
    format: ArtifactFormat
    size_bytes: int | None
    sha256: str | None
    metrics: dict[str, float]
    params: dict[str, Any]
    metadata: dict[str, Any]
    lineage: Lineage
    aliases: list[str]
    error: str | None
    created_by: str
    created_at: datetime | None
    ready_at: datetime | None
    raw: dict[str, Any] = field(repr=False)

    @property
    def ref(self) -> str:
        """``name@version``: how the other methods name this version."""
        return f"{self.name}@{self.version}"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ModelVersion":
        return cls(
            id=data["id"],
            name=data["modelName"],
            version=data["version"],
            status=data["status"],
            stage=data["stage"],
            format=data["format"],
            size_bytes=data.get("sizeBytes"),
            sha256=data.get("sha256"),
            metrics=dict(data.get("metrics") or {}),
            params=dict(data.get("params") or {}),
            metadata=dict(data.get("metadata") or {}),
            lineage=Lineage.from_json(data.get("lineage")),
            aliases=list(data.get("aliases") or []),
            error=data.get("error"),
            created_by=data.get("createdBy", ""),
            created_at=parse_time(data.get("createdAt")),
            ready_at=parse_time(data.get("readyAt")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Promotion:
    """The answer of :meth:`aihub.Client.promote`: the version, and the one it moved out of production."""

    version: ModelVersion
    demoted: ModelVersion | None


@dataclass(frozen=True)
class DownloadedFile:
    """A file written by a download, after its size and sha256 were checked."""

    path: str
    sha256: str
    size_bytes: int


__all__ = [
    "ArtifactFormat",
    "DownloadedFile",
    "Export",
    "ExportStatus",
    "FeatureSet",
    "Lineage",
    "ModelStage",
    "ModelVersion",
    "OfflineFeatures",
    "OnlineFeatures",
    "OnlineVector",
    "Promotion",
    "Row",
]
