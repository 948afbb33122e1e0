"""The price table: what a token, an hour of runtime and a web search cost.

Why data, not code: prices change, so the defaults live in
``dreaming/data/prices.json`` with the date they were taken, and a user can
override any figure with a JSON file of the same shape (path from
``DREAMING_PRICES`` or given explicitly) without a new release.

Pricing must never fail a run: a model missing from the table is priced
like the most expensive known model of its family (or of the whole table),
with a warning that says so.  Only a malformed *override file* is an error,
reported on one line before anything is spent.

Amounts are ``Decimal`` USD per million tokens, so reports add up exactly.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from dreaming.errors import InputError

PRICE_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
SCALAR_FIELDS = ("batch_discount", "runtime_per_hour", "web_search_per_1000")
TEXT_FIELDS = ("as_of", "source", "currency", "unit")
FAMILIES = ("opus", "sonnet", "haiku")
ENV_VAR = "DREAMING_PRICES"


@dataclass(frozen=True, kw_only=True)
class ModelPrice:
    """USD per million tokens for one model."""

    input: Decimal
    output: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal

    def cache_write(self, ttl: str) -> Decimal:
        return self.cache_write_1h if ttl == "1h" else self.cache_write_5m


@dataclass(frozen=True, kw_only=True)
class PriceLookup:
    """A model's price, the table entry it came from, and why if it is a guess."""

    model: str
    entry: str
    price: ModelPrice
    warning: str | None = None


@dataclass(frozen=True, kw_only=True)
class PriceTable:
    as_of: str
    source: str
    models: Mapping[str, ModelPrice]
    batch_discount: Decimal
    """Fraction taken off token prices in the Message Batches API (0.5 = 50 % off)."""
    runtime_per_hour: Decimal
    """USD per hour of active runtime (the Managed Agents rate by default; 0 when self-hosting)."""
    web_search_per_1000: Decimal

    def with_runtime_rate(self, usd_per_hour: Decimal | float | str) -> PriceTable:
        return replace(self, runtime_per_hour=Decimal(str(usd_per_hour)))

    def with_markup(self, factor: Decimal, models: Iterable[str], *, why: str) -> PriceTable:
        """Every token price of ``models`` times ``factor`` (a provider's regional premium, say)."""
        chosen = {canonical_model(m) for m in models}
        priced = {
            name: ModelPrice(**{f: getattr(p, f) * factor for f in PRICE_FIELDS}) if name in chosen else p
            for name, p in self.models.items()
        }
        return replace(self, models=priced, source=f"{self.source}; {why}")

    def lookup(self, model: str) -> PriceLookup:
        """The price of ``model`` (dated and provider-prefixed ids map to their family entry)."""
        key = canonical_model(model)
        if key in self.models:
            return PriceLookup(model=model, entry=key, price=self.models[key])
        family = next((word for word in FAMILIES if word in key), None)
        candidates = [name for name in self.models if family and family in name] or list(self.models)
        entry = max(candidates, key=lambda name: (self.models[name].output, self.models[name].input, name))
        warning = (
            f"no price for model {model!r} in the price table (as of {self.as_of}); "
            f"priced as {entry}. Add it to a prices file ({ENV_VAR}) to fix."
        )
        return PriceLookup(model=model, entry=entry, price=self.models[entry], warning=warning)


_DATE_SUFFIX = re.compile(r"(?:[-@]\d{8}|-latest|-v\d+(?::\d+)?)+$")


def canonical_model(model: str) -> str:
    """``claude-haiku-4-5-20251001`` -> ``claude-haiku-4-5``; provider prefixes and ``-latest`` dropped."""
    name = model.strip().lower()
    start = name.find("claude-")
    if start > 0:
        name = name[start:]
    return _DATE_SUFFIX.sub("", name)


def default_prices_data() -> dict[str, Any]:
    text = resources.files("dreaming").joinpath("data/prices.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text, parse_float=Decimal)
    return data


def load_prices(path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None) -> PriceTable:
    """The default table, with the user's override file (``path`` or ``$DREAMING_PRICES``) merged over it."""
    env = os.environ if env is None else env
    chosen = path if path is not None else env.get(ENV_VAR) or None
    data = default_prices_data()
    if chosen is not None:
        data = merge_prices(data, read_override(Path(chosen)), origin=str(chosen))
    return parse_prices(data, origin="dreaming/data/prices.json" if chosen is None else str(chosen))


def read_override(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read prices file: {exc.strerror or exc}", location=str(path)) from None
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", location=f"{path}:{exc.lineno}") from None
    if not isinstance(data, dict):
        raise InputError("a prices file must hold a JSON object", location=str(path))
    return data


def merge_prices(base: Mapping[str, Any], override: Mapping[str, Any], *, origin: str) -> dict[str, Any]:
    """Override top-level figures; merge ``models`` per model (a known model may override some fields)."""
    unknown = sorted(set(override) - set(SCALAR_FIELDS) - set(TEXT_FIELDS) - {"models"})
    if unknown:
        raise InputError(
            f"unknown key(s) {', '.join(unknown)}; expected {', '.join(SCALAR_FIELDS + TEXT_FIELDS)} or models",
            location=origin,
        )
    merged = {key: value for key, value in base.items() if key != "models"}
    merged.update({key: value for key, value in override.items() if key != "models"})
    models = {name: dict(entry) for name, entry in base.get("models", {}).items()}
    extra = override.get("models", {})
    if not isinstance(extra, dict):
        raise InputError("models: expected an object of model id -> prices", location=origin)
    for name, entry in extra.items():
        if not isinstance(entry, dict):
            raise InputError(f"models.{name}: expected an object with {', '.join(PRICE_FIELDS)}", location=origin)
        models.setdefault(canonical_model(name), {}).update(entry)
    merged["models"] = models
    return merged


def _number(value: Any, where: str, origin: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)) or value < 0:
        raise InputError(f"{where}: expected a non-negative number, got {value!r}", location=origin)
    return Decimal(str(value))


def parse_prices(data: Mapping[str, Any], *, origin: str) -> PriceTable:
    """Validate a merged table; every problem is one line naming the field."""
    models: dict[str, ModelPrice] = {}
    for name, entry in (data.get("models") or {}).items():
        unknown = sorted(set(entry) - set(PRICE_FIELDS))
        if unknown:
            raise InputError(f"models.{name}: unknown field(s) {', '.join(unknown)}", location=origin)
        missing = [f for f in PRICE_FIELDS if f not in entry]
        if missing:
            raise InputError(f"models.{name}: missing {', '.join(missing)}", location=origin)
        models[name] = ModelPrice(**{f: _number(entry[f], f"models.{name}.{f}", origin) for f in PRICE_FIELDS})
    if not models:
        raise InputError("models: the price table lists no model", location=origin)
    scalars = {}
    for key in SCALAR_FIELDS:
        if key not in data:
            raise InputError(f"{key}: missing", location=origin)
        scalars[key] = _number(data[key], key, origin)
    if scalars["batch_discount"] > 1:
        raise InputError(f"batch_discount: expected a fraction between 0 and 1, got {data['batch_discount']}", location=origin)
    return PriceTable(as_of=str(data.get("as_of", "unknown")), source=str(data.get("source", origin)), models=models, **scalars)
