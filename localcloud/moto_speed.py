"""moto 5.2.5's own per-request costs that the local cloud need not pay: speed only, same answers.

Found by `make bench` (bench/README.md), sampling the local cloud's threads:
- **Request routing.** The server finds each request's backend under one lock for all requests,
  and doing so lists moto's package folder (an `os.listdir` and about 150 `isdir` calls) and
  then tries the host against every service's URL patterns: a tenth of the server's busy time, and
  every other request waits on that lock meanwhile. The folder does not change while a process
  runs and a host always routes to the same backend: both are remembered.
- **Step Functions parses each execution's definition** with its ANTLR grammar (tens of ms for
  the onboarding definition, in pure Python). The parse tree of a definition is kept and only
  turned into a fresh program per execution (moto's preprocessor builds new components from the
  tree and does not change it). The preprocessor keeps its scope stack on the class, shared by
  every thread, so it runs under a lock (moto runs it unguarded).
- **Step Functions → Lambda makes a new boto3 client per task** (about 10 ms): one client per
  region, service and endpoint is kept (boto3 clients are thread-safe).

`install()` applies them (the local cloud, and the bench's floor server so both run on the same moto).
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_parse_lock = threading.Lock()
_clients_lock = threading.Lock()


def _cached_modules(original: Any) -> Any:
    modules: list[str] = []

    @functools.wraps(original)
    def list_of_moto_modules() -> Any:
        if not modules:
            modules.extend(original())
        return iter(modules)

    return list_of_moto_modules


def _cached_routes(original: Any) -> Any:
    routes: dict[tuple[int, str | None], Any] = {}

    @functools.wraps(original)
    def get_backend_for_host(self: Any, host: str | None) -> Any:
        key = (id(self), host)  # called under the dispatcher's own lock
        if key not in routes:
            routes[key] = original(self, host)
        return routes[key]

    return get_backend_for_host


def _cached_parse(original: Any) -> Any:
    trees: dict[str, Any] = {}

    def parse(definition: str) -> tuple[Any, Any]:
        from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

        with _parse_lock:
            tree = trees.get(definition)
            if tree is None:
                program, tree = original(definition)  # raises on an invalid definition: nothing kept
                trees[definition] = tree
                return program, tree
            return Preprocessor().visit(tree), tree

    parse.__wrapped__ = original  # type: ignore[attr-defined]
    return staticmethod(parse)


def _cached_clients(original: Any) -> Any:
    clients: dict[tuple[str, str, bool], Any] = {}

    @functools.wraps(original)
    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        from moto.core.models import botocore_stubber

        key = (region, service, botocore_stubber.enabled)
        with _clients_lock:
            if key not in clients:
                clients[key] = original(region=region, service=service, state_credentials=state_credentials)
            return clients[key]

    return boto_client_for


def patches() -> list[tuple[Any, str, Any]]:
    """(owner, attribute, replacement); `install()` applies them."""
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    def unwrapped(value: Any) -> Any:
        return getattr(value, "__wrapped__", value)

    return [
        (backends, "list_of_moto_modules", _cached_modules(unwrapped(backends.list_of_moto_modules))),
        (
            DomainDispatcherApplication,
            "get_backend_for_host",
            _cached_routes(unwrapped(DomainDispatcherApplication.get_backend_for_host)),
        ),
        (AmazonStateLanguageParser, "parse", _cached_parse(unwrapped(AmazonStateLanguageParser.parse))),
        (lambda_eval_utils, "boto_client_for", _cached_clients(unwrapped(lambda_eval_utils.boto_client_for))),
    ]


def install() -> None:
    for owner, name, value in patches():
        setattr(owner, name, value)
