from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dreaming.llm import schema
from dreaming.llm.requests import LLMRequest, ToolSpec
from dreaming.llm.tokens import approx_tokens, split_request_tokens

leaf = st.sampled_from([
    {"type": "string"}, {"type": "string", "minLength": 3}, {"type": "integer", "minimum": 2}, {"type": "number"},
    {"type": "boolean"}, {"type": "null"}, {"enum": ["a", "b"]}, {"const": 7}, {"type": ["string", "null"]},
])


def objects(children):
    return st.dictionaries(st.text("abcdef", min_size=1, max_size=4), children, max_size=4).flatmap(
        lambda props: st.builds(
            lambda required, closed: {
                "type": "object",
                "properties": props,
                "required": required,
                "additionalProperties": not closed,
            },
            st.lists(st.sampled_from(sorted(props)), unique=True) if props else st.just([]),
            st.booleans(),
        )
    )


schemas = st.recursive(leaf, lambda children: st.one_of(
    objects(children),
    st.builds(lambda item, n: {"type": "array", "items": item, "minItems": n}, children, st.integers(0, 2)),
    st.builds(lambda a, b: {"anyOf": [a, b]}, children, children),
), max_leaves=8)


@given(schemas)
def test_example_conforms_to_its_schema(value_schema):
    schema.check_schema(value_schema)
    assert schema.errors(schema.example(value_schema), value_schema) == []


@pytest.mark.parametrize(
    "value, rule, fragment",
    [
        ({"a": 1}, {"type": "object", "required": ["b"]}, "missing required property 'b'"),
        ({"a": 1}, {"type": "object", "properties": {}, "additionalProperties": False}, "unexpected property 'a'"),
        ({"a": "x"}, {"type": "object", "properties": {"a": {"type": "integer"}}}, "$.a: expected integer, got str"),
        ([1, "x"], {"type": "array", "items": {"type": "integer"}}, "$[1]: expected integer"),
        (True, {"type": "integer"}, "expected integer, got bool"),
        ("c", {"enum": ["a", "b"]}, "is not one of"),
        (1, {"minimum": 2}, "below the minimum"),
        ("", {"type": "string", "minLength": 1}, "shorter than 1"),
        ([], {"type": "array", "minItems": 1}, "fewer than 1 items"),
        ("t9", {"type": "string", "pattern": "^t[0-9]{2}$"}, "does not match"),
        (3, {"anyOf": [{"type": "string"}, {"type": "null"}]}, "matches none"),
    ],
)
def test_errors_name_the_path_and_the_rule(value, rule, fragment):
    found = schema.errors(value, rule)
    assert found and fragment in " ".join(found)


def test_unsupported_keywords_are_refused_when_the_tool_is_built():
    with pytest.raises(schema.SchemaError, match=r"\$.a: unsupported schema keyword\(s\) \$ref"):
        ToolSpec(name="t", description="d", input_schema={"type": "object", "properties": {"a": {"$ref": "#/x"}}})
    with pytest.raises(ValueError, match="type 'object'"):
        ToolSpec(name="t", description="d", input_schema={"type": "array"})


def test_request_records_check_their_fields():
    with pytest.raises(ValueError, match="custom_id"):
        LLMRequest.ask(custom_id="has space", stage="s", model="m", system="", user="u")
    with pytest.raises(ValueError, match="max_tokens"):
        LLMRequest.ask(custom_id="a", stage="s", model="m", system="", user="u", max_tokens=0)
    with pytest.raises(ValueError, match="cache_ttl"):
        LLMRequest.ask(custom_id="a", stage="s", model="m", system="", user="u", cache_ttl="1d")


def test_token_approximation_is_ceil_of_bytes_over_three():
    assert approx_tokens("") == 0
    assert approx_tokens("abc") == 1 and approx_tokens("abcd") == 2
    assert approx_tokens("日本") == 2  # 6 bytes


def test_cached_prefix_runs_through_the_last_marked_block():
    body = {
        "system": [
            {"type": "text", "text": "a" * 30, "cache_control": {"type": "ephemeral", "ttl": "1h"}},
            {"type": "text", "text": "b" * 60},
        ],
        "messages": [{"role": "user", "content": "c" * 9}],
    }
    split = split_request_tokens(body)
    assert (split.prefix, split.rest, split.ttl) == (10, 20 + 4 + 3, "1h")
    body["system"][0].pop("cache_control")
    unmarked = split_request_tokens(body)
    assert (unmarked.prefix, unmarked.total, unmarked.ttl) == (0, split.total, None)
