"""Property-based fuzzing of every operation in /schema/openapi.json: no input may cause a 5xx.

schemathesis generates requests from the OpenAPI document (valid ones, and from the coverage phase
boundary and wrong-typed values) and sends them in-process to the Litestar app with an admin key.
The number of examples per operation is bounded so the whole run stays well under a minute.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from lotty.catalog.users import bootstrap_admin
from lotty.instance import Lotty
from lotty.settings import Settings
from tests.conftest import ADMIN_KEY, FakeClock

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
# Bounded for the suite (~30 s on 2 cores); FUZZ_EXAMPLES=500 for a longer hunt.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "30"))


# The document comes from an app that is never started (it opens nothing until its lifespan runs);
# the requests go in-process (ASGI) to an app over a fresh data dir with an admin.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi_schema.to_schema())


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    clock = FakeClock()
    lotty = Lotty(Settings(data_dir=tmp_path_factory.mktemp("fuzz"), secret="s" * 32), clock=clock)
    bootstrap_admin(lotty.store, ADMIN_KEY, clock())
    app = create_app(lotty=lotty)
    with schemathesis.python.asgi.get_client(app) as client:  # runs the app's lifespan first
        client.headers.update(AUTH)
        yield client
    schemathesis.python.asgi.shutdown_lifespans()
    lotty.close()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize="FUZZ_EXAMPLES" not in os.environ,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case: Any, session: Any) -> None:
    case.call_and_validate(base_url="http://testserver", session=session, checks=[not_a_server_error])
