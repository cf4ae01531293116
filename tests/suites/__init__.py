"""Reliability and security suites (quick forms in make test, full ones by make suite-*)."""
