"""What several test modules share: fakes, test data, builders and helpers (never tests themselves).

- `fakes`: in-memory fakes of the ports (tests/integration/test_store_contracts.py holds each to
  its DynamoDB adapter);
- `identifiers`: valid INNs, SNILS and phones made up for a test, none of them reused in a process;
- `data`: fixed domain objects matching the sample body (a portal citizen's origin, a partner's,
  the FNS record, a support ticket request);
- `local_cloud`: a client of the local cloud that tests/e2e and tests/suites run against, and the
  builders of applicants registered with its FNS simulator;
- `suites`: the reliability suites' size (`SUITE_SCALE`) and their printed figures.

The session fixture that starts the local cloud is `cloud` in tests/conftest.py.
"""
