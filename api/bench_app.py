"""The baseline for `lotty bench decide`: a bare Litestar JSON route, served like `lotty serve`."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from litestar import Litestar, post
from litestar.params import JSONBody

ANSWER = {
    "decisions": [
        {
            "flag": f"flag_{i}",
            "value": "red",
            "reason": "experiment_assigned",
            "decision_id": "x" * 104,
            "experiment": f"exp_{i}",
            "experiment_version": 1,
            "variant": "red",
        }
        for i in range(5)
    ]
}


@post("/api/v1/decide", status_code=200, sync_to_thread=False)
def bare_decide(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    """Decodes the same request body and returns a decide-sized answer; no work in between."""
    return ANSWER


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        Litestar([bare_decide]),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
