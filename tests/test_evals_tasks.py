"""Reading --tasks files: good lines become tasks, the first bad line is file:line and nothing runs."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dreaming.cli import cli
from dreaming.errors import InputError
from dreaming.evals.tasks import DEFAULT_CATEGORY, load_tasks


def write(tmp_path, *lines):
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_reads_every_field_and_fills_defaults(tmp_path):
    path = write(
        tmp_path,
        json.dumps({"id": "q1", "question": "Which editor?", "answer": "helix", "evidence": ["s1#t4"], "category": "prefs"}),
        "",
        "# a comment",
        json.dumps({"question": "Which year?", "answer": 2022}),
    )
    dataset = load_tasks(path)
    assert dataset.name == "tasks"
    first, second = dataset.tasks
    assert (first.id, first.question, first.answer, first.evidence, first.category) == (
        "q1", "Which editor?", "helix", ("s1#t4",), "prefs"
    )
    assert (second.id, second.answer, second.evidence, second.category) == ("line-4", "2022", (), DEFAULT_CATEGORY)
    assert first.answerable and not first.wrong


@pytest.mark.parametrize(
    "line, message",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"question": "q"}), "missing 'answer'"),
        (json.dumps({"answer": "a"}), "missing 'question'"),
        (json.dumps({"question": "q", "answer": "a", "evidnce": []}), "unknown field(s) evidnce"),
        (json.dumps({"question": "q", "answer": True}), "'answer' must be a string or a number"),
        (json.dumps({"question": " ", "answer": "a"}), "'question' is empty"),
        (json.dumps({"question": "q", "answer": "a", "evidence": "t1"}), "'evidence' must be a list"),
        (json.dumps({"question": "q", "answer": "a", "evidence": [1]}), "'evidence' must be a list"),
    ],
)
def test_bad_line_is_reported_with_file_and_line(tmp_path, line, message):
    path = write(tmp_path, json.dumps({"question": "fine", "answer": "yes"}), line)
    with pytest.raises(InputError) as err:
        load_tasks(path)
    assert err.value.location == f"{path}:2"
    assert message in str(err.value)


def test_duplicate_ids_and_empty_files_are_refused(tmp_path):
    path = write(tmp_path, json.dumps({"id": "a", "question": "q", "answer": "x"}),
                 json.dumps({"id": "a", "question": "r", "answer": "y"}))
    with pytest.raises(InputError, match="already used on line 1"):
        load_tasks(path)
    with pytest.raises(InputError, match="no tasks"):
        load_tasks(write(tmp_path, "", "# nothing"))
    with pytest.raises(InputError, match="no such tasks file"):
        load_tasks(tmp_path / "missing.jsonl")


def test_cli_bad_task_file_is_one_line_and_runs_nothing(tmp_path, store_path):
    path = write(tmp_path, json.dumps({"question": "q", "answer": "a"}), "{oops")
    out = tmp_path / "results"
    result = CliRunner().invoke(cli, ["eval", "--tasks", str(path), "--before", "0", "--after", "1", "--out", str(out)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {path}:2: not valid JSON (Expecting property name enclosed in double quotes)"
    assert not out.exists() and not store_path.exists()
