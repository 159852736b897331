"""The known-answer data of the tests: readings made here, and the features feature-spec.md defines for
them, computed here from the raw readings (never asked of the server)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import requests

from conftest import HOUR

T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
ENTITIES = [f"e{i:03d}" for i in range(250)]
HOURS = 48
SET = "py_check"
FEATURES = ["lag_1h", "rolling_3h_mean", "rolling_3h_count", "hour_of_day"]


def readings(e: int) -> list[tuple[datetime, float]]:
    """Two readings per hour, at :10 and :40."""
    out = []
    for h in range(HOURS):
        out.append((T0 + h * HOUR + timedelta(minutes=10), e + h * 0.5))
        out.append((T0 + h * HOUR + timedelta(minutes=40), 2 * e - h * 0.25))
    return out


def mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def expected(entity: str, as_of: datetime, labels: bool = False) -> dict:
    """The row feature-spec.md defines: only readings before H = floor_hour(as_of) count."""
    e = int(entity[1:])
    H = as_of.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    raw = readings(e)
    within = lambda a, b: [v for ts, v in raw if a <= ts < b]  # noqa: E731
    last3 = within(H - 3 * HOUR, H)
    row = {
        "entity_id": entity,
        "as_of": as_of,  # a spine row keeps its own time (online vectors say their hour: see below)
        "lag_1h": mean(within(H - HOUR, H)),
        "rolling_3h_mean": mean(last3),
        "rolling_3h_count": float(len(last3)),
        "hour_of_day": float(H.hour),
    }
    if labels:
        row["label_next_1h"] = mean(within(H, H + HOUR))
    return row


def same(actual: dict, wanted: dict) -> bool:
    if actual.keys() != wanted.keys():
        return False
    for key, value in wanted.items():
        got = actual[key]
        numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (value, got))
        if numbers:
            if not math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-9):
                return False
        elif got != value:
            return False
    return True


def assert_rows(rows: list[dict], wanted: list[dict]) -> None:
    assert len(rows) == len(wanted)
    bad = [(i, r, w) for i, (r, w) in enumerate(zip(rows, wanted)) if not same(r, w)]
    assert not bad, f"{len(bad)} rows differ, first: {bad[0]}"


class Counting(requests.Session):
    """A session that counts the requests it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []
        self.hooks["response"].append(lambda r, *a, **k: self.sent.append(f"{r.request.method} {r.request.path_url}"))
