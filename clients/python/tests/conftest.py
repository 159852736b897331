"""Fixtures: the server named by AIHUB_URL (a real one, started by tests/e2e/python-client.test.ts),
a fresh project per test module, and data loaded through the server's REST ingest routes."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest
import requests

HOUR = timedelta(hours=1)


def _need(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run these tests through tests/e2e/python-client.test.ts (vitest)", returncode=2)
    return value


@pytest.fixture(scope="session")
def hub_url() -> str:
    return _need("AIHUB_URL").rstrip("/")


@pytest.fixture(scope="session")
def admin_key() -> str:
    return _need("AIHUB_ADMIN_KEY")


def rest(url: str, key: str, method: str, path: str, body: Any = None) -> Any:
    """A plain REST call for setting up data (what the client under test does not cover)."""
    response = requests.request(method, url + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=120)
    assert response.ok, f"{method} {path}: {response.status_code} {response.text[:500]}"
    return response.json()


class Project:
    """A project of its own, with an admin key, and a way to load entities and readings into it."""

    def __init__(self, url: str, key: str, name: str) -> None:
        self.url = url
        self.key = key
        self.name = name

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return rest(self.url, self.key, method, path, body)

    def load(self, entities: Iterable[str], readings: Iterable[tuple[str, str, datetime, float]]) -> None:
        """Entities (UTC), then readings ``(entity, metric, ts, value)``, then an aggregate refresh."""
        self.call("POST", "/ai/ingest/entities", {"records": [{"entity_id": e} for e in entities], "strict": True})
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            if batch:
                summary = self.call("POST", "/ai/ingest/readings", {"records": batch, "strict": True})
                assert summary["rejected"] == 0, summary
                batch.clear()

        for entity, metric, ts, value in readings:
            batch.append({"entity_id": entity, "metric": metric, "ts": iso(ts), "value": value})
            if len(batch) == 10_000:
                flush()
        flush()
        self.call("POST", "/ai/aggregates/refresh")

    def client(self, **options: Any):
        from aihub import Client

        return Client(self.url, self.key, **options)


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture(scope="module")
def new_project(hub_url: str, admin_key: str) -> Callable[[str], Project]:
    def make(prefix: str) -> Project:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        created = rest(hub_url, admin_key, "POST", "/ai/projects", {"name": name})
        return Project(hub_url, created["adminKey"]["token"], name)

    return make


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def overwrite_stored_object(bucket: str, key: str, data: bytes) -> None:
    """Replaces an object in the object store behind the server's back (Swift's own API, the account
    the server's S3 key belongs to): how a corrupted or tampered file is made for the integrity tests."""
    endpoint = os.environ["S3_ENDPOINT"].rstrip("/")
    auth = requests.get(
        f"{endpoint}/auth/v1.0",
        headers={"X-Storage-User": os.environ["S3_ACCESS_KEY"], "X-Storage-Pass": os.environ["S3_SECRET_KEY"]},
        timeout=30,
    )
    auth.raise_for_status()
    put = requests.put(
        f"{auth.headers['X-Storage-Url']}/{bucket}/{key}",
        data=data,
        headers={"X-Auth-Token": auth.headers["X-Auth-Token"]},
        timeout=60,
    )
    put.raise_for_status()
