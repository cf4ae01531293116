"""Business metrics leave as EMF lines with the names and low-cardinality dimensions the dashboard reads."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from shared.applications.lifecycle import advance
from shared.applications.models import Stage, Status
from shared.applications.submission import SubmissionDeps, submit
from shared.core import metrics
from tests.support.data import partner
from tests.support.fakes import (
    VALID_BODY,
    FakeHasher,
    FakeWorkflow,
    FixedClock,
    InMemoryApplications,
    InMemoryStageStatistics,
)

PARTNER = partner("p", "r")


def _emitted(out: str) -> list[dict]:
    """(name, value, dimensions) of every EMF line printed."""
    found = []
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        doc = json.loads(line)
        directive = doc["_aws"]["CloudWatchMetrics"][0]
        for metric in directive["Metrics"]:
            dims = {d: doc[d] for group in directive["Dimensions"] for d in group}
            value = doc[metric["Name"]]
            value = value[0] if isinstance(value, list) else value  # Powertools writes a list of values
            found.append({"name": metric["Name"], "unit": metric["Unit"], "value": value, **dims})
    return found


def test_submission_stage_and_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    repo, clock = InMemoryApplications(), FixedClock()
    app = submit(
        {**VALID_BODY, "channel": "partner"}, PARTNER, SubmissionDeps(repo, FakeHasher(), FakeWorkflow(), clock), "c"
    ).application
    later = clock.now() + timedelta(seconds=90)
    advance(repo, InMemoryStageStatistics(), app, now=later, status=Status.READY, stage=Stage.COMPLETED, note="готово")
    emitted = _emitted(capsys.readouterr().out)
    assert {
        "name": "ApplicationsSubmitted",
        "unit": "Count",
        "value": 1,
        "service": "tax-cabinet",
        "channel": "partner",
    } in emitted
    stage = next(m for m in emitted if m["name"] == "StageDuration")
    assert stage["stage"] == "fns_check" and stage["unit"] == "Seconds" and 89 < stage["value"] < 91
    outcome = next(m for m in emitted if m["name"] == "ApplicationOutcomes")
    assert (outcome["status"], outcome["reason"]) == ("ready", "none")
    assert all(len(str(v)) < 40 for m in emitted for v in m.values())  # no ids, nothing personal


def test_a_failing_metric_never_fails_the_step(monkeypatch: pytest.MonkeyPatch) -> None:
    import aws_lambda_powertools.metrics as powertools_metrics

    def broken(**_: object) -> None:
        raise RuntimeError("no stdout")

    monkeypatch.setattr(powertools_metrics, "single_metric", broken)
    metrics.emit("FnsCalls", result="fault")  # does not raise
