"""Tokens a dream sends to Claude, against the naive whole-store design.

    python -m benchmarks.tokens [--quick]

A store of 10k memories (then the same store grown to 100k) and the same 5
new sessions; each dream runs with ``--llm sync`` against the fake server
(``dreaming.testing.fake_server`` with the ``fake_claude`` responder: no
network), and the tokens are the ``usage`` the server returned, counted by
the same rule as the naive request (``dreaming.llm.tokens``).  "Sent" means
every input token the model reads: uncached, cache writes and cache reads.

The naive design sends the whole store plus every new transcript in one
request (``dreaming.cost.bill.naive_input_tokens``).  The store is written as
the version an earlier dream left (consolidated): the dream measured is the
steady state, new sessions against a store that was dreamed before.

Targets: at 10k memories this design sends under 10% of the naive tokens;
from 10k to 100k memories what it sends grows by under 1.5x.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dreaming import Changeset, DreamConfig, Memory, Store, dream
from dreaming.cost.meter import CostReport
from dreaming.testing import responders as fake_claude
from dreaming.testing.fake_server import FakeAnthropicServer

from .common import report, timed

T0 = datetime(2026, 6, 1, tzinfo=timezone.utc)
PREFIXES = ("ledger billing search atlas orion quartz nimbus harbor falcon cobalt ember lumen vector prism delta "
            "summit cedar maple onyx pixel relay sonar tango ultra velvet willow zephyr amber basalt cinder dune "
            "fjord glacier helix iris jade kestrel lotus mosaic nova opal").split()
SUFFIXES = ("api worker gateway scheduler indexer cache exporter importer service portal queue store "
            "proxy auth sync bot dashboard pipeline router agent").split()
LANGUAGES = ("Go 1.21", "Go 1.22", "Rust 1.80", "Python 3.11", "Python 3.12", "TypeScript 5.4", "Java 21", "Kotlin 2.0")
DATABASES = ("PostgreSQL 14", "PostgreSQL 15", "PostgreSQL 16", "MySQL 8", "Redis 7", "SQLite", "DynamoDB", "Cassandra 4")
PEOPLE = ("Dana Whitfield", "Bob Tanaka", "Alice Moreau", "Priya Raman", "Tom Okafor", "Lena Fischer", "Marco Rossi")
TARGETS = ("Kubernetes", "ECS", "Fly.io", "bare metal", "Cloud Run", "Lambda")
SLOTS = {
    "language": LANGUAGES,
    "database": DATABASES,
    "owner": PEOPLE,
    "deploy target": TARGETS,
    "port": tuple(str(p) for p in range(8000, 8100)),
    "on-call engineer": PEOPLE,
    "release day": ("Monday", "Tuesday", "Wednesday", "Thursday"),
    "test command": ("`make test`", "`pytest -q`", "`go test ./...`", "`cargo test`", "`npm test`"),
    "log sink": ("Loki", "Datadog", "CloudWatch", "Elasticsearch"),
    "request timeout": tuple(f"{s} seconds" for s in (5, 10, 15, 30, 60, 120)),
}


def slot_key(component: str, slot: str) -> str:
    """The key the extraction rules give "The <component> <slot> is now ...": its words joined by dots."""
    return ".".join(re.findall(r"[a-z0-9]+", f"{component} {slot}".lower()))


def entities() -> list[str]:
    return [f"{p}-{s}" for p in PREFIXES for s in SUFFIXES]


def slot_memories(n: int) -> list[Memory]:
    """``n`` memories, one per (component, slot), in a fixed random order (a smaller store is a prefix of this list)."""
    rng = random.Random(11)
    base = [(e, s) for e in entities() for s in SLOTS]
    pairs = base + [(f"{e}-v{i}", s) for i in range(2, 2 + n // len(base) + 1) for e, s in base]
    random.Random(5).shuffle(pairs)
    out = []
    for i, (e, slot) in enumerate(pairs[:n]):
        when = T0 + timedelta(minutes=i)
        out.append(Memory(
            id=f"mem_bench_{i:07d}", content=f"The {e} {slot} is {rng.choice(SLOTS[slot])}.",
            path=f"/projects/{e.split('-')[0]}.md", kind="fact", key=slot_key(e, slot), observed_at=when,
            created_at=when, first_seen=when, last_seen=when,
        ))
    return out


def sessions(store_memories: list[Memory], count: int, out: Path) -> None:
    """``count`` chat-jsonl sessions: newer values of stored slots, restatements, new preferences, a migration
    that recurs in every session (a pattern), and requests with tool chatter that hold nothing durable."""
    rng = random.Random(23)
    start = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    for s in range(count):
        rows = []
        t = start + timedelta(days=s)

        def say(role: str, text: str) -> None:
            nonlocal t  # called only within this session's iteration
            t += timedelta(seconds=rng.randint(5, 90))
            row = {"session_id": f"bench-{s}", "role": role, "content": text, "timestamp": t.isoformat()}  # noqa: B023
            rows.append(row)  # noqa: B023

        picked = rng.sample(store_memories, 9)
        for m in picked[:5]:  # newer values of stored slots
            component, slot = _slot_of(m)
            say("user", f"The {component} {slot} is now {rng.choice(SLOTS[slot])}.")
            say("assistant", f"Noted. I checked the {component} configuration and updated the README section about it; "
                             "the change is in the working tree, nothing is committed yet.")
        for m in picked[5:9]:  # restated
            component, slot = _slot_of(m)
            value = m.content.rsplit(" is ", 1)[1].rstrip(".")
            say("user", f"Reminder: the {component} {slot} is now {value}.")
            say("assistant", "Yes, that matches what I have. " + "I also re-ran the health check, which passed. " * 2)
        component = entities()[(s * 37) % len(entities())]  # the recurring migration
        say("user", f"We moved the {component} deploy target to Nomad after the ECS outage.")
        say("assistant", "Done: the Nomad job file is in deploy/, and the ECS task definition is archived.")
        for pref in rng.sample(["I prefer tabs over spaces.", "I prefer short answers without emojis.",
                                "Always run the linter before committing.", "Never push directly to main.",
                                "I use neovim for everything.", "I prefer squash merges."], 3):
            say("user", pref)
            say("assistant", "Understood, I will keep that in mind for the rest of this work.")
        for i in range(8):  # work: requests and tool chatter, no durable facts
            say("user", f"Can you look at the failing check number {i} in CI and tell me what broke?")
            say("assistant", "I ran `make test` and read the log. The failure is in a snapshot test that depends on the "
                             f"clock; I pinned the time in the fixture (commit message drafted as fix: pin clock in test {i}). "
                             "All 214 tests pass locally now.")
        (out / f"bench-{s}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _slot_of(memory: Memory) -> tuple[str, str]:
    """(component, slot) of a benchmark memory ("The <component> <slot> is <value>.")."""
    subject = memory.content[len("The "):].split(" is ", 1)[0]
    component, _, slot = subject.partition(" ")
    return component, slot


def measure(size: int, memories: list[Memory], inbox: Path, server: FakeAnthropicServer, workdir: Path) -> dict:
    store = Store.open(workdir / f"store-{size}.db")
    # the store as earlier dreams left it (consolidated), so this dream's work is the new sessions
    store.write_version(Changeset(upserts=tuple(memories[:size]), origin="dream", message="benchmark store"))
    server.clear_cache()
    env = {"ANTHROPIC_API_KEY": "bench", "ANTHROPIC_BASE_URL": server.base_url}
    with timed() as t:
        result = dream(store, DreamConfig(transcripts=(inbox,), llm="sync"), env=env)
    store.close()
    bill = CostReport.from_json(result.cost)
    assert bill.naive is not None and result.status == "completed", result.warnings
    return {
        "memories": size,
        "sessions": result.sessions,
        "turns": result.turns,
        "requests": {stage: part.usage.requests for stage, part in bill.by_stage.items()},
        "sent_tokens": bill.usage.total_input_tokens,
        "sent_by_stage": {stage: part.usage.total_input_tokens for stage, part in bill.by_stage.items()},
        "cache_read_tokens": bill.usage.cache_read_tokens,
        "output_tokens": bill.usage.output_tokens,
        "usd": float(bill.total),
        "naive_tokens": bill.naive.input_tokens,
        "naive_usd": float(bill.naive.usd),
        "seconds": t["seconds"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2k and 20k memories, 3 sessions")
    args = parser.parse_args(argv)
    if args.quick:
        args.small, args.large, args.sessions = 2_000, 20_000, 3
    memories = slot_memories(args.large)
    with tempfile.TemporaryDirectory() as tmp, FakeAnthropicServer(responder=fake_claude.respond) as server:
        workdir = Path(tmp)
        inbox = workdir / "inbox"
        inbox.mkdir()
        sessions(memories[: args.small], args.sessions, inbox)
        small = measure(args.small, memories, inbox, server, workdir)
        large = measure(args.large, memories, inbox, server, workdir)
    share_small = small["sent_tokens"] / small["naive_tokens"]
    share_large = large["sent_tokens"] / large["naive_tokens"]
    growth = large["sent_tokens"] / small["sent_tokens"]
    naive_growth = large["naive_tokens"] / small["naive_tokens"]
    rows = [
        (f"{small['memories']:,} memories, {small['sessions']} sessions", f"{small['sent_tokens']:,}",
         f"{small['naive_tokens']:,}", f"{share_small:.1%}", f"${small['usd']:.4f} / ${small['naive_usd']:.4f}"),
        (f"{large['memories']:,} memories, {large['sessions']} sessions", f"{large['sent_tokens']:,}",
         f"{large['naive_tokens']:,}", f"{share_large:.1%}", f"${large['usd']:.4f} / ${large['naive_usd']:.4f}"),
        (f"growth {small['memories']:,} -> {large['memories']:,}", f"{growth:.2f}x (target < 1.5x)",
         f"{naive_growth:.2f}x", "", ""),
    ]
    report(
        "tokens",
        "Tokens sent per dream: this design vs the naive whole-store request (target: < 10% at 10k)",
        ["case", "this design", "naive", "share", "USD (this / naive)"],
        rows,
        {"small": small, "large": large, "share_small": share_small, "share_large": share_large,
         "growth": growth, "naive_growth": naive_growth},
    )


if __name__ == "__main__":
    main()
