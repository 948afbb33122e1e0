"""A real S3-compatible server on 127.0.0.1 for tests and benchmarks: moto in server mode.

``S3Server`` starts moto's ``ThreadedMotoServer`` on a free loopback port; the
code under test talks to it over HTTP through boto3 exactly as to S3
(``AWS_ENDPOINT_URL``), so conditional writes, listings and error codes are
the server's, not a mock's.  Credentials are checked only inside
:meth:`S3Server.enforcing_credentials` (moto's IAM authentication), where an
access key that IAM does not know - a revoked one - is refused as S3 does.

Needs the ``moto[server]`` package (the test extra).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class S3Server:
    """``with S3Server() as s3: os.environ.update(s3.env)``."""

    def __init__(self) -> None:
        self.port = _free_port()
        self._server: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """What a client needs to talk to this server (any key works unless credentials are enforced)."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}

    def start(self) -> S3Server:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self, service: str = "s3", **credentials: str) -> Any:
        import boto3

        env = self.env
        return boto3.client(service, endpoint_url=self.endpoint, region_name=env["AWS_DEFAULT_REGION"],
                            aws_access_key_id=credentials.get("key", env["AWS_ACCESS_KEY_ID"]),
                            aws_secret_access_key=credentials.get("secret", env["AWS_SECRET_ACCESS_KEY"]))

    @contextmanager
    def enforcing_credentials(self, *, free_requests: int = 0) -> Iterator[None]:
        """Inside the block the server checks every request's credentials against its IAM users,
        after ``free_requests`` unchecked ones (to create and revoke a key); moto's own admin API."""
        previous = self._reset_auth(str(free_requests))
        try:
            yield
        finally:
            self._reset_auth(previous)

    def _reset_auth(self, value: str) -> str:
        import json
        import urllib.request

        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset-auth", data=value.encode(), method="POST",
                                         headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return str(json.loads(reply.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])
