"""Suite (d): scenarios -- realistic deployments, each with a truth file.

A scenario folder holds the store before the dream (``store.jsonl``), the
sessions since (``sessions/*.jsonl``, any transcript format dreaming reads)
and ``truth.json``: what a careful reviewer expects the store to hold after
the dream (facts current, stale values retired, duplicate pairs merged,
look-alikes kept apart, unrelated memories kept, patterns surfaced, secrets
and injections kept out).  The format is documented in
``evals/scenarios/README.md``; users write their own folders.

Each scenario is dreamed over in a fresh store (guard off: the suite measures
what the dream decides, not whether it would wait for review) and every
truth entry becomes one :class:`Check`.  A folder given to the suite may hold
scenario folders directly or ``dev/`` and ``validation/`` halves; the report
keeps the halves apart, because a rule that helps one half and not the other
was fitted, not general.
"""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import EllipsisType
from typing import Any

from dreaming.errors import DreamingError, InputError
from dreaming.records import Memory

#: what each check kind counts, in report order
CHECK_KINDS = ("current", "one", "stale", "duplicate", "distinct", "keep", "pattern", "secret", "injection")
_TRUTH_KEYS = {"domain", "summary", "current", "stale", "duplicates", "distinct", "keep", "patterns", "secrets",
               "injections", "notes"}
SPLITS = ("dev", "validation")


@dataclass(frozen=True, kw_only=True)
class Check:
    """One truth entry, scored."""

    kind: str
    id: str
    passed: bool
    cls: str | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "passed": self.passed, "class": self.cls, "detail": self.detail}


@dataclass(frozen=True, kw_only=True)
class Scenario:
    name: str
    split: str | None
    folder: Path
    truth: Mapping[str, Any]

    @property
    def store_file(self) -> Path:
        return self.folder / "store.jsonl"

    @property
    def sessions(self) -> Path:
        return self.folder / "sessions"


@dataclass(frozen=True, kw_only=True)
class ScenarioResult:
    name: str
    split: str | None
    domain: str
    checks: tuple[Check, ...]
    memories_before: int
    memories_after: int
    version: int | None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "split": self.split, "domain": self.domain, "error": self.error,
            "memories": {"before": self.memories_before, "after": self.memories_after}, "version": self.version,
            "score": _tally(self.checks), "checks": [c.to_json() for c in self.checks],
        }


def _tally(checks: Iterable[Check]) -> dict[str, list[int]]:
    """kind -> [passed, total]."""
    out: dict[str, list[int]] = {}
    for c in checks:
        row = out.setdefault(c.kind, [0, 0])
        row[0] += int(c.passed)
        row[1] += 1
    return {k: out[k] for k in CHECK_KINDS if k in out}


@dataclass(frozen=True, kw_only=True)
class ScenarioReport:
    """Every scenario's checks, with totals per split, per check kind and per failure class."""

    results: tuple[ScenarioResult, ...]
    llm: str = "off"

    def splits(self) -> list[str | None]:
        return sorted({r.split for r in self.results}, key=lambda s: (s is None, SPLITS.index(s) if s in SPLITS else 9, s or ""))

    def totals(self, split: str | None | EllipsisType = ...) -> dict[str, list[int]]:
        rows = [r for r in self.results if split is ... or r.split == split]
        return _tally(c for r in rows for c in r.checks)

    def by_class(self, split: str | None | EllipsisType = ...) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for r in self.results:
            if split is not ... and r.split != split:
                continue
            for c in r.checks:
                if c.cls:
                    row = out.setdefault(c.cls, [0, 0])
                    row[0] += int(c.passed)
                    row[1] += 1
        return dict(sorted(out.items()))

    def score(self, split: str | None | EllipsisType = ...) -> float:
        """The share of all checks passed (every kind weighs the same per entry)."""
        t = self.totals(split)
        total = sum(v[1] for v in t.values())
        return sum(v[0] for v in t.values()) / total if total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": "scenarios",
            "llm": self.llm,
            "splits": {
                (s or "all"): {"score": round(self.score(s), 4), "totals": self.totals(s), "classes": self.by_class(s),
                               "scenarios": sum(1 for r in self.results if r.split == s)}
                for s in self.splits()
            },
            "results": [r.to_json() for r in self.results],
        }

    def summary_json(self) -> dict[str, Any]:
        data = self.to_json()
        data.pop("results")
        return data


# --- reading -------------------------------------------------------------------


def _entries(truth: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = truth.get(key, [])
    if not isinstance(value, list):
        raise InputError(f"'{key}' must be a list", location=where)
    return value


def _check_all(entry: Any, where: str) -> list[Any]:
    if not isinstance(entry, dict) or not isinstance(entry.get("all"), list) or not entry["all"]:
        raise InputError("each entry needs a non-empty 'all' list", location=where)
    for item in entry["all"]:
        if isinstance(item, str):
            continue
        if isinstance(item, list) and item and all(isinstance(x, str) for x in item):
            continue
        raise InputError("'all' holds strings or lists of alternative strings", location=where)
    alternatives: list[Any] = entry["all"]
    return alternatives


def read_truth(path: Path) -> dict[str, Any]:
    """``truth.json``, checked: one clear error naming the file and the entry."""
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("missing truth.json", location=str(path)) from None
    except json.JSONDecodeError as err:
        raise InputError(f"not JSON: {err.msg}", location=f"{path}:{err.lineno}") from None
    if not isinstance(truth, dict):
        raise InputError("truth.json must hold one object", location=str(path))
    unknown = set(truth) - _TRUTH_KEYS
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(sorted(unknown))}", location=str(path))
    for key in ("current", "stale", "patterns", "injections"):
        for i, entry in enumerate(_entries(truth, key, str(path))):
            _check_all(entry, f"{path}: {key}[{i}]")
    for key in ("duplicates", "distinct"):
        for i, entry in enumerate(_entries(truth, key, str(path))):
            if not isinstance(entry, dict) or not isinstance(entry.get("a"), str) or not isinstance(entry.get("b"), str):
                raise InputError("each pair needs string ids 'a' and 'b'", location=f"{path}: {key}[{i}]")
    for key in ("keep", "secrets"):
        if not all(isinstance(x, str) for x in _entries(truth, key, str(path))):
            raise InputError(f"'{key}' must be a list of strings", location=str(path))
    return truth


def find_scenarios(root: Path, *, split: str | None = None) -> list[Scenario]:
    """The scenario folders under ``root`` (directly, or in ``dev/`` and ``validation/``)."""
    if not root.is_dir():
        raise DreamingError(f"{root}: not a folder of scenarios (see evals/scenarios/README.md)")
    found: list[Scenario] = []
    halves = [root / s for s in SPLITS if (root / s).is_dir()]
    if halves:
        for half in halves:
            if split is not None and half.name != split:
                continue
            for folder in sorted(p for p in half.iterdir() if (p / "truth.json").exists()):
                found.append(Scenario(name=folder.name, split=half.name, folder=folder, truth=read_truth(folder / "truth.json")))
    elif (root / "truth.json").exists():
        found.append(Scenario(name=root.name, split=None, folder=root, truth=read_truth(root / "truth.json")))
    else:
        for folder in sorted(p for p in root.iterdir() if (p / "truth.json").exists()):
            found.append(Scenario(name=folder.name, split=None, folder=folder, truth=read_truth(folder / "truth.json")))
    if not found:
        raise DreamingError(f"{root}: no scenario folders (a scenario folder holds truth.json, store.jsonl, sessions/)")
    return found


# --- scoring -------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def fold(text: str) -> str:
    """What a truth entry is matched against: lower case, quotes and dashes plain, whitespace collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).translate(_FOLD).lower()).strip()


def matches(text: str, terms: Sequence[Any]) -> bool:
    """Every entry of ``terms`` occurs in ``text`` (an entry may be a list of alternatives)."""
    folded = fold(text)
    for term in terms:
        options = term if isinstance(term, list) else [term]
        if not any(fold(o) in folded for o in options):
            return False
    return True


def score(truth: Mapping[str, Any], active: Sequence[Memory], every_state: Iterable[str]) -> list[Check]:
    """The checks of one scenario: ``active`` = the memories at the dreamed version,
    ``every_state`` = the text of every memory state of every version."""
    texts = [m.content for m in active]
    ids = {m.id for m in active}
    checks: list[Check] = []
    current = {e["id"]: e for e in truth.get("current", []) if "id" in e}
    for i, e in enumerate(truth.get("current", [])):
        hits = [t for t in texts if matches(t, e["all"])]
        cid = str(e.get("id", f"current{i + 1}"))
        checks.append(Check(kind="current", id=cid, cls=e.get("class"), passed=bool(hits),
                            detail="" if hits else "no active memory holds it"))
        if e.get("one") and hits:
            checks.append(Check(kind="one", id=cid, cls=e.get("class"), passed=len(hits) == 1,
                                detail="" if len(hits) == 1 else f"{len(hits)} active memories hold it"))
    for i, e in enumerate(truth.get("stale", [])):
        fact = current.get(e.get("current", ""))
        left = [t for t in texts if matches(t, e["all"]) and not (fact and matches(t, fact["all"]))]
        checks.append(Check(kind="stale", id=str(e.get("id", f"stale{i + 1}")), cls=e.get("class") or (fact or {}).get("class"),
                            passed=not left, detail=f"still active: {left[0][:120]!r}" if left else ""))
    for e in truth.get("duplicates", []):
        both = e["a"] in ids and e["b"] in ids
        checks.append(Check(kind="duplicate", id=f"{e['a']}~{e['b']}", cls=e.get("class") or e.get("kind"),
                            passed=not both, detail="both still active" if both else ""))
    for e in truth.get("distinct", []):
        gone = [x for x in (e["a"], e["b"]) if x not in ids]
        checks.append(Check(kind="distinct", id=f"{e['a']}|{e['b']}", cls=e.get("class", "look-alike"),
                            passed=not gone, detail=f"retired: {', '.join(gone)}" if gone else ""))
    for mid in truth.get("keep", []):
        checks.append(Check(kind="keep", id=mid, passed=mid in ids, detail="" if mid in ids else "retired"))
    for i, e in enumerate(truth.get("patterns", [])):
        hit = any(matches(t, e["all"]) for t in texts)
        checks.append(Check(kind="pattern", id=str(e.get("id", f"pattern{i + 1}")), cls=e.get("class", "repeated-correction"),
                            passed=hit, detail="" if hit else "not surfaced"))
    states = list(every_state)
    for i, secret in enumerate(truth.get("secrets", [])):
        leaked = any(secret in s for s in states)
        checks.append(Check(kind="secret", id=f"secret{i + 1}", cls="secret", passed=not leaked,
                            detail="stored in a memory state" if leaked else ""))
    for i, e in enumerate(truth.get("injections", [])):
        hits = [t for t in texts if matches(t, e["all"])]
        checks.append(Check(kind="injection", id=str(e.get("id", f"injection{i + 1}")), cls="injection", passed=not hits,
                            detail=f"stored: {hits[0][:120]!r}" if hits else ""))
    return checks


# --- running -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ScenarioSettings:
    llm: str = "off"
    #: keep each scenario's store here (default: a temporary directory)
    workdir: Path | None = None
    #: DreamConfig overrides (e.g. a judge) for experiments
    dream_options: Mapping[str, Any] = field(default_factory=dict)


def run_scenario(scenario: Scenario, settings: ScenarioSettings = ScenarioSettings()) -> ScenarioResult:
    """Import the store, dream over the sessions (guard off), score the dreamed version."""
    from dreaming import DreamConfig, dream
    from dreaming.store import Store
    from dreaming.store.files import import_file

    domain = str(scenario.truth.get("domain", ""))
    with tempfile.TemporaryDirectory(prefix="dreaming-scenario-") as tmp:
        base = settings.workdir / (scenario.split or "") / scenario.name if settings.workdir else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        db = base / "memory.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        with Store.open(db) as store:
            if scenario.store_file.exists():
                import_file(store, scenario.store_file, message="the store before the dream")
            before = store.count()
            transcripts = (scenario.sessions,) if scenario.sessions.exists() else ()
            config = DreamConfig(transcripts=transcripts, llm=settings.llm, review=False, guard_share=1.0,
                                 **dict(settings.dream_options))
            try:
                report = dream(store, config)
            except DreamingError as err:
                return ScenarioResult(name=scenario.name, split=scenario.split, domain=domain, checks=(),
                                      memories_before=before, memories_after=before, version=None, error=str(err))
            version = report.version if report.version is not None else store.head
            active = store.snapshot(version)
            states = [m.content for v in store.versions() for m in store.snapshot(v.number)]
            checks = score(scenario.truth, active, states)
            return ScenarioResult(name=scenario.name, split=scenario.split, domain=domain, checks=tuple(checks),
                                  memories_before=before, memories_after=len(active), version=report.version)


def eval_scenarios(
    root: Path,
    *,
    split: str | None = None,
    settings: ScenarioSettings = ScenarioSettings(),
    on_done: Callable[[ScenarioResult], None] | None = None,
) -> ScenarioReport:
    results = []
    for scenario in find_scenarios(root, split=split):
        result = run_scenario(scenario, settings)
        results.append(result)
        if on_done:
            on_done(result)
    return ScenarioReport(results=tuple(results), llm=settings.llm)


# --- rendering -----------------------------------------------------------------

_LABELS = {
    "current": "facts current", "one": "... held once", "stale": "stale values retired", "duplicate": "duplicate pairs merged",
    "distinct": "look-alikes kept apart", "keep": "unrelated kept", "pattern": "patterns surfaced",
    "secret": "secrets kept out", "injection": "injections kept out",
}


def markdown(report: ScenarioReport) -> str:
    splits = report.splits()
    head = "| check | " + " | ".join(s or "all" for s in splits) + " |"
    lines = ["# Scenarios", "", f"llm: {report.llm}; guard off; one fresh store per scenario.", "", head,
             "|---|" + "---|" * len(splits)]
    for kind in CHECK_KINDS:
        cells = []
        for s in splits:
            v = report.totals(s).get(kind)
            cells.append(f"{v[0]}/{v[1]}" if v else "-")
        if any(c != "-" for c in cells):
            lines.append(f"| {_LABELS[kind]} | " + " | ".join(cells) + " |")
    lines.append("| **all checks** | " + " | ".join(f"**{report.score(s):.1%}**" for s in splits) + " |")
    classes = sorted({c for s in splits for c in report.by_class(s)})
    if classes:
        lines += ["", "| failure class | " + " | ".join(s or "all" for s in splits) + " |", "|---|" + "---|" * len(splits)]
        for cls in classes:
            cells = []
            for s in splits:
                v = report.by_class(s).get(cls)
                cells.append(f"{v[0]}/{v[1]}" if v else "-")
            lines.append(f"| {cls} | " + " | ".join(cells) + " |")
    lines += ["", "| scenario | split | domain | memories | passed | failed checks |", "|---|---|---|---|---|---|"]
    for r in report.results:
        failed = [f"{c.kind}:{c.id}" for c in r.checks if not c.passed]
        passed = sum(c.passed for c in r.checks)
        shown = ", ".join(failed[:6]) + (f" (+{len(failed) - 6})" if len(failed) > 6 else "")
        lines.append(f"| {r.name} | {r.split or '-'} | {r.domain} | {r.memories_before} -> {r.memories_after} | "
                     f"{passed}/{len(r.checks)} | {r.error or shown} |")
    return "\n".join(lines) + "\n"


def write_scenario_results(report: ScenarioReport, out: Path, *, name: str = "scenarios") -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.json", out / f"{name}.md"]
    paths[0].write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths[1].write_text(markdown(report), encoding="utf-8")
    return paths
