"""Where Claude runs: the Anthropic API, Amazon Bedrock or Google Vertex AI (``--provider``).

Each platform is reached through the SDK's own client (``Anthropic``,
``AnthropicBedrock``, ``AnthropicVertex``), with our model names mapped to
the platform's ids and the same price table (plus the platform's documented
regional premium, as data in ``dreaming/data/providers.json``).  Where the
platform has no Message Batches API in the SDK, ``--llm batch`` runs as
sync and the bill says so.

Settings come from the environment, as the SDK and the platforms name them:
``DREAMING_PROVIDER`` (or ``--provider``); Bedrock: ``AWS_REGION``,
``AWS_BEARER_TOKEN_BEDROCK`` or AWS keys / ``AWS_PROFILE``,
``ANTHROPIC_BEDROCK_BASE_URL``, ``DREAMING_BEDROCK_ENDPOINT`` (``global``, the
default, or ``regional``); Vertex AI: ``CLOUD_ML_REGION`` (``global`` by
default), ``ANTHROPIC_VERTEX_PROJECT_ID``, ``ANTHROPIC_VERTEX_ACCESS_TOKEN`` (else
google-auth's default credentials), ``ANTHROPIC_VERTEX_BASE_URL``.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Any

from dreaming.cost.prices import PriceTable, canonical_model
from dreaming.errors import DreamingError

PROVIDERS = ("anthropic", "bedrock", "vertex")
ENV_VAR = "DREAMING_PROVIDER"


def _data() -> dict[str, Any]:
    text = resources.files("dreaming").joinpath("data/providers.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def resolve_provider(name: str | None, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    chosen = (name or env.get(ENV_VAR) or "anthropic").strip().lower()
    if chosen not in PROVIDERS:
        raise DreamingError(f"unknown provider {chosen!r} (from --provider or {ENV_VAR}); use one of {', '.join(PROVIDERS)}")
    return chosen


def has_credentials(env: Mapping[str, str] | None = None) -> bool:
    """Can the chosen provider be called at all (a key, AWS credentials, a Vertex project)?"""
    env = os.environ if env is None else env
    provider = resolve_provider(None, env)
    if provider == "bedrock":
        return any(env.get(k) for k in ("AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"))
    if provider == "vertex":
        return bool(env.get("ANTHROPIC_VERTEX_PROJECT_ID"))
    return bool(env.get("ANTHROPIC_API_KEY"))


@dataclass(frozen=True, kw_only=True)
class Platform:
    name: str
    batch: bool = True
    batch_note: str = ""
    count_tokens: bool = True
    models: Mapping[str, str] = field(default_factory=dict)
    region: str | None = None
    global_endpoint: bool = True
    global_prefix: str = ""
    regional_premium: Decimal = Decimal(0)
    premium_models: tuple[str, ...] = ()

    def model_id(self, model: str) -> str:
        """The platform's id for one of our model names (an id it already knows is sent as given)."""
        mapped = self.models.get(canonical_model(model))
        if mapped is None:
            return model
        return f"{self.global_prefix}{mapped}" if self.global_endpoint and self.global_prefix else mapped

    def map_params(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "model": self.model_id(str(params["model"]))} if self.models else params

    @property
    def premium(self) -> Decimal:
        return Decimal(0) if self.global_endpoint else self.regional_premium

    def price_table(self, table: PriceTable) -> PriceTable:
        if not self.premium:
            return table
        return table.with_markup(1 + self.premium, self.premium_models,
                                 why=f"{self.name} regional endpoint ({self.region}): +{self.premium:.0%}")


def load_platform(name: str | None = None, env: Mapping[str, str] | None = None) -> Platform:
    env = os.environ if env is None else env
    chosen = resolve_provider(name, env)
    spec = _data()[chosen]
    common: dict[str, Any] = {
        "name": chosen, "batch": bool(spec.get("batch", True)), "batch_note": str(spec.get("batch_note", "")),
        "count_tokens": bool(spec.get("count_tokens", True)), "models": dict(spec.get("models") or {}),
        "regional_premium": Decimal(str(spec.get("regional_premium", 0))),
        "premium_models": tuple(spec.get("premium_models") or ()),
    }
    if chosen == "bedrock":
        endpoint = (env.get("DREAMING_BEDROCK_ENDPOINT") or "global").lower()
        if endpoint not in ("global", "regional"):
            raise DreamingError(f"DREAMING_BEDROCK_ENDPOINT must be global or regional, not {endpoint!r}")
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        return Platform(**common, region=region, global_endpoint=endpoint == "global",
                        global_prefix=str(spec.get("global_prefix", "")))
    if chosen == "vertex":
        region = env.get("CLOUD_ML_REGION") or "global"
        return Platform(**common, region=region, global_endpoint=region == "global")
    return Platform(**common)


def make_sdk(platform: Platform, *, api_key: str | None, base_url: str | None, timeout: float,
             env: Mapping[str, str] | None = None) -> Any:
    """The SDK client for ``platform`` (no SDK retries: ours are explicit)."""
    import anthropic

    env = os.environ if env is None else env
    if platform.name == "bedrock":
        token = env.get("AWS_BEARER_TOKEN_BEDROCK")
        keys = {"aws_access_key": env.get("AWS_ACCESS_KEY_ID"), "aws_secret_key": env.get("AWS_SECRET_ACCESS_KEY"),
                "aws_session_token": env.get("AWS_SESSION_TOKEN"), "aws_profile": env.get("AWS_PROFILE")}
        if not token and not any(keys.values()):
            raise DreamingError("no AWS credentials for Bedrock: set AWS_BEARER_TOKEN_BEDROCK, or AWS_ACCESS_KEY_ID and "
                                "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")
        auth: dict[str, Any] = {"api_key": token} if token else {k: v for k, v in keys.items() if v}
        return anthropic.AnthropicBedrock(**auth, aws_region=platform.region,
                                          base_url=env.get("ANTHROPIC_BEDROCK_BASE_URL") or None,
                                          max_retries=0, timeout=timeout)
    if platform.name == "vertex":
        project = env.get("ANTHROPIC_VERTEX_PROJECT_ID")
        if not project:
            raise DreamingError("no Google Cloud project for Vertex AI: set ANTHROPIC_VERTEX_PROJECT_ID")
        token = env.get("ANTHROPIC_VERTEX_ACCESS_TOKEN")
        if not token and importlib.util.find_spec("google") is None:  # the SDK uses google-auth for default credentials
            raise DreamingError("Vertex AI needs ANTHROPIC_VERTEX_ACCESS_TOKEN, or google-auth installed for "
                                "default credentials (pip install 'anthropic[vertex]')")
        return anthropic.AnthropicVertex(region=platform.region or "global", project_id=project, access_token=token,
                                         base_url=env.get("ANTHROPIC_VERTEX_BASE_URL") or None,
                                         max_retries=0, timeout=timeout)
    if not api_key:
        raise DreamingError("no Anthropic API key: set ANTHROPIC_API_KEY, or run with --llm off")
    return anthropic.Anthropic(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout)
