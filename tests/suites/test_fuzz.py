"""Fuzzing: schemathesis against the committed docs/openapi.json and a running local cloud, every
operation, with valid tokens (a confirmed citizen; an operator on `/operator/...`) → no server
error (5xx) and no answer outside the document (status, content type, body or headers).

Quick form (in `make test`): FUZZ_EXAMPLES examples per operation and generation mode (3 by
default), deterministic. Full form: `make suite-fuzz` (100 examples, random, prints the tally).
Helpers, seeding and the tally are in tests/suites/fuzz_support.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.suites.fuzz_support import (
    DOCUMENT,
    Callers,
    Ids,
    Tally,
    give_each_operation_its_own_test_id,
    load_schema,
    local_cloud,
    operations_in,
)

pytestmark = [pytest.mark.xdist_group("fuzz"), pytest.mark.e2e]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 3)
DETERMINISTIC = os.environ.get("FUZZ_RANDOM", "") == ""
OPERATIONS = operations_in(json.loads(DOCUMENT.read_text(encoding="utf-8")))


# Loaded at collection from the committed file (one test per operation); the local cloud's URL is
# only known once the fixture has started it, so each call names it (`base_url=`), and the checks
# that send a request again (ignored_auth) send it where the answer came from.
give_each_operation_its_own_test_id()
IDS = Ids()
schema = load_schema(IDS, EXAMPLES, DETERMINISTIC)


class Fuzz:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.callers = Callers(base_url, IDS)
        self.tally = Tally()


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    log = tmp_path_factory.mktemp("fuzz") / "local.log"
    with local_cloud(log) as base_url:
        state = Fuzz(base_url)
        state.callers.seed()
        yield state
        summary = state.tally.write(len(OPERATIONS), EXAMPLES)
        print(f"\nfuzz: {json.dumps({k: v for k, v in summary.items() if k != 'per_operation'}, ensure_ascii=False)}")


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_operation_answers_inside_the_document(case: Any, fuzz: Fuzz) -> None:
    label = f"{case.operation.method.upper()} {case.operation.path}"  # probes may use another method
    response = case.call(base_url=fuzz.base_url, headers=fuzz.callers.headers_for(case.path))
    fuzz.tally.record(label, response.status_code)
    try:
        case.validate_response(response, headers=fuzz.callers.headers_for(case.path))
    except BaseException as error:  # a FailureGroup: tallied, then raised for schemathesis to shrink and report
        fuzz.tally.fail(label, error, response.status_code)
        raise


def test_every_operation_was_fuzzed(fuzz: Fuzz) -> None:
    """Runs after the fuzzing test (same module, file order): each documented operation was called."""
    documented = {f"{method} {path}" for method, path in OPERATIONS}
    assert set(fuzz.tally.calls) == documented, sorted(documented - set(fuzz.tally.calls))
