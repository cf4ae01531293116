"""Fixtures more than one test folder uses.

`cloud`: one local cloud per test process for tests/e2e and tests/suites, defined once here so that
a session collecting both folders (`make test`) starts one, not one per folder. Under pytest-xdist
each worker that runs such a test starts its own (the tests share nothing: every test makes its own
taxpayers and tokens). tests/integration has a `cloud` of its own (moto in the test process), which
overrides this one there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.local_cloud import LocalCloud


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    from tests.support.local_cloud import started  # boto3 and requests only for the tests that need them

    with started(tmp_path_factory.mktemp("local") / "local.log") as local:
        yield local
