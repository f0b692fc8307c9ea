"""Flags, event types and metrics: the catalog rules of SPEC §2.1-2.3 over the admin API."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.helpers import assert_error, fresh, serve, user_maker
from tests.conftest import Caller


# Every test here creates things under fresh keys, so one server serves the module (these two fixtures
# shadow conftest's function-scoped ones to keep the file fast).
@pytest.fixture(scope="module")
def admin(tmp_path_factory) -> Iterator[Caller]:
    with serve(tmp_path_factory, "catalog") as server:
        yield server.admin


@pytest.fixture(scope="module")
def make_user(admin: Caller) -> Callable[..., Caller]:
    return user_maker(admin)


@pytest.fixture(scope="module")
def experimenter(make_user) -> Caller:
    return make_user("experimenter")


def created(response: Any) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


# == flags ========================================================================================
VALID_KEYS = ["ab", "a1", "button_color", "a.b-c_d", "a-", "a.", "a__", "z9.9-9_9", "k" + "x" * 127]
INVALID_KEYS = [
    "a", "", "1ab", "_ab", "-ab", ".ab", "Abc", "aBc", "ABC", "a b", " ab", "ab ", "a/b", "a:b", "a*b",
    "ab\n", "a\tb", "k" + "x" * 128, "ключ", "caf\u00e9", "a\u0000b",
]  # fmt: skip


@pytest.mark.parametrize("key", VALID_KEYS, ids=lambda k: f"len{len(k)}-{k[:12]}")
def test_valid_flag_keys_are_accepted(admin, key):
    flag = created(admin.post("/api/v1/flags", {"key": key, "type": "string", "default": "x"}))
    assert flag["key"] == key
    assert admin.get(f"/api/v1/flags/{key}").json()["key"] == key


@pytest.mark.parametrize("key", INVALID_KEYS, ids=lambda k: f"len{len(k)}-{k[:12]!r}")
def test_invalid_flag_keys_are_400_naming_key(admin, key):
    assert_error(
        admin.post("/api/v1/flags", {"key": key, "type": "string", "default": "x"}),
        400,
        "VALIDATION_ERROR",
        "key",
    )
    keys = {f["key"] for f in admin.get("/api/v1/flags", params={"limit": 500}).json()["items"]}
    assert key not in keys


DEFAULTS = [
    ("string", "green", True),
    ("string", "", True),
    ("string", "ünïcode ✓", True),
    ("string", 1, False),
    ("string", 1.5, False),
    ("string", True, False),
    ("string", None, False),
    ("string", ["green"], False),
    ("string", {"v": "green"}, False),
    ("number", 0, True),
    ("number", 42, True),
    ("number", -1.25, True),
    ("number", 1e300, True),
    ("number", True, False),
    ("number", False, False),
    ("number", "1", False),
    ("number", None, False),
    ("number", [1], False),
    ("number", {"n": 1}, False),
    ("boolean", True, True),
    ("boolean", False, True),
    ("boolean", 0, False),
    ("boolean", 1, False),
    ("boolean", "true", False),
    ("boolean", None, False),
    ("boolean", [True], False),
    ("json", {"a": [1, "b", None, True]}, True),
    ("json", [1, 2], True),
    ("json", {}, True),
    ("json", "text", True),
    ("json", 3, True),
    ("json", False, True),
    # a default is what everyone is served when nothing else applies; null is how decide says
    # "unknown flag" (SPEC §3), so no flag type takes null as its default
    ("json", None, False),
]


@pytest.mark.parametrize(("flag_type", "default", "ok"), DEFAULTS, ids=lambda v: repr(v)[:20])
def test_the_default_must_match_the_type(admin, flag_type, default, ok):
    key = fresh(f"d_{flag_type}_")
    response = admin.post("/api/v1/flags", {"key": key, "type": flag_type, "default": default})
    if ok:
        flag = created(response)
        shown = admin.get(f"/api/v1/flags/{key}").json()
        for body in (flag, shown):
            assert body["type"] == flag_type
            assert body["default"] == default and type(body["default"]) is type(default)
    else:
        error = assert_error(response, 400, "VALIDATION_ERROR", "default")
        assert flag_type in error["message"]
        assert_error(admin.get(f"/api/v1/flags/{key}"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "body",
    [
        {"type": "integer", "default": 1},
        {"type": None, "default": 1},
        {"default": "x"},
        {"type": "string"},
        {"type": "string", "default": "x", "owner": "me"},
    ],
    ids=["unknown-type", "null-type", "no-type", "no-default", "unknown-field"],
)
def test_flag_body_shape_is_checked(admin, body):
    key = fresh("shape_")
    assert_error(admin.post("/api/v1/flags", {"key": key, **body}), 400, "VALIDATION_ERROR")
    assert_error(admin.get(f"/api/v1/flags/{key}"), 404)


def test_flag_shape_and_experimenters_create_flags(admin, experimenter):
    flag = created(
        experimenter.post(
            "/api/v1/flags", {"key": "shape_flag", "type": "number", "default": 3, "description": "d"}
        )
    )
    assert {"key", "type", "default", "description", "created_at", "updated_at"} <= set(flag)
    assert (flag["type"], flag["default"], flag["description"]) == ("number", 3, "d")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)", flag["created_at"])
    assert admin.get("/api/v1/flags/shape_flag").json() == flag


def test_a_duplicate_flag_key_is_409_and_keeps_the_first(admin):
    created(admin.post("/api/v1/flags", {"key": "dup_flag", "type": "string", "default": "first"}))
    for body in (
        {"key": "dup_flag", "type": "string", "default": "second"},
        {"key": "dup_flag", "type": "number", "default": 2},
    ):
        assert_error(admin.post("/api/v1/flags", body), 409, "DUPLICATE_KEY")
    flag = admin.get("/api/v1/flags/dup_flag").json()
    assert (flag["type"], flag["default"]) == ("string", "first")


def test_patch_changes_default_and_description_only(admin, experimenter):
    flag = created(admin.post("/api/v1/flags", {"key": "patch_me", "type": "string", "default": "a"}))
    response = experimenter.patch("/api/v1/flags/patch_me", {"default": "b"})
    assert response.status_code == 200, response.text
    assert response.json()["default"] == "b" and response.json()["description"] == ""
    response = experimenter.patch("/api/v1/flags/patch_me", {"description": "now documented"})
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["default"] == "b" and after["description"] == "now documented"
    assert after["created_at"] == flag["created_at"] and after["updated_at"] > flag["updated_at"]
    assert admin.get("/api/v1/flags/patch_me").json() == after


@pytest.mark.parametrize(
    ("field", "value"),
    [("type", "number"), ("key", "renamed"), ("created_at", "2020-01-01T00:00:00Z"), ("owner", "me")],
)
def test_patch_rejects_every_other_field(admin, field, value):
    key = fresh("frozen_")
    flag = created(admin.post("/api/v1/flags", {"key": key, "type": "string", "default": "a"}))
    error = assert_error(admin.patch(f"/api/v1/flags/{key}", {field: value}), 400, "VALIDATION_ERROR")
    assert field in error["message"]
    error = assert_error(admin.patch(f"/api/v1/flags/{key}", {"default": "b", field: value}), 400)
    assert admin.get(f"/api/v1/flags/{key}").json() == flag


@pytest.mark.parametrize(
    ("flag_type", "default", "bad"),
    [
        ("string", "a", 1),
        ("string", "a", None),
        ("number", 1, "1"),
        ("number", 1, True),
        ("number", 1, None),
        ("boolean", True, 1),
        ("boolean", True, "false"),
        ("boolean", True, None),
        ("json", {"a": 1}, None),
    ],
    ids=lambda v: repr(v)[:12],
)
def test_patch_default_of_the_wrong_type_is_400(admin, flag_type, default, bad):
    key = fresh(f"wrong_{flag_type}_")
    flag = created(admin.post("/api/v1/flags", {"key": key, "type": flag_type, "default": default}))
    assert_error(admin.patch(f"/api/v1/flags/{key}", {"default": bad}), 400, "VALIDATION_ERROR", "default")
    assert admin.get(f"/api/v1/flags/{key}").json() == flag


def test_a_flag_description_has_a_length_limit(admin):
    body = {"key": "long_doc", "type": "string", "default": "a", "description": "d" * 10_001}
    assert_error(admin.post("/api/v1/flags", body), 400, "VALIDATION_ERROR", "description")
    created(admin.post("/api/v1/flags", {**body, "description": "d" * 10_000}))
    assert_error(
        admin.patch("/api/v1/flags/long_doc", {"description": "d" * 10_001}), 400, field="description"
    )


def test_unknown_flags_are_404(admin):
    assert_error(admin.get("/api/v1/flags/no_such_flag"), 404, "NOT_FOUND")
    assert_error(admin.patch("/api/v1/flags/no_such_flag", {"default": "x"}), 404, "NOT_FOUND")


@pytest.mark.parametrize("role", ["approver", "viewer"])
def test_only_editors_create_or_change_flags(admin, make_user, role):
    caller = make_user(role)
    created(admin.post("/api/v1/flags", {"key": f"locked_{role}", "type": "string", "default": "a"}))
    assert_error(caller.post("/api/v1/flags", {"key": f"mine_{role}", "type": "string", "default": "a"}), 403)
    assert_error(caller.patch(f"/api/v1/flags/locked_{role}", {"default": "b"}), 403, "FORBIDDEN")
    assert admin.get(f"/api/v1/flags/locked_{role}").json()["default"] == "a"


# == event types ==================================================================================
def test_exposure_is_built_in_and_needs_no_exposure(admin):
    exposure = admin.get("/api/v1/event-types/exposure")
    assert exposure.status_code == 200, exposure.text
    assert exposure.json()["requires_exposure"] is False and exposure.json()["archived"] is False
    listed = admin.get("/api/v1/event-types", params={"limit": 500}).json()["items"]
    assert "exposure" in {e["key"] for e in listed}


def test_exposure_cannot_be_archived_or_made_to_require_exposure(admin, experimenter):
    for caller in (admin, experimenter):
        assert_error(caller.post("/api/v1/event-types/exposure/archive"), 409)
    assert_error(admin.patch("/api/v1/event-types/exposure", {"requires_exposure": True}), 400)
    shown = admin.get("/api/v1/event-types/exposure").json()
    assert shown["archived"] is False and shown["requires_exposure"] is False
    assert_error(admin.post("/api/v1/event-types", {"key": "exposure"}), 409, "DUPLICATE_KEY")


def test_archived_event_types_are_hidden_unless_asked_for(admin, experimenter):
    created(experimenter.post("/api/v1/event-types", {"key": "old_click"}))
    created(experimenter.post("/api/v1/event-types", {"key": "new_click"}))
    response = experimenter.post("/api/v1/event-types/old_click/archive")
    assert response.status_code == 200, response.text
    assert response.json()["archived"] is True

    def keys(**params: Any) -> set[str]:
        response = admin.get("/api/v1/event-types", params={"limit": 500, **params})
        assert response.status_code == 200, response.text
        return {e["key"] for e in response.json()["items"]}

    assert "old_click" not in keys() and "new_click" in keys()
    assert "old_click" not in keys(include_archived="false")
    assert {"old_click", "new_click", "exposure"} <= keys(include_archived="true")
    assert admin.get("/api/v1/event-types/old_click").json()["archived"] is True
    assert_error(admin.get("/api/v1/event-types", params={"include_archived": "maybe"}), 400)


def test_event_type_properties_round_trip(admin):
    properties = {
        "amount": {"type": "number", "required": True},
        "sku": {"type": "string"},
        "gift": {"type": "boolean", "required": False},
        "paid_at": {"type": "timestamp", "required": True},
        "_private9": {"type": "string"},
    }
    body = {
        "key": "purchase_rt",
        "description": "a purchase",
        "requires_exposure": False,
        "properties": properties,
    }
    event_type = created(admin.post("/api/v1/event-types", body))
    assert {"key", "description", "requires_exposure", "properties", "archived"} <= set(event_type)
    assert event_type["requires_exposure"] is False and event_type["archived"] is False
    expected = {name: {"required": False, **spec} for name, spec in properties.items()}
    assert event_type["properties"] == expected
    assert admin.get("/api/v1/event-types/purchase_rt").json()["properties"] == expected


BAD_PROPERTY_SPECS = [
    {"type": "int"},
    {"type": "float"},
    {"type": "object"},
    {"type": "Number"},
    {"type": None},
    {"type": 1},
    {},
    {"type": "number", "required": "yes"},
    {"type": "number", "min": 0},
    "number",
    None,
]


@pytest.mark.parametrize("spec", BAD_PROPERTY_SPECS, ids=repr)
def test_a_bad_property_type_is_400(admin, spec):
    key = fresh("badprop_")
    body = {"key": key, "properties": {"amount": spec}}
    assert_error(admin.post("/api/v1/event-types", body), 400, "VALIDATION_ERROR")
    assert_error(admin.get(f"/api/v1/event-types/{key}"), 404)
    created(admin.post("/api/v1/event-types", {"key": key}))
    assert_error(admin.patch(f"/api/v1/event-types/{key}", {"properties": {"amount": spec}}), 400)
    assert admin.get(f"/api/v1/event-types/{key}").json()["properties"] == {}


BAD_PROPERTY_NAMES = ["1a", "a-b", "a b", "a.b", "", " ", "ключ", "x" * 65, "a$"]


@pytest.mark.parametrize("name", BAD_PROPERTY_NAMES, ids=repr)
def test_a_bad_property_name_is_400_naming_it(admin, name):
    key = fresh("badname_")
    body = {"key": key, "properties": {name: {"type": "number"}}}
    assert_error(admin.post("/api/v1/event-types", body), 400, "VALIDATION_ERROR", f"properties.{name}")
    created(admin.post("/api/v1/event-types", {"key": key}))
    patch = {"properties": {"ok": {"type": "string"}, name: {"type": "number"}}}
    assert_error(admin.patch(f"/api/v1/event-types/{key}", patch), 400, field=f"properties.{name}")
    assert admin.get(f"/api/v1/event-types/{key}").json()["properties"] == {}


def test_event_type_keys_follow_the_key_pattern_and_are_unique(admin):
    for key in ("Click", "1click", "c", "click event"):
        assert_error(admin.post("/api/v1/event-types", {"key": key}), 400, field="key")
    created(admin.post("/api/v1/event-types", {"key": "unique_click"}))
    assert_error(admin.post("/api/v1/event-types", {"key": "unique_click"}), 409, "DUPLICATE_KEY")
    assert_error(admin.get("/api/v1/event-types/never_made"), 404, "NOT_FOUND")
    assert_error(admin.post("/api/v1/event-types/never_made/archive"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/v1/flags", {"key": "named_1", "type": "integer", "default": 1}, "type"),
        (
            "POST",
            "/api/v1/event-types",
            {"key": "named_2", "properties": {"a": {"type": "int"}}},
            "properties",
        ),
        ("POST", "/api/v1/metrics", {"key": "named_3", "kind": "count", "percentile": "x"}, "percentile"),
        pytest.param(
            "POST",
            "/api/v1/metrics",
            {"key": "named_4", "event_type": "exposure"},
            "kind",
        ),
        pytest.param("PATCH", "/api/v1/flags/{flag}", {"type": "json"}, "type"),
    ],
    ids=["flag-type", "property-type", "percentile-type", "missing-kind", "unknown-field"],
)
def test_decode_errors_name_their_field(admin, method, path, body, field):
    flag = created(
        admin.post("/api/v1/flags", {"key": fresh("named_flag_"), "type": "string", "default": "x"})
    )
    path = path.format(flag=flag["key"])
    error = assert_error(admin.client.request(method, path, json=body, headers=admin._headers()), 400)
    assert str(error["details"].get("field", "")).startswith(field), error


# == metrics ======================================================================================
@pytest.fixture(scope="module")
def events(admin) -> dict[str, str]:
    """Event types the metric tests refer to: purchase (typed properties), visit, and an archived one."""
    properties = {
        "amount": {"type": "number"},
        "sku": {"type": "string"},
        "gift": {"type": "boolean"},
        "paid_at": {"type": "timestamp"},
    }
    created(admin.post("/api/v1/event-types", {"key": "purchase", "properties": properties}))
    created(admin.post("/api/v1/event-types", {"key": "visit"}))
    created(
        admin.post("/api/v1/event-types", {"key": "retired", "properties": {"amount": {"type": "number"}}})
    )
    assert admin.post("/api/v1/event-types/retired/archive").status_code == 200
    return {"purchase": "purchase", "visit": "visit", "retired": "retired"}


REQUIRED = {
    "count": ("event_type",),
    "conversion": ("event_type",),
    "ratio": ("numerator", "denominator"),
    "sum": ("event_type", "property"),
    "average": ("event_type", "property"),
    "percentile": ("event_type", "property", "percentile"),
}
# A valid value for every definition field (property "amount" is a number property of "purchase").
FIELD_VALUES = {
    "event_type": "purchase",
    "numerator": "purchase",
    "denominator": "visit",
    "property": "amount",
    "percentile": 0.95,
}


def definition(kind: str) -> dict[str, Any]:
    return {"kind": kind, **{field: FIELD_VALUES[field] for field in REQUIRED[kind]}}


@pytest.mark.parametrize("kind", list(REQUIRED))
def test_each_kind_with_its_fields_is_created(admin, events, experimenter, kind):
    key = fresh(f"ok_{kind}_")
    metric = created(experimenter.post("/api/v1/metrics", {"key": key, **definition(kind)}))
    assert metric["key"] == key and metric["kind"] == kind
    for field, value in FIELD_VALUES.items():
        assert metric.get(field) == (value if field in REQUIRED[kind] else None), field
    assert metric["higher_is_better"] is True and metric["archived"] is False
    assert {"key", "name", "description", "kind", "higher_is_better", "archived"} <= set(metric)
    assert admin.get(f"/api/v1/metrics/{key}").json() == metric


MISSING = [(kind, field) for kind, fields in REQUIRED.items() for field in fields]
EXTRA = [(kind, field) for kind in REQUIRED for field in FIELD_VALUES if field not in REQUIRED[kind]]


@pytest.mark.parametrize(("kind", "field"), MISSING, ids=lambda v: v)
def test_a_missing_field_of_the_kind_is_400_naming_it(admin, events, kind, field):
    key = fresh("missing_")
    body = {"key": key, **definition(kind)}
    del body[field]
    error = assert_error(admin.post("/api/v1/metrics", body), 400, "VALIDATION_ERROR", field)
    assert field in error["message"]
    body[field] = None
    assert_error(admin.post("/api/v1/metrics", body), 400, "VALIDATION_ERROR", field)
    assert_error(admin.get(f"/api/v1/metrics/{key}"), 404)


@pytest.mark.parametrize(("kind", "field"), EXTRA, ids=lambda v: v)
def test_a_field_the_kind_does_not_take_is_400_naming_it(admin, events, kind, field):
    key = fresh("extra_")
    body = {"key": key, **definition(kind), field: FIELD_VALUES[field]}
    error = assert_error(admin.post("/api/v1/metrics", body), 400, "VALIDATION_ERROR", field)
    assert field in error["message"]
    assert_error(admin.get(f"/api/v1/metrics/{key}"), 404)


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("count", "event_type", "no_such_event"),
        ("count", "event_type", "retired"),
        ("conversion", "event_type", "retired"),
        ("ratio", "numerator", "no_such_event"),
        ("ratio", "numerator", "retired"),
        ("ratio", "denominator", "no_such_event"),
        ("ratio", "denominator", "retired"),
        ("sum", "event_type", "retired"),
        ("percentile", "event_type", "no_such_event"),
    ],
    ids=lambda v: v,
)
def test_unknown_or_archived_event_types_are_400(admin, events, kind, field, value):
    body = {"key": fresh("evt_"), **definition(kind), field: value}
    error = assert_error(admin.post("/api/v1/metrics", body), 400, "VALIDATION_ERROR", field)
    assert value in error["message"]


@pytest.mark.parametrize("kind", ["sum", "average", "percentile"])
@pytest.mark.parametrize("prop", ["sku", "gift", "paid_at", "missing", "Amount"])
def test_the_property_must_be_a_number_property_of_the_event_type(admin, events, kind, prop):
    body = {"key": fresh("prop_"), **definition(kind), "property": prop}
    assert_error(admin.post("/api/v1/metrics", body), 400, "VALIDATION_ERROR", "property")


def test_a_property_of_another_event_type_does_not_count(admin, events):
    # "amount" is a number property of purchase, not of visit (nor of the built-in exposure)
    for event_type in ("visit", "exposure"):
        body = {"key": fresh("other_"), "kind": "sum", "event_type": event_type, "property": "amount"}
        assert_error(admin.post("/api/v1/metrics", body), 400, "VALIDATION_ERROR", "property")


@pytest.mark.parametrize(("p", "ok"), [(0.5, True), (0.01, True), (0.999, True), (0, False), (1, False),
                                       (-0.5, False), (1.5, False), (100, False), (95, False)])  # fmt: skip
def test_percentile_is_strictly_between_0_and_1(admin, events, p, ok):
    key = fresh("pct_")
    response = admin.post("/api/v1/metrics", {"key": key, **definition("percentile"), "percentile": p})
    if ok:
        assert created(response)["percentile"] == p
    else:
        assert_error(response, 400, "VALIDATION_ERROR", "percentile")
        assert_error(admin.get(f"/api/v1/metrics/{key}"), 404)


@pytest.mark.parametrize(
    "body",
    [{"kind": "median", "event_type": "purchase"}, {"kind": None, "event_type": "purchase"},
     {"event_type": "purchase"}, {"kind": "count", "event_type": "purchase", "window": 7},
     {"kind": "count", "event_type": "purchase", "percentile": "high"}],
    ids=["unknown-kind", "null-kind", "no-kind", "unknown-field", "percentile-not-number"],
)  # fmt: skip
def test_metric_body_shape_is_checked(admin, events, body):
    key = fresh("mshape_")
    assert_error(admin.post("/api/v1/metrics", {"key": key, **body}), 400, "VALIDATION_ERROR")
    assert_error(admin.get(f"/api/v1/metrics/{key}"), 404)


def test_a_metric_is_named_after_its_key_unless_named(admin, events):
    assert (
        created(admin.post("/api/v1/metrics", {"key": "unnamed", **definition("count")}))["name"] == "unnamed"
    )
    body = {"key": "named", "name": "Named", **definition("count")}
    assert created(admin.post("/api/v1/metrics", body))["name"] == "Named"
    for name in ("", "  ", "n" * 201):
        body = {"key": fresh("badname_m"), "name": name, **definition("count")}
        assert_error(admin.post("/api/v1/metrics", body), 400, "VALIDATION_ERROR", "name")


def test_metric_keys_are_checked_and_unique(admin, events):
    assert_error(admin.post("/api/v1/metrics", {"key": "Revenue", **definition("count")}), 400, field="key")
    created(admin.post("/api/v1/metrics", {"key": "unique_metric", **definition("count")}))
    assert_error(
        admin.post("/api/v1/metrics", {"key": "unique_metric", **definition("sum")}), 409, "DUPLICATE_KEY"
    )
    assert admin.get("/api/v1/metrics/unique_metric").json()["kind"] == "count"


def test_patch_cannot_change_the_kind_or_break_the_definition(admin, events):
    key = fresh("mpatch_")
    metric = created(admin.post("/api/v1/metrics", {"key": key, **definition("sum")}))
    assert_error(admin.patch(f"/api/v1/metrics/{key}", {"kind": "count"}), 400, "VALIDATION_ERROR")
    assert_error(admin.patch(f"/api/v1/metrics/{key}", {"property": "sku"}), 400, field="property")
    assert_error(admin.patch(f"/api/v1/metrics/{key}", {"percentile": 0.5}), 400, field="percentile")
    assert_error(admin.patch(f"/api/v1/metrics/{key}", {"event_type": "retired"}), 400, field="event_type")
    assert_error(admin.patch(f"/api/v1/metrics/{key}", {"property": None}), 400, field="property")
    assert_error(admin.patch(f"/api/v1/metrics/{key}", {"name": " "}), 400, field="name")
    assert admin.get(f"/api/v1/metrics/{key}").json() == metric
    response = admin.patch(f"/api/v1/metrics/{key}", {"name": "Revenue", "higher_is_better": False})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Revenue" and response.json()["higher_is_better"] is False


def test_the_exposures_metric_is_built_in_and_cannot_be_archived(admin, experimenter):
    exposures = admin.get("/api/v1/metrics/exposures")
    assert exposures.status_code == 200, exposures.text
    metric = exposures.json()
    assert (metric["kind"], metric["event_type"], metric["archived"]) == ("count", "exposure", False)
    listed = admin.get("/api/v1/metrics", params={"limit": 500}).json()["items"]
    assert "exposures" in {m["key"] for m in listed}
    for caller in (admin, experimenter):
        assert_error(caller.post("/api/v1/metrics/exposures/archive"), 409)
    assert_error(admin.patch("/api/v1/metrics/exposures", {"event_type": "purchase"}), 409)
    assert admin.get("/api/v1/metrics/exposures").json()["archived"] is False
    assert_error(admin.post("/api/v1/metrics", {"key": "exposures", **definition("count")}), 409)


def test_archived_metrics_are_hidden_unless_asked_for(admin, events):
    key = fresh("marchive_")
    created(admin.post("/api/v1/metrics", {"key": key, **definition("count")}))
    response = admin.post(f"/api/v1/metrics/{key}/archive")
    assert response.status_code == 200 and response.json()["archived"] is True
    listed = {m["key"] for m in admin.get("/api/v1/metrics", params={"limit": 500}).json()["items"]}
    assert key not in listed
    params = {"limit": 500, "include_archived": "true"}
    assert key in {m["key"] for m in admin.get("/api/v1/metrics", params=params).json()["items"]}
    assert admin.get(f"/api/v1/metrics/{key}").json()["archived"] is True
    assert_error(admin.post("/api/v1/metrics/no_such_metric/archive"), 404, "NOT_FOUND")


# -- a metric guarding a live experiment -----------------------------------------------------------
GUARDRAIL = {"operator": ">", "threshold": 1, "window_minutes": 60, "action": "pause"}


def guarded_experiment(admin: Caller, make_user: Callable[..., Caller], metric: str, *, start: bool) -> tuple:
    """An experiment (running when `start`) with a guardrail on `metric`; (owner, experiment key)."""
    owner, approver = make_user("experimenter"), make_user("approver")
    key = fresh("exp_")
    created(owner.post("/api/v1/flags", {"key": f"{key}_flag", "type": "string", "default": "a"}))
    variants = [
        {"name": "control", "value": "a", "weight": 50, "control": True},
        {"name": "treatment", "value": "b", "weight": 50},
    ]
    created(owner.post("/api/v1/experiments", {"key": key, "flag": f"{key}_flag", "variants": variants}))
    if start:
        for caller, action in ((owner, "submit"), (approver, "approve"), (owner, "start")):
            response = caller.post(f"/api/v1/experiments/{key}/{action}")
            assert response.status_code == 200, response.text
        assert admin.get(f"/api/v1/experiments/{key}").json()["status"] == "running"
    created(owner.post(f"/api/v1/experiments/{key}/guardrails", {"metric": metric, **GUARDRAIL}))
    return owner, key


def test_a_metric_guarding_a_running_or_paused_experiment_cannot_be_archived(admin, make_user, events):
    metric = fresh("guarded_")
    created(admin.post("/api/v1/metrics", {"key": metric, **definition("count")}))
    owner, key = guarded_experiment(admin, make_user, metric, start=True)
    error = assert_error(admin.post(f"/api/v1/metrics/{metric}/archive"), 409)
    assert key in str(error["details"]) or key in error["message"]
    assert_error(owner.post(f"/api/v1/metrics/{metric}/archive"), 409)
    assert owner.post(f"/api/v1/experiments/{key}/pause").json()["status"] == "paused"
    assert_error(admin.post(f"/api/v1/metrics/{metric}/archive"), 409)
    assert admin.get(f"/api/v1/metrics/{metric}").json()["archived"] is False
    done = owner.post(f"/api/v1/experiments/{key}/complete", {"outcome": "no_effect", "comment": "flat"})
    assert done.status_code == 200, done.text
    response = admin.post(f"/api/v1/metrics/{metric}/archive")
    assert response.status_code == 200, response.text
    assert response.json()["archived"] is True


def test_a_guardrail_of_a_draft_experiment_does_not_hold_a_metric(admin, make_user, events):
    metric = fresh("drafted_")
    created(admin.post("/api/v1/metrics", {"key": metric, **definition("conversion")}))
    guarded_experiment(admin, make_user, metric, start=False)
    response = admin.post(f"/api/v1/metrics/{metric}/archive")
    assert response.status_code == 200, response.text
    assert response.json()["archived"] is True
