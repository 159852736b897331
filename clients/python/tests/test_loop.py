"""The whole loop a training job runs — features, training set, register, promote, online features —
as examples/python/train_and_register.py and the README's Python example do it, checked against
values computed here: the meters' readings rise by exactly 0.5 an hour, so the next hour's mean is
lag_1h + 0.5, which a linear regression learns exactly."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import aihub
from conftest import HOUR, Project

METERS = ["meter-1", "meter-2", "meter-3", "meter-4"]
FEATURES = ["lag_1h", "lag_24h", "lag_168h", "hour_of_day", "day_of_week", "is_weekend"]
REPO = Path(os.environ.get("AIHUB_REPO", Path(__file__).resolve().parents[3]))


def current_hour() -> datetime:
    return datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)


H0 = current_hour()
FIRST = H0 - 240 * HOUR  # ten days back: lag_168h of the oldest training hour is there
LAST = H0 + 3 * HOUR  # a few hours ahead, so a new hour starting mid-test still has its lag_1h


def value(meter: str, hour: datetime) -> float:
    """The reading of the hour (one, at :30): 10 per meter number plus 0.5 per hour since FIRST."""
    return 10 * int(meter.split("-")[1]) + 0.5 * ((hour - FIRST) // HOUR)


def loaded(new_project, prefix: str) -> Project:
    project = new_project(prefix)
    hours = [FIRST + k * HOUR for k in range((LAST - FIRST) // HOUR)]
    project.load(METERS, ((m, "kwh", h + timedelta(minutes=30), value(m, h)) for m in METERS for h in hours))
    return project


def run(args: list[str], project: Project, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIHUB_URL": project.url, "AIHUB_API_KEY": project.key}
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def test_train_and_register_example(new_project, tmp_path: Path) -> None:
    project = loaded(new_project, "py-example")
    script = REPO / "examples/python/train_and_register.py"
    result = run([str(script), "--set", "forecast_basic", "--metric", "kwh", "--model", "load-forecast", "--out", str(tmp_path)], project, tmp_path)
    summary = json.loads(result.stdout.strip().splitlines()[-1])

    end = datetime.fromisoformat(summary["trainingTo"])
    assert end in (H0, H0 + HOUR)  # the hour it ran in
    assert datetime.fromisoformat(summary["trainingFrom"]) == end - 72 * HOUR
    assert summary["rows"] == 4 * 72  # 4 meters x 72 hours, all complete (data from 240 h back)
    metrics = summary["metrics"]
    assert (metrics["train_rows"], metrics["test_rows"]) == (4 * 57, 4 * 15)  # floor(72 * 0.8) = 57 hours
    assert metrics["mae"] < 1e-6 and metrics["rmse"] < 1e-6  # the label is lag_1h + 0.5, exactly
    assert summary["model"] == "load-forecast@1" and summary["stage"] == "production"

    hub = project.client()
    model = hub.get_model("load-forecast@production")
    assert model.id == summary["modelId"] and model.format == "joblib" and model.status == "ready"
    assert model.lineage == aihub.Lineage("forecast_basic", 1, "kwh", summary["exportId"], end - 72 * HOUR, end)
    assert model.metrics["mae"] == metrics["mae"] and model.params["features"] == ",".join(FEATURES)
    export = hub.get_export(summary["exportId"])
    assert export.status == "succeeded" and export.rows_written == 4 * 72
    assert (tmp_path / "forecast_basic-v1.parquet").stat().st_size == export.bytes

    assert sorted(summary["online"]) == METERS
    for meter, served in summary["online"].items():
        as_of = datetime.fromisoformat(served["asOf"])
        assert as_of in (H0, H0 + HOUR) and served["source"] == "online"
        # lag_1h is the reading of as_of - 1h; the next hour's mean is the reading of as_of itself.
        assert served["forecast"] == pytest.approx(value(meter, as_of), abs=1e-6)
        assert f"{meter}: next hour {value(meter, as_of):.3f}" in result.stdout


def readme_python_section() -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index("\n## Python\n")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def test_the_readme_example_runs_as_written(new_project, tmp_path: Path) -> None:
    project = loaded(new_project, "py-readme")
    blocks = re.findall(r"```python\n(.*?)```", readme_python_section(), re.S)
    assert len(blocks) == 1
    (tmp_path / "readme_example.py").write_text(blocks[0])
    result = run(["readme_example.py"], project, tmp_path)

    lines = result.stdout.strip().splitlines()
    model = project.client().get_model("load-forecast@production")
    assert model.version == 1 and model.lineage.feature_set == "forecast_basic"
    as_of = project.client().get_online_features("forecast_basic", "kwh", ["meter-1"]).vectors[0].as_of
    for meter, line in zip(["meter-1", "meter-2"], lines[-2:]):
        entity, forecast = line.split()
        assert entity == meter and float(forecast) == pytest.approx(value(meter, as_of), abs=1e-3)
