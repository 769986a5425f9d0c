"""Helpers for the sandbox ShopWired tests: a v1 client with the account's API key, a stocked account, and a
webhook endpoint that answers ShopWired's verification request as a handler must."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from storelink_local.sandbox import ShopWiredSandbox

API_KEY, API_SECRET, WEBHOOK_SECRET = "sw_key", "sw_secret", "sw_webhook_secret"


def call(
    sandbox: ShopWiredSandbox,
    method: str,
    path: str,
    body: Any = None,
    *,
    params: Mapping[str, Any] | None = None,
    auth: tuple[str, str] | None = (API_KEY, API_SECRET),
) -> httpx.Response:
    """One v1 request, `path` under /v1, as a connector sends it (HTTP Basic, JSON body)."""
    return httpx.request(method, f"{sandbox.api_url}{path}", json=body, params=params, auth=auth, timeout=10)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@dataclass(frozen=True)
class StockedAccount:
    """A shirt without variations (SHIRT, 5), and a hoodie whose variations hold HOODIE-S 3 and HOODIE-M none."""

    sandbox: ShopWiredSandbox
    shirt: int
    hoodie: int


def stock_an_account(sandbox: ShopWiredSandbox) -> StockedAccount:
    shirt = sandbox.add_product("Linen shirt", sku="SHIRT", stock=5, gtin="4006381333931")
    hoodie = sandbox.add_product(
        "Hoodie",
        variations=[
            {"sku": "HOODIE-S", "stock": 3, "gtin": "0012345678905", "options": [{"name": "Size", "value": "S"}]},
            {"sku": "HOODIE-M", "options": [{"name": "Size", "value": "M"}]},
        ],
    )
    return StockedAccount(sandbox, shirt.id, hoodie.id)


@dataclass
class Endpoint:
    """A webhook handler: answers verification requests with the token's HMAC (unless `verifies` is False), and
    events with `status`; records every body."""

    url: str = ""
    secret: str = WEBHOOK_SECRET
    verifies: bool = True
    status: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body)["event"] for _, body in self.received if b'"event"' in body]


@contextmanager
def shopwired_endpoint(secret: str = WEBHOOK_SECRET) -> Iterator[Endpoint]:
    endpoint = Endpoint(secret=secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            endpoint.received.append((dict(self.headers.items()), body))
            token = json.loads(body).get("verificationToken")
            if token is not None:
                answer = hmac.new(endpoint.secret.encode(), token.encode(), hashlib.sha256).hexdigest()
                status, payload = (200, answer.encode()) if endpoint.verifies else (200, b"")
            else:
                status, payload = endpoint.status, b""
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/shopwired/st_1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
