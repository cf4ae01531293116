"""The floor's moto server: `python -m bench.floor_server <port>`.

moto 5.2.5 as it is, plus what makes its DynamoDB correct under concurrent requests (its
TransactWriteItems deep-copies the table while other requests change it: "dictionary changed size
during iteration", a 500, a half-restored table): the local cloud's own DynamoDB patch
(localcloud/moto_dynamodb.py: one lock, a rollback copy of the touched items only), and its
speed patches of moto's own request routing and Step Functions (localcloud/moto_speed.py), so
the floor and the pipeline run on the same moto engine. Nothing of the local cloud's business,
gateway or Lambda machinery is loaded.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from moto.server import ThreadedMotoServer

from localcloud import moto_dynamodb, moto_speed


def main() -> None:
    port = int(sys.argv[1])
    moto_dynamodb.install()
    if not os.environ.get("BENCH_WITHOUT_MOTO_SPEED"):  # `python -m bench --without-moto-speed`
        moto_speed.install()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request, as in the local cloud
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
