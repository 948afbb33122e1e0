"""Suite (c): the drift generator and its store."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dreaming.errors import DreamingError
from dreaming.evals.answer_match import contains
from dreaming.evals.drift import ATTRIBUTES, PEOPLE, DriftConfig, build_store, generate
from dreaming.store.core import Store

SMALL = DriftConfig(people=3, days=20, mention_rate=0.2)


def test_same_config_same_world_and_another_seed_another():
    a, b = generate(SMALL), generate(SMALL)
    assert a == b
    assert [m.id for d in a.days for m in d] == [m.id for d in b.days for m in d]
    other = generate(replace(SMALL, seed=8))
    assert [m.content for d in other.days for m in d] != [m.content for d in a.days for m in d]


def test_tasks_ask_for_the_last_value_and_list_the_outdated_ones():
    world = generate(SMALL)
    assert len(world.tasks) == 3 * len(ATTRIBUTES)
    for task in world.tasks:
        person, attr_name = task.id.split(".")
        attr = next(a for a in ATTRIBUTES if a.name == attr_name)
        said = [
            value
            for day in world.days
            for m in day
            if m.path == f"/people/{person}.md"
            for value in attr.values
            if any(m.content == p.format(p=person.capitalize(), v=value) for p in attr.phrasings)
        ]
        assert said, task.id
        assert task.answer == said[-1]
        assert task.wrong == tuple(dict.fromkeys(v for v in said if v != said[-1]))
        assert task.category == ("changed" if task.wrong else "unchanged")
        assert contains(task.question, person)


def test_every_day_is_one_import_version_observed_that_day(store_path):
    world = generate(SMALL)
    with Store.open(store_path) as store:
        last = build_store(store, world)
        assert last == sum(1 for d in world.days if d)
        assert store.count(last) == sum(len(d) for d in world.days)
        for version, day in zip(range(1, last + 1), [d for d in world.days if d], strict=True):
            dates = {m.observed_at.date() for m in day}
            assert len(dates) == 1
            assert {m.id for m in day} <= {m.id for m in store.snapshot(version)}


def test_config_is_checked():
    with pytest.raises(DreamingError, match="people must be between 1 and"):
        DriftConfig(people=len(PEOPLE) + 1)
    with pytest.raises(DreamingError, match="days must be at least 2"):
        DriftConfig(days=1)
