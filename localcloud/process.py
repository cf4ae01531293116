"""`python -m localcloud` as a child process: started on a free port, waited for until `/health`
answers, stopped with SIGTERM. The end-to-end tests, the fuzz suite and `make bench` all start
their local clouds this way."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 300  # a first synth on a loaded 2-CPU machine
LOG_TAIL_CHARS = 5000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(log_path: Path) -> str:
    return log_path.read_text()[-LOG_TAIL_CHARS:] if log_path.exists() else ""


def wait_healthy(
    base_url: str, log_path: Path, process: subprocess.Popen[bytes] | None = None, timeout: float = READY_TIMEOUT_S
) -> None:
    """Until `/health` answers 200; a process that exits, or the timeout, raises with the log's tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the local cloud exited:\n{_tail(log_path)}")
        try:
            if requests.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:  # refused while starting, or too busy to answer within 2 s
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the local cloud at {base_url} did not become ready:\n{_tail(log_path)}")


@dataclass(frozen=True)
class Running:
    base_url: str
    port: int
    startup_seconds: float


@contextmanager
def running(
    log_path: Path,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] | None = None,
    port: int | None = None,
) -> Iterator[Running]:
    """A local cloud for the `with` block. `env` adds to this process's environment; `command`
    replaces `python -m localcloud` (it must honour `PORT`)."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            list(command or [sys.executable, "-m", "localcloud"]),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {}), "PORT": str(port)},
        )
    try:
        wait_healthy(base_url, log_path, process)
        yield Running(base_url, port, time.monotonic() - started)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
