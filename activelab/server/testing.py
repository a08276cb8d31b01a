"""Running ``activelab serve`` as a separate process on 127.0.0.1, for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["free_port", "server_output", "start_server", "stop_server"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data: Path, url: str, port: int, labels: str, *extra: str,
                 timeout: float = 90.0) -> subprocess.Popen:
    """Start ``activelab serve`` on ``data`` (text column ``text``) and wait for its health."""
    import httpx

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # The output goes to a file, not a pipe nobody reads: once a pipe's 64 KiB fill up (say,
    # with tracebacks while the database restarts), the server would block on its next log line.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop_server)
    process = subprocess.Popen(
        [sys.executable, "-m", "activelab.cli", "serve", "--data", str(data), "--text-column",
         "text", "--labels", labels, "--db", url, "--host", "127.0.0.1", "--port", str(port),
         *extra],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    process.log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(server_output(process) or "exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError(f"the server did not start within {timeout:.0f} s")


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log = getattr(process, "log", None)
    if log is not None:
        log.close()


def server_output(process: subprocess.Popen) -> str:
    """What a server started by :func:`start_server` has written so far."""
    log = process.log  # type: ignore[attr-defined]
    log.seek(0)
    return log.read().decode(errors="replace")
