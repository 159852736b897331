"""The model registry through the client: streamed registration with sha256, listing with metric
filters across pages, promotion, aliases and verified downloads."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

import aihub
from conftest import Project, overwrite_stored_object
from meters import Counting


@pytest.fixture(scope="module")
def project(new_project) -> Project:
    return new_project("py-models")


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("artifacts")
    files = []
    for i in range(3):
        path = folder / f"model-{i}.joblib"
        path.write_bytes(hashlib.sha512(str(i).encode()).digest() * (4000 + i))  # 256-257 kB, distinct
        files.append(path)
    return files


@pytest.fixture(scope="module")
def registered(project: Project, artifacts: list[Path]) -> list[aihub.ModelVersion]:
    hub = project.client()
    lineage = aihub.Lineage(
        feature_set="forecast_basic",
        feature_set_version=1,
        target_metric="kwh",
        training_from=datetime(2026, 1, 1, tzinfo=timezone.utc),
        training_to="2026-01-08T00:00:00Z",
    )
    versions = []
    for path, mape, rmse in zip(artifacts, [0.08, 0.05, 0.12], [3.5, 2.5, 4.0]):
        versions.append(
            hub.register_model(
                "load-forecast",
                path,
                metrics={"mape": mape, "rmse": rmse},
                params={"alpha": 0.1, "fit_intercept": True, "solver": "lsqr"},
                lineage=lineage,
                tags={"team": "grid"},
            )
        )
    return versions


def test_register_streams_the_file_with_its_sha256(registered, artifacts) -> None:
    first = registered[0]
    data = artifacts[0].read_bytes()
    assert (first.name, first.version, first.status, first.stage, first.format) == (
        "load-forecast", 1, "ready", "staging", "joblib")
    assert first.sha256 == hashlib.sha256(data).hexdigest() and first.size_bytes == len(data)
    assert first.metrics == {"mape": 0.08, "rmse": 3.5}
    assert first.params == {"alpha": 0.1, "fit_intercept": True, "solver": "lsqr"}
    assert first.lineage.feature_set == "forecast_basic" and first.lineage.feature_set_version == 1
    assert first.lineage.target_metric == "kwh"
    assert first.lineage.training_from == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert first.lineage.training_to == datetime(2026, 1, 8, tzinfo=timezone.utc)
    assert [v.version for v in registered] == [1, 2, 3] and first.ref == "load-forecast@1"


def test_get_and_list_with_metric_filters_across_pages(project: Project, registered) -> None:
    hub = project.client()
    assert hub.get_model("load-forecast@2").id == registered[1].id
    assert hub.get_model(registered[2].id).version == 3
    assert hub.get_model(registered[0]).metrics["mape"] == 0.08
    assert sorted(v.version for v in hub.list_models(where="mape < 0.1")) == [1, 2]
    assert [v.version for v in hub.list_models(where=["mape < 0.1", "rmse > 3"])] == [1]
    assert [v.version for v in hub.list_models(where="mape >= 0.1", tag="team=grid")] == [3]
    session = Counting()
    paged = project.client(session=session).list_models(sort="version", order="asc", page_size=1)
    assert [v.version for v in paged] == [1, 2, 3] and len(session.sent) >= 3
    assert [v.version for v in hub.list_models(sort="version", order="desc", limit=2)] == [3, 2]
    assert hub.list_models(name_contains="nothing-like-it") == []


def test_promote_alias_and_download(project: Project, registered, artifacts, tmp_path: Path) -> None:
    hub = project.client()
    first = hub.promote("load-forecast@2", "production", comment="best mape")
    assert first.version.stage == "production" and first.demoted is None
    second = hub.promote(registered[0], "production")
    assert second.version.version == 1 and second.demoted is not None
    assert (second.demoted.version, second.demoted.stage) == (2, "archived")
    assert hub.get_model("load-forecast@production").version == 1
    assert "challenger" in hub.set_alias("load-forecast@3", "challenger").aliases
    assert hub.get_model("load-forecast@challenger").version == 3

    got = hub.download_model("load-forecast@production", tmp_path)
    assert Path(got.path).name == "load-forecast-v1.joblib"
    assert Path(got.path).read_bytes() == artifacts[0].read_bytes()
    assert got.sha256 == registered[0].sha256
    again = hub.download_model("load-forecast@challenger", tmp_path / "challenger.bin")
    assert Path(again.path).read_bytes() == artifacts[2].read_bytes()


def test_a_tampered_artifact_is_not_kept(project: Project, artifacts, tmp_path: Path) -> None:
    hub = project.client()
    version = hub.register_model("tampered", artifacts[1], format="other")
    size = version.size_bytes
    overwrite_stored_object(os.environ.get("S3_BUCKET_MODELS", "aihub-models"), version.raw["artifactKey"], b"\0" * size)
    with pytest.raises(aihub.IntegrityError):
        hub.download_model("tampered@1", tmp_path)
    assert os.listdir(tmp_path) == []


def test_registry_errors(project: Project, artifacts, tmp_path: Path) -> None:
    hub = project.client()
    session = Counting()
    with pytest.raises(aihub.InvalidInputError) as nan:
        project.client(session=session).register_model("bad", artifacts[0], metrics={"mape": float("nan")})
    assert session.sent == [] and "body" in nan.value.field_errors
    with pytest.raises(aihub.InvalidInputError):
        hub.register_model("bad", tmp_path / "missing.onnx")
    with pytest.raises(aihub.BadRequestError) as lineage:
        hub.register_model("bad", artifacts[0], lineage={"export_id": "not-a-uuid"})
    assert any("exportId" in field for field in lineage.value.field_errors) and lineage.value.request_id
    with pytest.raises(aihub.NotFoundError):
        hub.promote("load-forecast@99", "production")
    with pytest.raises(aihub.BadRequestError) as name:
        hub.register_model("no spaces allowed", artifacts[0])
    assert "name" in name.value.field_errors
    assert hub.list_models(name_contains="bad") == []


def test_the_upload_is_streamed_not_read_whole(project: Project, tmp_path: Path) -> None:
    """A 96 MiB artifact registered by a separate Python process whose peak memory stays far below
    the file's size (the file is hashed, then sent, in 1 MiB reads)."""
    big = tmp_path / "big.onnx"
    with big.open("wb") as f:
        block = os.urandom(1 << 20)
        for i in range(96):
            f.write(block[:-1] + bytes([i]))
    script = (
        "import json, re, sys, aihub\n"
        "v = aihub.Client(sys.argv[1], sys.argv[2]).register_model('big', sys.argv[3])\n"
        # VmHWM: this process's peak resident memory (ru_maxrss would count the forking parent's).
        "peak = int(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1))\n"
        "print(json.dumps({'sha256': v.sha256, 'size': v.size_bytes, 'status': v.status, 'peak_kib': peak}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, project.url, project.key, str(big)],
        capture_output=True, text=True, timeout=300, check=True,
    )
    result = json.loads(out.stdout)
    digest = hashlib.sha256()
    with big.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    assert result["status"] == "ready" and result["size"] == 96 << 20
    assert result["sha256"] == digest.hexdigest()
    assert result["peak_kib"] < 64 * 1024, result  # under 64 MiB for a 96 MiB file
