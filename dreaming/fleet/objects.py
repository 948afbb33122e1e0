"""The object-storage edge: ``s3://bucket/key`` on any S3-compatible service.

Only this module imports boto3.  The endpoint, region and credentials come
from the usual AWS settings (``AWS_ENDPOINT_URL`` or ``AWS_ENDPOINT_URL_S3``
for MinIO, moto, R2 and the like; ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, a profile or an instance role).

Writes that must not overwrite someone else's are *conditional*: S3's
``If-Match: <etag>`` (replace only the version we downloaded) and
``If-None-Match: *`` (create only if absent).  The service refuses a stale
one with ``412 Precondition Failed`` (or ``409 ConditionalRequestConflict``
while another conditional write of the key is in flight); both raise
:class:`StaleObject`.  Every other service error becomes one
:class:`~dreaming.errors.DreamingError` line naming the URL and what to fix.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dreaming.errors import DreamingError

SCHEME = "s3://"
_WILDCARDS = re.compile(r"[*?\[]")


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SCHEME)


@dataclass(frozen=True, order=True)
class S3Url:
    bucket: str
    key: str

    @classmethod
    def parse(cls, url: str) -> S3Url:
        if not url.startswith(SCHEME):
            raise DreamingError(f"not an s3:// URL: {url!r}")
        bucket, _, key = url[len(SCHEME):].partition("/")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
            raise DreamingError(f"{url}: {bucket!r} is not a valid bucket name")
        return cls(bucket, key)

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"

    def child(self, name: str) -> S3Url:
        base = self.key if not self.key or self.key.endswith("/") else self.key + "/"
        return S3Url(self.bucket, base + name)

    @property
    def parent(self) -> S3Url:
        return S3Url(self.bucket, self.key.rstrip("/").rpartition("/")[0] + "/")

    @property
    def name(self) -> str:
        return self.key.rstrip("/").rpartition("/")[2]


@dataclass(frozen=True, kw_only=True)
class ObjectInfo:
    url: S3Url
    size: int
    etag: str
    modified: datetime


class StaleObject(DreamingError):
    """A conditional write was refused: the object changed (or appeared) since we read it."""


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A key glob as a regex: ``*`` and ``?`` stay within one ``/`` segment, ``**`` crosses them."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def literal_prefix(key_pattern: str) -> str:
    """The part of a key glob before its first wildcard (the listing's prefix)."""
    match = _WILDCARDS.search(key_pattern)
    return key_pattern if match is None else key_pattern[: match.start()]


class Objects:
    """A boto3 S3 client with the errors this project shows (one line each)."""

    def __init__(self, client: Any = None):
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _make_client()
        return self._client

    # -- reading ---------------------------------------------------------------------

    def download(self, url: S3Url, dest: Path) -> ObjectInfo | None:
        """Write the object to ``dest``; ``None`` (and nothing written) when it does not exist."""
        try:
            reply = self.client.get_object(Bucket=url.bucket, Key=url.key)
        except Exception as err:
            if _code(err) in ("NoSuchKey", "404"):
                return None
            raise _explain(err, url) from None
        tmp = dest.with_name(dest.name + ".part")
        with open(tmp, "wb") as fh:
            for chunk in reply["Body"].iter_chunks(1 << 20):
                fh.write(chunk)
        os.replace(tmp, dest)
        return ObjectInfo(url=url, size=int(reply["ContentLength"]), etag=reply["ETag"], modified=reply["LastModified"])

    def read_bytes(self, url: S3Url) -> bytes | None:
        try:
            return bytes(self.client.get_object(Bucket=url.bucket, Key=url.key)["Body"].read())
        except Exception as err:
            if _code(err) in ("NoSuchKey", "404"):
                return None
            raise _explain(err, url) from None

    def read_json(self, url: S3Url) -> Any:
        data = self.read_bytes(url)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError as err:
            raise DreamingError(f"{url}: not JSON ({err})") from None

    def listing(self, prefix: S3Url) -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix.key``."""
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=prefix.bucket, Prefix=prefix.key)
            for page in pages:
                for item in page.get("Contents", ()):
                    yield ObjectInfo(url=S3Url(prefix.bucket, item["Key"]), size=int(item["Size"]),
                                     etag=item["ETag"], modified=item["LastModified"])
        except Exception as err:
            raise _explain(err, prefix) from None

    def glob(self, pattern: str) -> list[S3Url]:
        """The objects a ``s3://bucket/key-glob`` names, sorted."""
        base = S3Url.parse(pattern)
        regex = glob_regex(base.key)
        found = (info.url for info in self.listing(S3Url(base.bucket, literal_prefix(base.key))))
        return sorted(u for u in found if regex.match(u.key))

    # -- writing ---------------------------------------------------------------------

    def upload(self, url: S3Url, source: Path | bytes, *, if_match: str | None = None,
               if_absent: bool = False) -> str:
        """Put the object; with ``if_match`` only over that ETag, with ``if_absent`` only
        where there is none.  Returns the new ETag; raises :class:`StaleObject` when refused."""
        extra: dict[str, str] = {}
        if if_match is not None:
            extra["IfMatch"] = if_match
        elif if_absent:
            extra["IfNoneMatch"] = "*"
        body = source if isinstance(source, bytes) else source.read_bytes()
        try:
            reply = self.client.put_object(Bucket=url.bucket, Key=url.key, Body=body, **extra)
        except Exception as err:
            code = _code(err)
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                raise StaleObject(f"{url} was written by someone else since it was read ({code})") from None
            if code in ("NoSuchKey", "404") and if_match is not None:  # deleted since we read it
                raise StaleObject(f"{url} was deleted by someone else since it was read") from None
            raise _explain(err, url) from None
        return str(reply["ETag"])

    def write_json(self, url: S3Url, data: Any) -> str:
        return self.upload(url, json.dumps(data, indent=1, default=str).encode())


_SETTINGS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE",
             "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def _make_client() -> Any:
    """One client per process and settings: building one reads botocore's service models (~0.1-0.7 s)."""
    return _client_for(tuple(os.environ.get(name) for name in _SETTINGS))


@functools.lru_cache(maxsize=4)
def _client_for(settings: tuple[str | None, ...]) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise DreamingError("s3:// URLs need boto3: pip install 'dreaming[s3]'") from None
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60)
    return boto3.session.Session().client("s3", region_name=region, config=config)


def _code(err: Exception) -> str:
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


_HINTS = {
    "NoSuchBucket": "no such bucket (check the bucket name and AWS_ENDPOINT_URL)",
    "InvalidAccessKeyId": "the access key was refused (revoked or unknown): check AWS_ACCESS_KEY_ID",
    "SignatureDoesNotMatch": "the secret key does not match the access key: check AWS_SECRET_ACCESS_KEY",
    "ExpiredToken": "the session token has expired: renew the credentials",
    "InvalidToken": "the session token is invalid: renew the credentials",
    "AccessDenied": "access denied: the credentials may not use this bucket or key",
    "403": "access denied: the credentials may not use this bucket or key",
}


def _explain(err: Exception, url: S3Url) -> DreamingError:
    """One line for the user: the URL, what went wrong, what to check."""
    code = _code(err)
    where = f"s3://{url.bucket}" if code == "NoSuchBucket" else str(url)
    if code in _HINTS:
        return DreamingError(f"{where}: {_HINTS[code]}")
    name = type(err).__name__
    if name == "NoCredentialsError":
        return DreamingError(f"{url}: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile)")
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError", "ReadTimeoutError"):
        return DreamingError(f"{url}: cannot reach the object store ({err}); check AWS_ENDPOINT_URL and the network")
    message = str(err).splitlines()[0] if str(err) else name
    return DreamingError(f"{url}: {message}")
