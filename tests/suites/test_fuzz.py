"""Fuzzing: schemathesis against the committed docs/openapi.json and a running local cloud, every
operation, with valid tokens (a confirmed citizen; an operator on `/operator/...`) → no server
error (5xx) and no answer outside the document (status, content type, body or headers).

Quick form (in `make test`): FUZZ_EXAMPLES examples per operation and generation mode (3 by
default), deterministic. Full form: `make suite-fuzz` (100 examples, random, prints the tally).
Helpers, seeding and the tally are in tests/suites/fuzz_support.py.

One pytest test drives every operation in turn (schemathesis's own per-operation Hypothesis test,
with its examples, coverage and fuzzing phases), so the whole run shares one local cloud and one
tally wherever pytest-xdist puts it: under pytest 9.2, xdist's `xdist_group` no longer keeps a
module's tests on one worker, and schemathesis's per-operation items all get the same test id.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.suites.fuzz_support import DOCUMENT, Callers, Ids, Tally, load_schema, local_cloud, operations_in

pytestmark = [pytest.mark.xdist_group("fuzz"), pytest.mark.e2e]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 3)
DETERMINISTIC = os.environ.get("FUZZ_RANDOM", "") == ""
OPERATIONS = operations_in(json.loads(DOCUMENT.read_text(encoding="utf-8")))
SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)


class Fuzz:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.ids = Ids()
        self.callers = Callers(base_url, self.ids)
        self.tally = Tally()

    def exercise(self, case: Any) -> None:
        """One generated request: sent with the caller's token, its answer checked against the document."""
        label = f"{case.operation.method.upper()} {case.operation.path}"  # probes may use another method
        headers = self.callers.headers_for(case.path)
        response = case.call(base_url=self.base_url, headers=headers)
        self.tally.record(label, response.status_code)
        try:
            case.validate_response(response, headers=headers)
        except BaseException as error:  # a FailureGroup: tallied, then raised for Hypothesis to shrink
            self.tally.fail(label, error, response.status_code)
            raise


@pytest.fixture
def fuzz(tmp_path: Any) -> Iterator[Fuzz]:
    with local_cloud(tmp_path / "local.log") as base_url:
        state = Fuzz(base_url)
        state.callers.seed()
        yield state


def test_every_operation_answers_inside_the_document(fuzz: Fuzz) -> None:
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.pytest._test_builder import build_operation_test  # what schemathesis's pytest plugin runs

    schema = load_schema(fuzz.ids, EXAMPLES, DETERMINISTIC)

    def exercise(case: Any) -> None:
        fuzz.exercise(case)

    reports: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()  # the document is valid (tests/unit/test_openapi.py)
        run = build_operation_test(
            config=schema.config,
            operation=operation,
            test_func=exercise,
            given_kwargs={},
            feedback=FeedbackSources(),
            explicit_settings=SETTINGS,
        )
        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # the shrunk failure, with schemathesis's report and a curl to replay it
            reports[operation.label] = str(error)
    summary = fuzz.tally.write(len(OPERATIONS), EXAMPLES)
    print(f"\nfuzz: {json.dumps({k: v for k, v in summary.items() if k != 'per_operation'}, ensure_ascii=False)}")
    assert not reports, "\n\n".join(f"== {label}\n{text}" for label, text in reports.items())
    documented = {f"{method} {path}" for method, path in OPERATIONS}
    assert set(fuzz.tally.calls) == documented, sorted(documented - set(fuzz.tally.calls))
