"""Training-set exports through the client: start, wait (with progress), and a download that is kept
only when its sha256 is the one the server recorded."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import aihub
from conftest import HOUR, Project, overwrite_stored_object
from meters import FEATURES, SET, T0, readings

ENTITIES = ["m1", "m2", "m3"]


@pytest.fixture(scope="module")
def project(new_project) -> Project:
    p = new_project("py-exports")
    p.load(ENTITIES, ((f"m{e}", "kwh", ts, v) for e in (1, 2, 3) for ts, v in readings(e)))
    p.call("POST", "/ai/features/sets", {"name": SET, "features": FEATURES})
    return p


def test_spine_export_waited_for_and_downloaded(project: Project, tmp_path: Path, capsys) -> None:
    hub = project.client()
    spine = [(e, T0 + h * HOUR) for e in ENTITIES for h in range(1, 11)]
    started = hub.start_export(SET, "kwh", spine, labels=True)
    assert started.status in ("queued", "running", "succeeded") and started.total_rows == 30
    done = hub.wait_export(started.id, progress=True, poll_interval=0.2)
    assert done.status == "succeeded" and done.rows_written == 30 and done.finished
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1] == f"export {started.id}: succeeded, 30 of 30 rows"
    assert all(line.startswith(f"export {started.id}: ") for line in lines)

    got = hub.download_export(done, tmp_path)  # a folder: the file keeps its own name
    path = tmp_path / f"{SET}-v1.parquet"
    assert got.path == str(path) and os.listdir(tmp_path) == [path.name]
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == done.sha256 == got.sha256
    assert len(data) == done.bytes == got.size_bytes
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    stats = {s["feature"]: s for s in done.statistics["features"]}
    # 10 hours x 3 meters, every lag_1h present (readings from T0 on); hour_of_day 1..10 three times.
    assert stats["lag_1h"]["count"] == 30 and stats["hour_of_day"]["mean"] == pytest.approx(5.5)


def test_range_export_with_a_progress_callback(project: Project, tmp_path: Path) -> None:
    hub = project.client()
    seen: list[aihub.Export] = []
    started = hub.start_export(f"{SET}@1", "kwh", range=(T0, T0 + 24 * HOUR), entity_ids=["m1", "m3"])
    done = hub.wait_export(started, progress=seen.append, timeout=120)
    assert seen[-1] == done and done.rows_written == 2 * 24 and done.total_rows == 48
    assert done.raw["params"]["source"]["kind"] == "range"
    target = tmp_path / "train.parquet"
    assert hub.download_export(done.id, target).path == str(target)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == done.sha256


def test_a_download_that_does_not_match_keeps_nothing(project: Project, tmp_path: Path) -> None:
    hub = project.client()
    done = hub.wait_export(hub.start_export(SET, "kwh", [("m2", T0 + 5 * HOUR)]), progress=False)
    original = hub.download_export(done.id, tmp_path / "first.parquet")
    size = original.size_bytes
    # Same length, other bytes: only the sha256 can tell.
    overwrite_stored_object(os.environ.get("S3_BUCKET_EXPORTS", "aihub-exports"), done.raw["objectKey"], b"X" * size)
    target = tmp_path / "train.parquet"
    target.write_bytes(b"what was there before")
    with pytest.raises(aihub.IntegrityError) as error:
        hub.download_export(done.id, target)
    assert error.value.code == "INTEGRITY_ERROR" and done.sha256 in error.value.message
    assert target.read_bytes() == b"what was there before"
    assert sorted(os.listdir(tmp_path)) == ["first.parquet", "train.parquet"]  # no partial file left


def test_unknown_export_and_bad_input(project: Project) -> None:
    hub = project.client()
    with pytest.raises(aihub.NotFoundError) as missing:
        hub.wait_export("00000000-0000-4000-8000-000000000000", progress=False)
    assert missing.value.request_id
    with pytest.raises(aihub.BadRequestError) as unknown:
        hub.start_export(SET, "kwh", [("nobody", T0 + HOUR)])
    assert "spine" in unknown.value.field_errors
    with pytest.raises(aihub.InvalidInputError):
        hub.start_export(SET, "kwh")  # neither spine nor range


def test_waiting_runs_out_of_time_and_a_cancelled_export_says_so(project: Project, tmp_path: Path) -> None:
    hub = project.client()
    # 3 meters x 100,000 hours: far longer to write than the wait below allows.
    started = hub.start_export(SET, "kwh", range=(T0, T0 + 100_000 * HOUR))
    with pytest.raises(aihub.WaitTimeoutError) as timeout:
        hub.wait_export(started, progress=False, timeout=0.3)
    assert timeout.value.code == "TIMEOUT" and isinstance(timeout.value, TimeoutError)
    hub.cancel_export(started.id)
    with pytest.raises(aihub.ExportFailedError) as cancelled:
        hub.wait_export(started, progress=False)
    assert cancelled.value.code == "EXPORT_CANCELLED" and cancelled.value.export.status == "cancelled"
    with pytest.raises(aihub.ExportFailedError):
        hub.download_export(started.id, tmp_path)
    assert os.listdir(tmp_path) == []
