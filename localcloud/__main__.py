"""`python -m localcloud` (`make dev`): synthesize, deploy into an embedded moto, serve on :3000.

The same functions and the same state machine as in AWS run here: moto's CloudFormation creates
the stack from the synthesized template, Lambda code runs in warm worker processes, and a small
gateway plays API Gateway from the template's own routes and authorizer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from localcloud import moto_patches, moto_speed, swagger
from localcloud.deploy import ACCOUNT, Deployment, deploy
from localcloud.fns_simulator import FnsSimulator
from localcloud.gateway import Gateway, Server
from localcloud.idp import LocalIdentityProvider, TokenRequestError
from localcloud.lambda_runtime import LambdaRuntime
from localcloud.outbox import Outbox
from localcloud.scheduler import Scheduler, read_schedules
from localcloud.template import ROOT, load, resources_of_type, synthesize_cached

REGION = os.environ.get("LOCAL_REGION", "eu-west-1")

Reply = tuple[int, dict[str, str], bytes]
# Local partners (id:account): each gets its outcome queue; the first one is `outcome_queue_url`.
LOCAL_PARTNERS = "partner-1:111111111111,partner-2:222222222222"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _json(status: int, payload: Any) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(payload, ensure_ascii=False).encode()


class LocalRoutes:
    """`/health` and `/_local/...`: present in local mode only, never in the deployed API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.idp = LocalIdentityProvider(issuer=f"{base_url}/_local")
        self.fns = FnsSimulator()
        self.ready = threading.Event()
        self.info: dict[str, Any] = {}
        self.outbox: Outbox | None = None
        self.scheduler: Scheduler | None = None

    def _userinfo(self, headers: dict[str, str]) -> Reply:
        """The provider's userinfo: the person record behind a token this provider signed."""
        token = next((v for k, v in headers.items() if k.lower() == "authorization"), "").partition(" ")[2]
        sub = self.idp.subject(token.strip())
        if sub is None:
            return _json(401, {"error": "invalid_token"})
        person = self.idp.person(sub)
        return _json(200, person) if person is not None else _json(404, {"error": "no person record"})

    def __call__(self, method: str, raw_path: str, body: bytes, headers: dict[str, str]) -> Reply | None:
        path = urlsplit(raw_path).path
        if path == swagger.PREFIX or path.startswith(swagger.PREFIX + "/"):
            return swagger.serve(method, path, headers, self.base_url)
        try:
            data = json.loads(body) if body else None
        except json.JSONDecodeError:
            return _json(400, {"error": "body is not JSON"})
        if path == "/health":
            return _json(200, {"status": "ok"}) if self.ready.is_set() else _json(503, {"status": "starting"})
        if path == "/_local/jwks.json":
            return _json(200, self.idp.jwks())
        if path == "/_local/userinfo":
            return self._userinfo(headers)
        if path == "/_local/token" and method == "POST":
            try:
                return _json(200, {"access_token": self.idp.issue(data), "token_type": "Bearer"})
            except TokenRequestError as error:
                return _json(422, {"error": str(error)})
        if path.startswith("/_local/fns/"):
            status, payload = self.fns.handle(method, path.removeprefix("/_local/fns"), data)
            return _json(status, payload)
        if not self.ready.is_set():
            return _json(503, {"status": "starting"})
        if path == "/_local/info":
            return _json(200, self.info)
        if path == "/_local/schedules/run" and method == "POST" and self.scheduler is not None:
            return _json(200, {"runs": self.scheduler.run_all()})
        if path == "/_local/outbox" and self.outbox is not None:
            return _json(200, {"messages": self.outbox.messages()})
        return None


def _queue_url(moto_endpoint: str, url: str | None) -> str | None:
    return f"{moto_endpoint}/{ACCOUNT}/{url.rsplit('/', 1)[-1]}" if url else None


def start(port: int) -> tuple[Server, LambdaRuntime, Any, float]:
    started = time.monotonic()
    base_url = f"http://127.0.0.1:{port}"
    state = ROOT / ".local" / str(port)
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)

    routes = LocalRoutes(base_url)
    server = Server(("127.0.0.1", port), routes)
    threading.Thread(target=server.serve_forever, name="gateway", daemon=True).start()

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log would drown the console

    moto_port = _free_port()
    os.environ["MOTO_PORT"] = str(moto_port)  # Step Functions' Lambda calls come back through it
    for key, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        os.environ[key] = value
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{moto_port}"
    runtime = LambdaRuntime(
        state,
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        },
    )
    moto_patches.run_lambdas_in(runtime)
    moto_patches.honour_kms_key_spec()
    moto_patches.event_bridge_as_cloudformation_and_targets_expect()
    moto_patches.deliver_dynamodb_streams()
    moto_patches.make_dynamodb_thread_safe()
    moto_speed.install()  # moto's per-request routing, ASL parsing and client costs (localcloud/moto_speed.py)

    context = {
        "idp_jwks_url": f"{base_url}/_local/jwks.json",
        "idp_issuer": f"{base_url}/_local",
        "idp_audience": "tax-cabinet",
        "idp_userinfo_url": f"{base_url}/_local/userinfo",
        "fns_base_url": f"{base_url}/_local/fns",
        "partner_account_ids": "",
        # two partners with outcome queues, so a partner's isolation can be seen (docs/events.md)
        "partners": LOCAL_PARTNERS,
        # a short code lifetime lets the expiry path be exercised locally (tests set it)
        "code_ttl_seconds": os.environ.get("LOCAL_CODE_TTL_SECONDS", "600"),
        "signed_xml_trust_store": "localcloud/test_ca/ca.pem",  # the local test CA (localcloud/test_ca/README.md)
    }
    synth_started = time.monotonic()
    assembly, reused = synthesize_cached(ROOT / ".local" / "synth", context)
    synth_seconds = time.monotonic() - synth_started
    template = load(assembly)
    deployment: Deployment = deploy(template, assembly, endpoint, REGION)

    lam = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name=REGION,
        config=Config(read_timeout=120, retries={"max_attempts": 0}),
    )
    # The service's own functions (CDK's deploy-time helpers, such as the bucket-notification
    # handler, have nothing to do here).
    functions = {
        logical: deployment.physical[logical]
        for logical, resource in resources_of_type(template, "AWS::Lambda::Function").items()
        if str(resource["Properties"].get("Handler", "")).startswith("functions.")
    }
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends[ACCOUNT][REGION]
    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        list(
            pool.map(lambda name: runtime.prewarm(moto_patches.spec_of(backend.get_function(name))), functions.values())
        )
    server.gateway = Gateway(template, functions, lam, REGION, ACCOUNT)
    routes.scheduler = Scheduler(read_schedules(template, functions), lam)
    routes.scheduler.start()
    routes.outbox = Outbox(ACCOUNT, REGION)
    routes.info = {
        "api_url": base_url,
        "aws_endpoint_url": endpoint,
        "region": REGION,
        "intake_queue_url": _queue_url(endpoint, deployment.outputs.get("IntakeQueueUrl")),
        "intake_dlq_url": _queue_url(endpoint, deployment.outputs.get("IntakeDlqUrl")),
        "outcome_queue_url": _queue_url(endpoint, deployment.outputs.get("OutcomeQueueUrl")),
        "outcome_queue_urls": {
            partner: _queue_url(endpoint, url)
            for partner, url in json.loads(deployment.outputs.get("OutcomeQueueUrls") or "{}").items()
        },
        "event_bus_name": deployment.outputs.get("EventBusName"),
        "table_name": deployment.outputs.get("TableName"),
        "state_machine_arn": deployment.outputs.get("StateMachineArn"),
        "logs_dir": str(state / "logs"),
        "synth_seconds": round(synth_seconds, 2),
        "synth_reused": reused,
    }
    routes.ready.set()
    return server, runtime, moto, time.monotonic() - started


def main() -> int:
    port = int(os.environ.get("PORT", "3000"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        server, runtime, moto, seconds = start(port)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        print(f"local cloud failed to start: {error}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    info = server.local_routes.info
    print(
        f"\nTax cabinet local cloud ready in {seconds:.1f} s "
        f"(synth {'reused' if info['synth_reused'] else str(info['synth_seconds']) + ' s'})\n"
        f"  API            {info['api_url']}\n"
        f"  health         {info['api_url']}/health\n"
        f'  token          POST {info["api_url"]}/_local/token {{"sub", "level", "roles"}}\n'
        f"  info           {info['api_url']}/_local/info\n"
        f"  outbox         {info['api_url']}/_local/outbox\n"
        f"  Swagger UI     {info['api_url']}/swagger\n"
        f"  FNS simulator  {info['api_url']}/_local/fns/taxpayers (see localcloud/FNS_SIMULATOR.md)\n"
        f"  AWS endpoint   {info['aws_endpoint_url']} ({info['region']})\n"
        f"  logs           {info['logs_dir']}\n"
        "Ctrl-C stops it.",
        flush=True,
    )
    while not stop.wait(0.5):  # a timed wait lets the signal handlers run promptly
        pass
    print("stopping...", flush=True)
    server.shutdown()
    runtime.shutdown()
    moto.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
