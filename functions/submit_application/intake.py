from typing import Any


def handler(event: dict[str, Any], context: Any) -> Any:
    raise NotImplementedError
