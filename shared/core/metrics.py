"""Business metrics as CloudWatch embedded metric format (Powertools), one log line each.

Names and dimensions are the monitoring construct's contract (infra/components/monitoring.py);
dimensions are low-cardinality by design: a channel, a status, a stage, a reason code, never an
id. Emitting is best effort: a metric that cannot be written must never fail the business step.
"""

from __future__ import annotations

import os
from typing import Literal

from shared.core.observability import get_logger

Unit = Literal["Count", "Seconds"]
SERVICE = "tax-cabinet"
NAMESPACE = "TaxCabinet"


def emit(name: str, value: float = 1, unit: Unit = "Count", **dimensions: str) -> None:
    """One metric with its own dimensions (plus `service`), written at once."""
    try:
        from aws_lambda_powertools.metrics import MetricUnit, single_metric

        namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
        with single_metric(name=name, unit=MetricUnit(unit), value=value, namespace=namespace) as metric:
            metric.add_dimension("service", os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE))
            for key, dimension in dimensions.items():
                metric.add_dimension(key, dimension)
    except Exception:
        get_logger().warning("metric not written", extra={"metric": name})
