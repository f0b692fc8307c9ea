"""HTTP load for benchmarks: a server pinned to CPU 0, wrk pinned to CPU 1, figures parsed."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cpu: int, command: list[str]) -> list[str]:
    cores = os.cpu_count() or 1
    return ["taskset", "-c", str(cpu), *command] if shutil.which("taskset") and cores > 1 else command


def serve(kind: str, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    """`lotty serve` on `data_dir`, or (kind "bare") the bare Litestar baseline of api/bench_app.py."""
    if kind == "lotty":
        command = [
            sys.executable,
            "-m",
            "lotty.cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
        ]
    else:
        command = [sys.executable, "-m", "api.bench_app", "--port", str(port)]
    return subprocess.Popen(
        pinned(0, command), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until the server answers HTTP at all (the bare baseline has no /ready)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(f"server on port {port} never answered")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(
    port: int, path: str, script: Path, seconds: int, connections: int, server_pid: int | None = None
) -> dict[str, float]:
    """One wrk run; raises when any answer was not 2xx/3xx (a benchmark of errors measures nothing).

    With `server_pid`, also the server's CPU time per request (`cpu_us`): on a shared machine the
    throughput depends on what else runs, the CPU a request costs much less.
    """
    cpu_before = cpu_seconds(server_pid) if server_pid is not None else None
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(pinned(1, command), capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {
        p: float(v) * _UNITS[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses:\n{out}")
    figures = {"rps": rps, "p50_ms": latency["50"], "p99_ms": latency["99"]}
    cpu_after = cpu_seconds(server_pid) if server_pid is not None else None
    requests = re.search(r"(\d+) requests in", out)
    if cpu_before is not None and cpu_after is not None and requests and int(requests.group(1)):
        figures["cpu_us"] = (cpu_after - cpu_before) / int(requests.group(1)) * 1e6
    return figures
