"""The FNS simulator's wire format and fault injection."""

import random

from localcloud.fns_simulator import FnsSimulator


def test_seeded_taxpayers_are_found() -> None:
    sim = FnsSimulator()
    status, record = sim.handle("POST", "/taxpayers/lookup", {"inn": "500100732259"})
    assert status == 200 and record["last_name"] == "Иванов"
    assert sim.handle("POST", "/taxpayers/lookup", {"inn": "500100732250"})[0] == 404


def test_add_validates_the_inn() -> None:
    sim = FnsSimulator(seed=None)
    bad = {"inn": "500100732258", "last_name": "А", "first_name": "Б", "birth_date": "1990-01-01"}
    assert sim.handle("POST", "/taxpayers", bad)[0] == 422
    assert sim.handle("POST", "/taxpayers", {**bad, "inn": "500100732259"})[0] == 201
    assert sim.handle("POST", "/taxpayers/lookup", {"inn": "500100732259"})[0] == 200


def test_faults() -> None:
    sim = FnsSimulator(rng=random.Random(1))
    assert sim.handle("POST", "/faults", {"error_rate": 2})[0] == 422
    assert sim.handle("POST", "/faults", {"error_rate": 1.0})[0] == 200
    status, body = sim.handle("POST", "/taxpayers/lookup", {"inn": "500100732259"})
    assert status == 503 and body["code"] == "taxpayer.status.service.unavailable.error"
    sim.handle("POST", "/faults", {"error_rate": 0.3})
    outcomes = [sim.handle("POST", "/taxpayers/lookup", {"inn": "500100732259"})[0] for _ in range(1000)]
    assert 200 < outcomes.count(503) < 400


def test_inn_lookup_by_passport_is_asynchronous() -> None:
    sim = FnsSimulator()
    query = {
        "last_name": "ИВАНОВ",
        "first_name": "Иван",
        "birth_date": "1990-05-17",
        "document_type": 21,
        "passport_number": "4509 123456",
        "issued_on": "2015-06-01",
    }
    status, body = sim.handle("POST", "/inn-requests", query)
    assert status == 202
    path = f"/inn-requests/{body['request_id']}"
    assert sim.handle("GET", path, None) == (200, {"state": "working"})
    assert sim.handle("GET", path, None) == (200, {"state": "found", "inn": "500100732259"})
    _, other = sim.handle("POST", "/inn-requests", {**query, "passport_number": "4509 000000"})
    sim.handle("GET", f"/inn-requests/{other['request_id']}", None)
    assert sim.handle("GET", f"/inn-requests/{other['request_id']}", None) == (200, {"state": "not_found"})
    assert sim.handle("GET", "/inn-requests/unknown", None)[0] == 404
