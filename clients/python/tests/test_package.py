"""The package as installed: from outside the repository, typed, with one error hierarchy, and
importable without pandas."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import aihub


def test_installed_from_outside_the_workspace_with_its_type_marker() -> None:
    installed = Path(aihub.__file__).resolve().parent
    repo = Path(os.environ["AIHUB_REPO"]).resolve()
    assert repo not in installed.parents, installed
    assert (installed / "py.typed").is_file()
    pyproject = tomllib.loads((repo / "clients/python/pyproject.toml").read_text())
    assert aihub.__version__ == pyproject["project"]["version"]
    assert pyproject["project"]["requires-python"] == ">=3.11"
    assert pyproject["project"]["dependencies"] == ["requests>=2.28"]


def test_every_error_is_an_aihub_error_with_code_and_request_id() -> None:
    classes = [getattr(aihub, name) for name in aihub.__all__ if name.endswith("Error")]
    assert len(classes) >= 14
    codes = set()
    for cls in classes:
        assert issubclass(cls, aihub.AihubError)
        error = cls("x", code=None, request_id="r1") if cls is not aihub.ExportFailedError else cls("x", export=None)
        assert error.code and hasattr(error, "request_id") and isinstance(error.field_errors, dict)
        codes.add(error.code)
    assert {"BAD_REQUEST", "UNAUTHORIZED", "NOT_FOUND", "CONFLICT", "INTEGRITY_ERROR", "NETWORK_ERROR"} <= codes


def test_results_are_dataclasses() -> None:
    for cls in (aihub.ModelVersion, aihub.Export, aihub.OnlineFeatures, aihub.OfflineFeatures, aihub.Lineage):
        assert dataclasses.is_dataclass(cls)


def test_importing_does_not_need_pandas() -> None:
    code = "import sys, aihub; assert 'pandas' not in sys.modules and 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_package_and_the_example_type_check_strictly() -> None:
    """mypy --strict over the installed package and the example that uses it (requests, pandas and
    scikit-learn have no type information here, so their imports are taken as untyped)."""
    example = Path(os.environ["AIHUB_REPO"]) / "examples/python/train_and_register.py"
    flags = ["--strict", "--ignore-missing-imports", "--disable-error-code", "import", "--no-incremental"]
    for target in (["-p", "aihub"], [str(example)]):
        result = subprocess.run([sys.executable, "-m", "mypy", *flags, *target], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
