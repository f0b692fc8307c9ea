"""/schema/openapi.json describes every route with its request and response types."""

from __future__ import annotations

BODYLESS_POSTS = {
    "/api/v1/users/{user_id}/keys",
    "/api/v1/event-types/{key}/archive",
    "/api/v1/metrics/{key}/archive",
    "/api/v1/notifications/channels/{key}/test",
}


def test_openapi_describes_every_route_with_types(client):
    schema = client.get("/schema/openapi.json").json()
    paths = schema["paths"]
    assert "/api/v1/experiments/{key}/complete" in paths
    operations = [(path, method, op) for path, item in paths.items() for method, op in item.items()]
    assert len(operations) >= 35
    for path, method, op in operations:
        assert op.get("summary"), f"{method} {path} has no summary"
        success = [code for code in op["responses"] if code.startswith("2")]
        assert success, f"{method} {path} documents no success response"
        if method in ("post", "put", "patch") and path not in BODYLESS_POSTS:
            assert "requestBody" in op, f"{method} {path} documents no request body"
        for code in success:
            if code != "204" and path.startswith("/api/"):
                content = op["responses"][code].get("content", {})
                assert "application/json" in content, f"{method} {path} {code} has no JSON schema"
    schemas = schema["components"]["schemas"]
    for name in ("FlagSpec", "Flag", "ExperimentSpec", "Experiment", "GuardrailSpec", "CompletionInput"):
        assert name in schemas, name
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
