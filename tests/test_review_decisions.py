"""Accepting a candidate change by change: the closure rules, the CLI's
--only / --except, the recorded decisions, and a property test that HEAD
holds exactly the accepted changes."""

from __future__ import annotations

import json
import random
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dreaming import Change, Changeset, Memory, Store
from dreaming.cli import cli
from dreaming.errors import StoreError
from dreaming.store import closure

from .conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "dream"
CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)


def mem(mid: str, text: str, **kw) -> Memory:
    return Memory(id=mid, content=text, created_at=CREATED, **kw)


@pytest.fixture
def run(store_path):
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(cli, ["--store", str(store_path), *args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def linked_candidate(store: Store) -> None:
    """HEAD: a, b, c, d.  The candidate: #1 merges b into a, #2 supersedes c
    by the merged a (needs #1), #3 adds n, #4 flags a conflict between n and d
    (needs #3), #5 updates d's text."""
    store.import_memories([mem("a", "Alice likes tea."), mem("b", "alice likes tea"), mem("c", "Alice likes coffee."),
                           mem("d", "Bob lives in Paris.")])
    store.write_version(
        Changeset(
            upserts=(mem("a", "Alice likes tea.", mentions=2), mem("n", "Bob lives in Lyon."),
                     mem("d", "Bob lives in Paris, France.")),
            retire=("b", "c"),
            changes=(
                Change(op="merge", rule="same-words", inputs=("a", "b"), outputs=("a",), reason="same fact", score=1.0),
                Change(op="supersede", rule="keyed-update", inputs=("c",), outputs=("a",), reason="newer value", score=0.6),
                Change(op="add", rule="user-fact", outputs=("n",), reason="new", score=0.8),
                Change(op="conflict", rule="same-time-values", inputs=("d",), outputs=("d", "n"), reason="two cities", score=0.5),
                Change(op="update", rule="restatement-fold", inputs=("d",), outputs=("d",), reason="fuller", score=0.7),
            ),
            status="candidate",
            origin="dream",
        )
    )


def contents(store: Store) -> set[str]:
    return {m.content for m in store.snapshot()}


def test_graph_units_and_needs(store_path):
    with Store.open(store_path) as store:
        linked_candidate(store)
        g = store.change_graph(2)
    assert g.needs[2] == {1: "a"}  # the supersede names the merged memory
    assert g.needs[4] == {3: "n", 5: "d"}  # the conflict flags what #3 and #5 wrote
    assert all(g.unit[s] == {s} for s in g.seqs)
    assert closure.close_up(g, {2}) == {1, 2}
    assert closure.close_down(g, {2, 3, 4}) == {3}
    assert closure.check(g, {1, 2, 3, 5}) is None
    assert closure.check(g, {2}).startswith("change 2 (supersede) needs change 1 (merge), which is rejected")


def test_accept_only_writes_exactly_the_accepted_changes(run, store_path):
    with Store.open(store_path) as store:
        linked_candidate(store)
    out = run("accept", "--only", "1,2", "--only", "#5", "--by", "alice").output
    assert "Accepted 3 of 5 changes of version 2" in out
    with Store.open(store_path) as store:
        assert store.head == 2 and store.candidate() is None
        assert contents(store) == {"Alice likes tea.", "Bob lives in Paris, France."}
        assert store.snapshot()[0].mentions == 2
        assert [(c.seq, c.decision) for c in store.changes(2)] == [
            (1, "accepted"), (2, "accepted"), (3, "rejected"), (4, "rejected"), (5, "accepted")]
        assert [c.seq for c in store.diff(1, 2)] == [1, 2, 5]
        assert store.version(2).counts["rejected_changes"] == 2
        assert [h[1] for h in store.history("n")] == [[]]  # the rejected add is in no version
    log = json.loads(run("log", "--json").output)
    decision = log["versions"][-1]["decision"]
    assert (decision["who"], decision["via"], decision["verdict"]) == ("alice", "cli", "partial")
    assert (decision["accepted"], decision["rejected"]) == ([1, 2, 5], [3, 4])
    assert "3/5" in run("log").output
    run("rollback", "1")
    with Store.open(store_path) as store:
        assert contents(store) == {"Alice likes tea.", "alice likes tea", "Alice likes coffee.", "Bob lives in Paris."}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--only", "2"], "change 2 (supersede) needs change 1 (merge), which is rejected: it names memory a"),
        (["--except", "3"], "change 4 (conflict) needs change 3 (add), which is rejected"),
        (["--only", "9"], "change 9 is not in candidate 2 (its changes are numbered 1 to 5)"),
        (["--only", "two"], "--only takes change numbers as `dreaming diff` shows them (#12)"),
        (["--only", "1", "--except", "2"], "not both"),
    ],
)
def test_refused_combinations_are_one_line_and_write_nothing(run, store_path, args, message):
    with Store.open(store_path) as store:
        linked_candidate(store)
    result = run("accept", *args, ok=False)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    with Store.open(store_path) as store:
        assert store.candidate().number == 2 and store.head == 1 and store.decisions() == []


def test_writers_of_one_memory_go_together(store_path):
    with Store.open(store_path) as store:
        store.import_memories([mem("a", "A."), mem("b", "B.")])
        store.write_version(
            Changeset(
                upserts=(mem("a", "A, dated."),),
                retire=("b",),
                changes=(Change(op="update", rule="restatement-fold", inputs=("a",), outputs=("a",), reason="dated"),
                         Change(op="merge", rule="same-words", inputs=("a", "b"), outputs=("a",), reason="same")),
                status="candidate",
            )
        )
        with pytest.raises(StoreError, match=r"change 1 \(update\) and change 2 \(merge\) both write memory a \('A, dated.'\)"):
            store.accept(only=[1])
        version = store.accept(exclude=[1, 2], who="bob")
        assert version.status == "rejected" and store.head == 1
        assert store.decisions(2)[0].verdict == "rejected"


def test_partial_accept_of_a_real_dream_releases_the_rejected_turns(run, store_path):
    run("import", str(FIXTURE / "memories.jsonl"))
    run("run", "--transcripts", str(FIXTURE / "transcripts"), "--llm", "off", "--review")
    diff = json.loads(run("diff", "--json").output)
    ops = [c["op"] for c in diff["changes"]]
    supersede = ops.index("supersede") + 1
    pending_before = json.loads(run("stats", "--json").output)["pending_turns"]
    run("accept", "--except", str(supersede))
    with Store.open(store_path) as store:
        texts = contents(store)
        assert "User's editor is vim." in texts and not any("helix" in t for t in texts)
        assert "User prefers tabs." in texts and "user prefers tabs" not in texts  # the merge stayed
        decision = store.decisions(2)[0]
        assert decision.rejected == (supersede,) and decision.released_turns == 1
    assert json.loads(run("stats", "--json").output)["pending_turns"] == pending_before + 1


# --- property: HEAD is the parent with exactly the closed subset applied -------------------------


@dataclass
class Intent:
    """What a generated change means, independently of the store's closure rules."""

    change: Change
    writes: set[str] = field(default_factory=set)
    retires: set[str] = field(default_factory=set)
    needs: set[int] = field(default_factory=set)  # indexes of the changes it needs


def generate(r: random.Random) -> tuple[list[Memory], list[Memory], list[str], list[Intent]]:
    parent = [mem(f"p{i}", f"parent fact {i}") for i in range(r.randint(3, 9))]
    free = [m.id for m in parent]
    r.shuffle(free)
    upserts: dict[str, Memory] = {}
    retire: list[str] = []
    intents: list[Intent] = []
    writer: dict[str, int] = {}
    fresh = 0

    def new_id() -> str:
        nonlocal fresh
        fresh += 1
        return f"n{fresh}"

    kinds = [r.choice(["add", "update", "merge", "supersede", "move"]) for _ in range(r.randint(1, 6))]
    rules = {"update": "restatement-fold", "move": "topic-path"}
    for kind in kinds + ["conflict"] * r.randint(0, 2):  # conflicts last: they flag what the candidate holds
        if kind == "add" or (kind in ("update", "merge", "supersede", "move") and not free):
            n = new_id()
            upserts[n] = mem(n, f"new fact {n}")
            intents.append(Intent(change=Change(op="add", rule="user-fact", outputs=(n,)), writes={n}))
            writer[n] = len(intents) - 1
        elif kind in ("update", "move"):
            p = free.pop()
            if kind == "update":
                upserts[p] = mem(p, f"parent fact {p} updated")
            else:
                upserts[p] = mem(p, f"parent fact {p[1:]}", path="/moved.md")
            intents.append(Intent(change=Change(op=kind, rule=rules[kind], inputs=(p,), outputs=(p,)), writes={p}))
            writer[p] = len(intents) - 1
        elif kind == "merge":
            canon, others = free.pop(), [free.pop() for _ in range(min(len(free), r.randint(1, 2)))]
            upserts[canon] = mem(canon, f"parent fact {canon} merged", mentions=1 + len(others))
            retire.extend(others)
            intents.append(Intent(change=Change(op="merge", rule="same-words", inputs=(canon, *others), outputs=(canon,)),
                                  writes={canon}, retires=set(others)))
            merge = len(intents) - 1
            writer[canon] = merge
            if free and r.random() < 0.6:  # a supersede whose new value is the merged memory
                old = free.pop()
                retire.append(old)
                intents.append(Intent(change=Change(op="supersede", rule="keyed-update", inputs=(old,), outputs=(canon,)),
                                      retires={old}, needs={merge}))
        elif kind == "supersede":
            old, n = free.pop(), new_id()
            upserts[n] = mem(n, f"newer value {n}")
            retire.append(old)
            intents.append(Intent(change=Change(op="supersede", rule="keyed-update", inputs=(old,), outputs=(n,)),
                                  writes={n}, retires={old}))
            writer[n] = len(intents) - 1
        else:  # a conflict between two memories of the candidate, maybe written by others
            alive = [m.id for m in parent if m.id not in retire] + [i for i in upserts if i.startswith("n")]
            if len(alive) < 2:
                continue
            pair = tuple(sorted(r.sample(alive, 2)))
            flagged = Change(op="conflict", rule="same-time-values", inputs=tuple(i for i in pair if i.startswith("p")),
                             outputs=pair)
            intents.append(Intent(change=flagged,
                                  needs={writer[i] for i in pair if i in writer}))
    return parent, list(upserts.values()), retire, intents


def expected_head(parent: list[Memory], upserts: list[Memory], intents: list[Intent], accepted: set[int]) -> dict:
    state = {m.id: (m.content, m.path, m.mentions) for m in parent}
    cand = {m.id: (m.content, m.path, m.mentions) for m in upserts}
    for i in sorted(accepted):
        for x in intents[i].writes:
            state[x] = cand[x]
        for x in intents[i].retires:
            state.pop(x, None)
    return state


def snapshot(store: Store) -> dict:
    return {m.id: (m.content, m.path, m.mentions) for m in store.snapshot()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_partial_acceptance_is_the_parent_plus_exactly_the_closed_subset(seed, data):
    parent, upserts, retire, intents = generate(random.Random(seed))
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "m.db") as store:
        store.import_memories(parent)
        base = snapshot(store)
        store.write_version(Changeset(upserts=tuple(upserts), retire=tuple(retire),
                                      changes=tuple(i.change for i in intents), status="candidate", origin="dream"))
        graph = store.change_graph(2)
        requested = data.draw(st.sets(st.sampled_from(graph.seqs))) if graph.seqs else set()
        closed = closure.close_up(graph, requested)
        assert closed >= requested
        for seq in closed:  # the closure holds what each change needs, by the generator's own account
            assert {n + 1 for n in intents[seq - 1].needs} <= closed
        if closed != requested:
            with pytest.raises(StoreError):
                store.accept(only=requested)
            assert store.candidate() is not None and store.head == 1
        version = store.accept(only=closed, who="prop")
        assert version.status == ("accepted" if closed else "rejected")
        assert snapshot(store) == expected_head(parent, upserts, intents, {s - 1 for s in closed})
        store.rollback(1)
        assert snapshot(store) == base


def test_close_down_keeps_what_can_stand_alone():
    g = closure.build(
        [closure.ChangeRef(seq=1, op="merge", inputs=("a", "b"), outputs=("a",)),
         closure.ChangeRef(seq=2, op="supersede", inputs=("c",), outputs=("a",)),
         closure.ChangeRef(seq=3, op="add", outputs=("n",))],
        opened={"a": 10, "n": 11},
        closed={"a": 1, "b": 2, "c": 3},
    )
    assert closure.close_down(g, {2, 3}) == {3}
    assert closure.close_down(g, {1, 2, 3}) == {1, 2, 3}
    assert closure.reverted(g, {1}) == {"c", "n"}


def test_why_shows_who_decided_each_change(run, store_path):
    """`why` names the person's decision on the change that touched a memory, and a rejected retirement
    replaces nothing."""
    with Store.open(store_path) as store:
        linked_candidate(store)
    run("accept", "--except", "1,2", "--by", "alice")  # the merge of b into a, and the supersede of c: rejected
    data = json.loads(run("why", "b", "--json").output)
    (step,) = [s for s in data["changes"] if s["version"] == 2]
    assert step["verdict"] == "rejected" and step["decision"]["who"] == "alice" and step["decision"]["via"] == "cli"
    assert step["replaced_by"] == [] and data["status"] == "current"
    text = run("why", "d").output
    assert "decided: accepted by alice (cli," in text
