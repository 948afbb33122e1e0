"""Property: for random sequences of version writes, accepts, rejects and
rollbacks, every version's snapshot equals what was written at that version."""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dreaming import Changeset, Memory, Store
from dreaming.errors import CandidatePending, StoreError

IDS = [f"mem_{i}" for i in range(8)]
CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12).filter(
    lambda s: s.strip() != ""
)


class VersionedStore(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.store = Store.open(Path(self.dir.name) / "memory.db")
        # model: version number -> {id: content}; plus status and the tip state
        self.model: dict[int, dict[str, str]] = {0: {}}
        self.status: dict[int, str] = {}
        self.head = 0
        self.candidate: int | None = None
        self.next_number = 1

    def teardown(self) -> None:
        self.store.close()
        self.dir.cleanup()

    def _tip_state(self) -> dict[str, str]:
        return self.model[self.candidate if self.candidate is not None else self.head]

    @rule(
        writes=st.dictionaries(st.sampled_from(IDS), TEXT, max_size=4),
        retire=st.sets(st.sampled_from(IDS), max_size=3),
        candidate=st.booleans(),
    )
    def write(self, writes: dict[str, str], retire: set[str], candidate: bool) -> None:
        current = self.model[self.head]
        retire = {i for i in retire if i in current and i not in writes}
        cs = Changeset(
            upserts=tuple(Memory(id=i, content=c.strip(), created_at=CREATED) for i, c in sorted(writes.items())),
            retire=tuple(sorted(retire)),
            status="candidate" if candidate else "accepted",
        )
        if self.candidate is not None:
            try:
                self.store.write_version(cs)
            except CandidatePending:
                return
            raise AssertionError("a write went through while a candidate was pending")
        expected = dict(current)
        for i in retire:
            expected.pop(i)
        expected.update({i: c.strip() for i, c in writes.items()})
        version = self.store.write_version(cs)
        if expected == current and not retire:
            assert version is None
            return
        assert version is not None and version.number == self.next_number
        self.model[version.number] = expected
        self.status[version.number] = cs.status
        self.next_number += 1
        if candidate:
            self.candidate = version.number
        else:
            self.head = version.number

    @precondition(lambda self: self.candidate is not None)
    @rule()
    def accept(self) -> None:
        self.store.accept()
        self.head, self.candidate = self.candidate, None  # type: ignore[assignment]

    @precondition(lambda self: self.candidate is not None)
    @rule()
    def reject(self) -> None:
        self.store.reject()
        self.candidate = None

    @rule(data=st.data())
    def rollback(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(sorted(self.model)))
        if self.candidate is not None:
            try:
                self.store.rollback(target)
            except CandidatePending:
                return
            raise AssertionError("rollback went through while a candidate was pending")
        version = self.store.rollback(target)
        if self.model[target] == self.model[self.head]:
            assert version is None
            return
        assert version is not None and version.number == self.next_number
        self.model[version.number] = dict(self.model[target])
        self.next_number += 1
        self.head = version.number

    @rule()
    def accept_without_candidate_fails(self) -> None:
        if self.candidate is None:
            try:
                self.store.accept()
            except StoreError:
                return
            raise AssertionError("accept succeeded without a candidate")

    @invariant()
    def every_version_reads_as_written(self) -> None:
        assert self.store.head == self.head
        for number, expected in self.model.items():
            got = {m.id: m.content for m in self.store.snapshot(number)}
            assert got == expected, f"version {number}"
            assert self.store.count(number) == len(expected)

    @invariant()
    def integrity(self) -> None:
        assert self.store.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


VersionedStore.TestCase.settings = settings(
    max_examples=150, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestVersionedStore = VersionedStore.TestCase
