"""Runs moto's Lambda functions in warm worker processes instead of Docker.

One pool per function: an idle worker serves the next invocation, another one is started when
all are busy (as Lambda scales out), and each worker has only the function's own code asset and
environment. Processes, not threads: a handler's environment is process-wide, and the workflow
calls back into Lambda while its caller waits, which an in-process lock would deadlock.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import select
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

WORKER = Path(__file__).resolve().parent / "worker.py"
SHUTDOWN_GRACE_S = 5  # for workers to leave their loop on shutdown before they are killed
# LOCAL_CALL_COUNTS: bench/; COVERAGE_PROCESS_CONFIG: `make test` measures the handlers run here too.
_PASSED_ENV = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "SYSTEMROOT",
    "TMPDIR",
    "LOCAL_CALL_COUNTS",
    "COVERAGE_PROCESS_CONFIG",
)


@dataclass
class FunctionSpec:
    name: str
    arn: str
    handler: str
    environment: dict[str, str]
    timeout: int
    memory: int
    code: bytes
    code_sha: str

    @property
    def key(self) -> str:
        return f"{self.arn}:{self.code_sha}"


class Worker:
    def __init__(self, spec: FunctionSpec, code_dir: Path, env: dict[str, str], log: TextIO) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(code_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
            text=True,
            bufsize=1,
        )
        self.ready = False

    def _read(self, timeout: float) -> dict[str, Any] | None:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.process.stdout.readline()
        return json.loads(line) if line else {"eof": True}

    def invoke(self, spec: FunctionSpec, event: Any) -> tuple[str, bool]:
        if not self.ready:
            hello = self._read(120)
            if not hello or "eof" in hello:
                self.kill()
                return _error("Runtime.ExitError", "the handler failed to import (see its log)"), True
            self.ready = True
        assert self.process.stdin is not None
        request = {"event": event, "timeout": spec.timeout, "function_arn": spec.arn}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            self.kill()
            return _error("Runtime.ExitError", "the worker exited"), True
        reply = self._read(spec.timeout + 1)
        if reply is None:
            self.kill()
            return _error("Sandbox.Timedout", f"Task timed out after {spec.timeout} seconds"), True
        if "eof" in reply:
            self.kill()
            return _error("Runtime.ExitError", "the worker exited"), True
        return str(reply["payload"]), not reply["ok"]

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait()

    def close(self) -> None:
        """Ends the worker's request loop, so it exits as a process does (coverage saves its data)."""
        if self.alive and self.process.stdin is not None:
            with contextlib.suppress(OSError):  # it died meanwhile
                self.process.stdin.close()


def _error(kind: str, message: str) -> str:
    return json.dumps({"errorType": kind, "errorMessage": message})


@dataclass
class _Pool:
    idle: list[Worker] = field(default_factory=list)
    all: list[Worker] = field(default_factory=list)


class LambdaRuntime:
    """Worker pools keyed by function and code version."""

    def __init__(self, state_dir: Path, aws_env: dict[str, str]) -> None:
        self._state = state_dir
        self._aws_env = aws_env
        self._pools: dict[str, _Pool] = {}
        self._lock = threading.Lock()
        self._logs: dict[str, TextIO] = {}
        (state_dir / "logs").mkdir(parents=True, exist_ok=True)

    def _code_dir(self, spec: FunctionSpec) -> Path:
        target = self._state / "code" / hashlib.sha256(spec.code_sha.encode()).hexdigest()[:16]
        if not target.exists():
            partial = target.with_suffix(".partial")
            with zipfile.ZipFile(io.BytesIO(spec.code)) as archive:
                archive.extractall(partial)
            partial.rename(target)
        return target

    def _env(self, spec: FunctionSpec) -> dict[str, str]:
        env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
        env.update(self._aws_env)
        env.update(
            {
                "_HANDLER": spec.handler,
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_EXECUTION_ENV": "AWS_Lambda_local",
                # Compiled bytecode kept between starts (this machine sets PYTHONDONTWRITEBYTECODE):
                # without it every worker recompiles pydantic and Powertools on its cold start.
                "PYTHONPYCACHEPREFIX": str(self._state.parent / "pycache"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(spec.environment)
        return env

    def _log(self, spec: FunctionSpec) -> TextIO:
        if spec.name not in self._logs:
            self._logs[spec.name] = open(self._state / "logs" / f"{spec.name}.log", "a", buffering=1)  # noqa: SIM115
        return self._logs[spec.name]

    def _acquire(self, spec: FunctionSpec) -> Worker:
        with self._lock:
            pool = self._pools.setdefault(spec.key, _Pool())
            while pool.idle:
                worker = pool.idle.pop()
                if worker.alive:
                    return worker
            code_dir = self._code_dir(spec)
            worker = Worker(spec, code_dir, self._env(spec), self._log(spec))
            pool.all.append(worker)
            return worker

    def _release(self, spec: FunctionSpec, worker: Worker) -> None:
        with self._lock:
            if worker.alive:
                self._pools[spec.key].idle.append(worker)

    def invoke(self, spec: FunctionSpec, event: Any) -> tuple[str, bool]:
        worker = self._acquire(spec)
        try:
            return worker.invoke(spec, event)
        finally:
            self._release(spec, worker)

    def prewarm(self, spec: FunctionSpec) -> None:
        """Start one worker and let it import its handler in the background."""
        self._release(spec, self._acquire(spec))

    def shutdown(self) -> None:
        with self._lock:
            workers = [worker for pool in self._pools.values() for worker in pool.all]
            for worker in workers:
                worker.close()
            deadline = time.monotonic() + SHUTDOWN_GRACE_S
            for worker in workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
                worker.kill()
            self._pools.clear()
            for log in self._logs.values():
                log.close()
            self._logs.clear()
