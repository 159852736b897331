"""Online and offline features through the client, against values computed here from the raw readings
by feature-spec.md (never asked of the server), at and past the server's per-request limits."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import aihub
from conftest import HOUR, Project
from meters import ENTITIES, FEATURES, HOURS, SET, T0, Counting, assert_rows, expected, readings, same


@pytest.fixture(scope="module")
def project(new_project) -> Project:
    p = new_project("py-features")
    p.load(ENTITIES, ((f"e{e:03d}", "kwh", ts, v) for e in range(len(ENTITIES)) for ts, v in readings(e)))
    p.call("POST", "/ai/features/sets", {"name": SET, "features": FEATURES})
    return p


def spine(n: int) -> list[tuple[str, datetime]]:
    """n rows cycling over every entity, as-of times inside hours 1..40 at varying minutes."""
    return [
        (ENTITIES[i % len(ENTITIES)], T0 + (1 + (i // len(ENTITIES)) % 40) * HOUR + timedelta(minutes=i % 60))
        for i in range(n)
    ]


def test_a_spine_of_10000_rows_is_one_request(project: Project) -> None:
    session = Counting()
    rows = spine(10_000)
    got = project.client(session=session).get_offline_features(SET, "kwh", rows, labels=True)
    assert session.sent == ["POST /ai/features/offline"]
    assert got.requests == 1 and got.columns == FEATURES and got.labels
    assert_rows(list(got), [expected(e, t, labels=True) for e, t in rows])


def test_a_spine_of_10001_rows_takes_two_requests_in_order(project: Project) -> None:
    session = Counting()
    rows = spine(10_001)
    rows[-1] = ("e007", T0 + 47 * HOUR + timedelta(minutes=59))  # the last hour: its label is there
    got = project.client(session=session).get_offline_features(f"{SET}@1", "kwh", rows, labels=True)
    assert session.sent == ["POST /ai/features/offline"] * 2
    assert_rows(got.rows, [expected(e, t, labels=True) for e, t in rows])
    assert got.rows[-1]["label_next_1h"] == pytest.approx((7 + 47 * 0.5 + 14 - 47 * 0.25) / 2)


def test_spine_as_dicts_and_as_a_dataframe(project: Project) -> None:
    pandas = pytest.importorskip("pandas")
    hub = project.client()
    as_dicts = [{"entity_id": "e001", "as_of": T0 + 5 * HOUR}, {"entityId": "e002", "asOf": "2026-01-05T06:30:00Z"}]
    frame_in = pandas.DataFrame({"entity_id": ["e001", "e002"], "as_of": pandas.to_datetime(["2026-01-05T05:00Z", "2026-01-05T06:30Z"])})
    wanted = [expected("e001", T0 + 5 * HOUR), expected("e002", T0 + timedelta(hours=6, minutes=30))]
    assert_rows(hub.get_offline_features(SET, "kwh", as_dicts).rows, wanted)
    frame = hub.get_offline_features(SET, "kwh", frame_in, as_frame=True)
    assert list(frame.columns) == ["entity_id", "as_of", *FEATURES]
    assert str(frame["as_of"].dtype) == "datetime64[ns, UTC]"
    assert frame["lag_1h"].tolist() == pytest.approx([wanted[0]["lag_1h"], wanted[1]["lag_1h"]])


def test_a_range_of_every_entity_over_10000_rows_is_paged(project: Project) -> None:
    # 250 entities x 48 hours = 12,000 rows: one hour first (250 rows), then blocks of 40 hours.
    session = Counting()
    got = project.client(session=session).get_offline_features(SET, "kwh", range=(T0, T0 + HOURS * HOUR), labels=True)
    assert len(session.sent) == 3
    wanted = [expected(e, T0 + h * HOUR, labels=True) for e in ENTITIES for h in range(HOURS)]
    assert_rows(got.rows, wanted)
    # Judged per request: only the first hour (no reading before T0 at all) is empty, and says so.
    assert got.warnings == [
        "hours [2026-01-05T00:00:00.000Z, 2026-01-05T01:00:00.000Z): 250 of 250 rows have no readings: is the range right?"
    ]


def test_a_range_of_named_entities(project: Project) -> None:
    session = Counting()
    start = T0 + timedelta(hours=2, minutes=30)  # whole hours from 03:00
    got = project.client(session=session).get_offline_features(
        SET, "kwh", range=(start, "2026-01-05T09:00:00Z"), entity_ids=["e010", "e002"]
    )
    assert len(session.sent) == 1
    assert_rows(got.rows, [expected(e, T0 + h * HOUR) for e in ["e002", "e010"] for h in range(3, 9)])
    frame = got.to_pandas()
    assert frame.shape == (12, 2 + len(FEATURES))


def test_online_features_point_in_time_with_an_unknown_entity(project: Project) -> None:
    at = T0 + timedelta(hours=5, minutes=30)
    got = project.client().get_online_features(SET, "kwh", ["e001", "e002", "nope"], as_of=at)
    assert got.columns == FEATURES and len(got) == 3
    rows = list(got)
    for row, entity in zip(rows[:2], ["e001", "e002"]):
        meta = {k: row.pop(k) for k in ("source", "stale", "status")}
        assert meta["status"] == "ok" and meta["source"] in ("online", "offline")
        assert same(row, {**expected(entity, at), "as_of": T0 + 5 * HOUR}), row
    assert rows[2]["status"] == "unknown_entity" and rows[2]["source"] == "none"
    assert [rows[2][f] for f in FEATURES] == [None] * 4
    frame = project.client().get_online_features(SET, "kwh", ["e003"], as_of=at, as_frame=True)
    assert list(frame.columns) == ["entity_id", "as_of", *FEATURES, "source", "stale", "status"]
    assert frame.loc[0, "lag_1h"] == pytest.approx(expected("e003", at)["lag_1h"])


def test_online_features_at_and_over_1000_entities(project: Project) -> None:
    at = T0 + 10 * HOUR
    ids = ENTITIES + [f"x{i:04d}" for i in range(750)]  # 1,000 ids
    session = Counting()
    got = project.client(session=session).get_online_features(SET, "kwh", ids, as_of=at)
    assert len(session.sent) == 1 and [v.entity_id for v in got.vectors] == ids
    got = project.client(session=session).get_online_features(SET, "kwh", [*ids, "e100"], as_of=at)
    assert len(session.sent) == 3 and len(got) == 1001
    assert sum(v.status == "unknown_entity" for v in got.vectors) == 750
    last = got.vectors[-1]
    assert last.entity_id == "e100" and last.values["lag_1h"] == pytest.approx(expected("e100", at)["lag_1h"])


def test_errors_carry_code_message_request_id_and_fields(project: Project, hub_url: str) -> None:
    hub = project.client()
    with pytest.raises(aihub.BadRequestError) as bad:
        hub.get_offline_features(SET, "kwhh", [("e001", T0 + 5 * HOUR)])
    error = bad.value
    assert isinstance(error, aihub.AihubError)
    assert error.code == "BAD_REQUEST" and error.status == 400
    assert "kwhh" in error.message and "metric" in error.field_errors
    assert error.request_id and error.request_id in str(error)

    session = Counting()
    with pytest.raises(aihub.InvalidInputError) as naive:
        project.client(session=session).get_online_features(SET, "kwh", ["e001"], as_of=datetime(2026, 1, 5, 5))
    assert naive.value.code == "BAD_REQUEST" and "as_of" in naive.value.field_errors
    assert isinstance(naive.value, ValueError) and session.sent == []

    with pytest.raises(aihub.BadRequestError) as zoneless:
        hub.get_online_features(SET, "kwh", ["e001"], as_of="2026-01-05T05:00:00")
    assert zoneless.value.request_id and zoneless.value.field_errors

    with pytest.raises(aihub.UnauthorizedError) as unauthorized:
        aihub.Client(hub_url, "aihub_nopenope_" + "x" * 43).feature_sets()
    assert unauthorized.value.code == "UNAUTHORIZED" and unauthorized.value.request_id

    with pytest.raises(aihub.NotFoundError) as missing:
        hub.get_model("no-such-model@1")
    assert missing.value.code == "NOT_FOUND" and missing.value.status == 404


def test_a_wrong_address_is_said_so(project: Project) -> None:
    import os

    with pytest.raises(aihub.NotAihubError) as not_hub:
        aihub.Client(os.environ["S3_ENDPOINT"], project.key).feature_sets()  # the object store, not AI Hub
    assert not_hub.value.code == "NOT_AIHUB"
    with pytest.raises(aihub.TransportError) as unreachable:
        aihub.Client("http://127.0.0.1:9", project.key, timeout=5).feature_sets()
    assert unreachable.value.code == "NETWORK_ERROR" and unreachable.value.request_id is None
