"""GET /api/v1/experiments/{key}/report: the SPEC §5 JSON shape, CSV, windows, errors and roles."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.api.helpers import assert_error
from tests.report_world import METRIC_KEYS, T0, at, define, write_events

URL = "/api/v1/experiments/exp/report"
WINDOW = {"from": "2026-11-21T13:00:00Z", "to": "2026-11-21T15:00:00+00:00"}


@pytest.fixture
def world(lotty, admin, make_user, clock):
    define(admin, make_user("approver"))
    write_events(lotty)
    clock.now = T0 + timedelta(hours=5)
    return admin


def test_json_has_the_spec_shape(world):
    response = world.get(URL, params=WINDOW)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"experiment", "from", "to", "status", "srm", "variants", "series"}
    assert (body["experiment"], body["status"]) == ("exp", "running")
    assert (body["from"], body["to"]) == ("2026-11-21T13:00:00Z", "2026-11-21T15:00:00Z")
    assert body["srm"] == {
        "p_value": pytest.approx(0.6547208),
        "expected": {"control": 2.5, "treat": 2.5},
        "observed": {"control": 3, "treat": 2},
        "mismatch": False,
    }
    control, treat = body["variants"]
    assert {k: control[k] for k in ("variant", "control", "exposures", "subjects")} == {
        "variant": "control",
        "control": True,
        "exposures": 3,
        "subjects": 3,
    }
    assert list(treat["metrics"]) == METRIC_KEYS
    assert control["metrics"]["revenue"] == {
        "value": 60.0,
        "n": 3,
        "lift": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "significant": False,
    }
    revenue = treat["metrics"]["revenue"]
    assert set(revenue) == {"value", "n", "lift", "ci_low", "ci_high", "p_value", "significant"}
    assert revenue["value"] == 150 and revenue["lift"] == pytest.approx(2.75)
    assert revenue["ci_low"] < revenue["lift"] < revenue["ci_high"]
    first = body["series"][0]
    assert set(first) == {"bucket_start", "variant", "subjects", "metrics"}
    assert (first["bucket_start"], first["variant"], first["subjects"]) == (
        "2026-11-21T13:00:00Z",
        "control",
        2,
    )
    assert first["metrics"]["revenue"] == {"value": 40.0, "n": 2}


def test_csv_has_one_row_per_variant_and_metric(world):
    response = world.get(URL, params={**WINDOW, "format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["variant"], r["metric"]) for r in rows] == [
        (variant, key) for variant in ("control", "treat") for key in METRIC_KEYS
    ]
    revenue = next(r for r in rows if (r["variant"], r["metric"]) == ("treat", "revenue"))
    assert (revenue["kind"], revenue["value"], revenue["n"], revenue["per_subject"]) == (
        "sum",
        "150.0",
        "2",
        "75.0",
    )
    assert revenue["from"] == "2026-11-21T13:00:00Z" and revenue["significant"] in ("true", "false")
    crashes = next(r for r in rows if (r["variant"], r["metric"]) == ("control", "crashes"))
    assert (crashes["guardrail"], crashes["lift"], crashes["p_value"]) == ("true", "", "")


def test_default_window_and_bucket(world):
    body = world.get(URL).json()
    assert body["from"] < "2026-11-21T13:00:00Z" and body["to"].startswith("2026-11-21T18:00:00")
    assert body["variants"][0]["metrics"]["revenue"]["value"] == 130  # c2's purchase at 15:00 is inside
    day = world.get(URL, params={**WINDOW, "bucket": "day"}).json()["series"]
    assert [p["bucket_start"] for p in day] == ["2026-11-21T00:00:00Z"] * 2


def test_an_empty_window_is_zeros_and_nulls_not_an_error(world):
    body = world.get(URL, params={"from": at(3).isoformat(), "to": at(4).isoformat()}).json()
    assert [v["subjects"] for v in body["variants"]] == [0, 0]
    assert body["variants"][1]["metrics"]["buyers"] == {
        "value": None,
        "n": 0,
        "lift": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "significant": False,
    }
    assert body["srm"]["p_value"] is None and body["series"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-11-21T15:00:00Z", "to": "2026-11-21T15:00:00Z"}, "from"),
        ({"from": "2026-11-21T16:00:00Z", "to": "2026-11-21T15:00:00Z"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01T00:00:00Z"}, "to"),
        ({"bucket": "week"}, "bucket"),
    ],
)
def test_bad_windows_and_buckets_are_400(world, params, field):
    assert_error(world.get(URL, params=params), 400, field=field)


def test_bad_format_is_400(world):
    assert_error(world.get(URL, params={"format": "xml"}), 400)


def test_unknown_experiment_is_404(world):
    assert_error(world.get("/api/v1/experiments/nope/report"), 404, "NOT_FOUND")


def test_every_role_but_sdk_reads_reports(world, make_user):
    for role in ("viewer", "approver", "experimenter"):
        assert make_user(role).get(URL).status_code == 200, role
    assert_error(make_user("sdk").get(URL), 403)
    assert_error(world.client.get(URL), 401)
