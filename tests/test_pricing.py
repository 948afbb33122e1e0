from __future__ import annotations

import json
from decimal import Decimal

import pytest

from dreaming.cost.prices import canonical_model, default_prices_data, load_prices
from dreaming.errors import InputError

# The table in ANTHROPIC_NOTES.md (USD per million tokens).
NOTES = {
    "opus": ("5", "25", "6.25", "10", "0.50", ["claude-opus-4-5", "claude-opus-4-6", "claude-opus-4-7", "claude-opus-4-8"]),
    "sonnet": ("3", "15", "3.75", "6", "0.30", ["claude-sonnet-4-5", "claude-sonnet-4-6"]),
    "haiku": ("1", "5", "1.25", "2", "0.10", ["claude-haiku-4-5"]),
}


def test_default_table_matches_the_published_figures_and_is_dated():
    prices = load_prices(env={})
    assert prices.as_of == "2026-11-24"
    for inp, out, w5, w1, read, models in NOTES.values():
        for model in models:
            price = prices.lookup(model).price
            assert (price.input, price.output, price.cache_write_5m, price.cache_write_1h, price.cache_read) == tuple(
                Decimal(x) for x in (inp, out, w5, w1, read)
            )
            # the published multipliers hold for every entry
            assert price.cache_write_5m == price.input * Decimal("1.25")
            assert price.cache_write_1h == price.input * 2
            assert price.cache_read == price.input * Decimal("0.1")
    assert prices.batch_discount == Decimal("0.5")
    assert prices.runtime_per_hour == Decimal("0.08")
    assert prices.web_search_per_1000 == Decimal("10")


@pytest.mark.parametrize(
    "model, entry",
    [
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("claude-opus-4-7@20260101", "claude-opus-4-7"),
        ("Claude-Opus-4-6-latest", "claude-opus-4-6"),
    ],
)
def test_dated_and_provider_ids_map_to_their_family(model, entry):
    lookup = load_prices(env={}).lookup(model)
    assert lookup.entry == entry
    assert lookup.warning is None


def test_unknown_model_is_priced_with_a_warning_never_an_error():
    prices = load_prices(env={})
    sonnet = prices.lookup("claude-sonnet-9")
    assert sonnet.entry.startswith("claude-sonnet") and "claude-sonnet-9" in sonnet.warning
    other = prices.lookup("some-other-model")
    assert other.price.output == max(p.output for p in prices.models.values())
    assert "DREAMING_PRICES" in other.warning


def test_canonical_model_keeps_undated_ids():
    assert canonical_model("claude-haiku-4-5") == "claude-haiku-4-5"
    assert canonical_model("claude-opus-4-20250514") == "claude-opus-4"


def test_override_from_env_merges_over_defaults(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {
                "runtime_per_hour": 0,
                "models": {
                    "claude-haiku-4-5": {"output": 4.5},
                    "claude-next-1": {
                        "input": 2,
                        "output": 8,
                        "cache_write_5m": 2.5,
                        "cache_write_1h": 4,
                        "cache_read": 0.2,
                    },
                },
            }
        )
    )
    prices = load_prices(env={"DREAMING_PRICES": str(path)})
    assert prices.runtime_per_hour == 0
    assert prices.lookup("claude-haiku-4-5").price.output == Decimal("4.5")
    assert prices.lookup("claude-haiku-4-5").price.input == Decimal("1")  # untouched field kept
    assert prices.lookup("claude-next-1-20270101").price.output == Decimal("8")
    assert prices.lookup("claude-sonnet-4-6").price.input == Decimal("3")


def test_explicit_path_wins_over_env(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text('{"web_search_per_1000": 12}')
    b.write_text('{"web_search_per_1000": 7}')
    assert load_prices(b, env={"DREAMING_PRICES": str(a)}).web_search_per_1000 == 7


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('{"models": {"claude-x": {"input": 1}}}', "models.claude-x: missing output, cache_write_5m"),
        ('{"models": {"claude-haiku-4-5": {"input": -1}}}', "models.claude-haiku-4-5.input: expected a non-negative number"),
        ('{"models": {"claude-haiku-4-5": {"inptu": 1}}}', "unknown field(s) inptu"),
        ('{"batch_discount": 2}', "batch_discount: expected a fraction"),
        ('{"runtime_per_hour": "free"}', "runtime_per_hour: expected a non-negative number"),
        ('{"runtime": 0}', "unknown key(s) runtime"),
        ('[1, 2]', "must hold a JSON object"),
        ('{\n  "runtime_per_hour": 0,\n  oops\n}', ":3: not valid JSON"),
    ],
)
def test_bad_override_is_one_clear_line(tmp_path, text, fragment):
    path = tmp_path / "prices.json"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_prices(path, env={})
    message = str(info.value)
    assert fragment in message
    assert str(path) in message and "\n" not in message


def test_missing_override_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read prices file"):
        load_prices(tmp_path / "nope.json", env={})


def test_packaged_data_parses_floats_exactly():
    data = default_prices_data()
    assert data["models"]["claude-sonnet-4-6"]["cache_read"] == Decimal("0.30")
