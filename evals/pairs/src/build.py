"""Build evals/pairs/pairs.jsonl from the authoring modules in this folder.

python3 evals/pairs/src/build.py   (from the repo root or anywhere)
"""
import importlib
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAIRS_DIR = HERE.parent
REPO = PAIRS_DIR.parent.parent
POOL = REPO / "evals" / "scenarios" / "pool"
SPLIT_JSON = REPO / "evals" / "scenarios" / "split.json"
SEED = 20261207
sys.path.insert(0, str(HERE))

from common import S, P  # noqa: E402

# notes of claude-code pairs whose second side is a deliberate perturbation, not a line from the session
PERTURBED = {"typo in command name", "two typos", "same key, different value, same environment",
             "seed value changed", "processor setting changed", "same line, different project",
             "same line in another project", "helper return shape changes", "list gained an item"}


def iso(t):
    if t is None:
        return None
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", t):
        return t + ":00Z"
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", t):
        return t + "Z"
    return t


def norm_side(d):
    out = {"text": d["text"]}
    if d.get("path"):
        out["path"] = d["path"]
    if d.get("observed_at"):
        out["observed_at"] = iso(d["observed_at"])
    return out


def scenario_pairs():
    out = []
    for i in range(1, 10):
        mod = importlib.import_module(f"scen{i}")
        for name, plist in mod.PAIRS.items():
            store = {}
            for line in open(POOL / name / "store.jsonl"):
                m = json.loads(line)
                store[m["id"]] = m
            for p in plist:
                q = dict(p)
                for side in ("a", "b"):
                    v = p[side]
                    if isinstance(v, str):
                        m = store[v]
                        q[side] = {"text": m["content"], "path": m.get("path"), "observed_at": m.get("observed_at"), "_store_id": v}
                q["source"] = f"scenario:{name}"
                out.append(q)
    return out


LINE = re.compile(r"^([DUX]) (\S+) \| (.*?) \| (.*?) \| (.*?) \| (.*?) \| (.*)$")
LAB = {"D": "duplicate", "U": "update", "X": "distinct"}


def written_pairs():
    out = []
    rng = random.Random(SEED + 1)  # only for synthetic timestamps / side order of written pairs
    for f in sorted((HERE / "written").glob("*.txt")):
        domain = re.sub(r"\d+$", "", f.stem)
        for n, line in enumerate(open(f), 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            m = LINE.match(line)
            if not m:
                raise SystemExit(f"{f}:{n}: bad line")
            lab, kind, pa, ta, pb, tb, note = m.groups()
            pb = pa if pb == "=" else (None if pb == "-" else pb)
            pa = None if pa == "-" else pa
            day = rng.randrange(0, 420)
            base = 1748736000 + day * 86400 + rng.randrange(7 * 3600, 22 * 3600)  # from 2025-06-01
            gap = rng.randrange(1, 120) * 86400 + rng.randrange(0, 36000)
            import datetime as dt
            t0 = dt.datetime.utcfromtimestamp(base).strftime("%Y-%m-%dT%H:%M:%SZ")
            t1 = dt.datetime.utcfromtimestamp(base + gap).strftime("%Y-%m-%dT%H:%M:%SZ")
            a = S(ta, pa, t0)
            b = S(tb, pb, t1)
            if lab != "U":
                r = rng.random()
                if r < 0.15:
                    a.pop("observed_at"); b.pop("observed_at")
                elif r < 0.25:
                    b.pop("observed_at")
                if rng.random() < 0.5:
                    a, b = b, a
            elif rng.random() < 0.5:  # old side first or new side first
                a, b = b, a
            if rng.random() < 0.08 and lab != "X" and "path-context" not in kind:
                # some memories come without a path at all
                a.pop("path", None)
            p = P(a, b, LAB[lab], kind, note)
            p["source"] = f"written:{domain}"
            out.append(p)
    return out


def all_pairs():
    import locomo_pairs, cc_pairs
    pairs = scenario_pairs() + locomo_pairs.build() + cc_pairs.build() + written_pairs()
    for p in pairs:
        if p["source"].startswith("claude-code:") and p["note"] in PERTURBED:
            p["note"] += " (side b is a perturbed variant, not a line from the session)"
    return pairs


def family(src):
    return src.split(":", 1)[0]


def group_key(src):
    fam = family(src)
    return src if fam in ("scenario", "locomo") else None


def assign_split(pairs):
    record = {"seed": SEED}
    # scenarios: follow evals/scenarios/split.json when present
    scen_names = sorted({p["source"].split(":", 1)[1] for p in pairs if family(p["source"]) == "scenario"})
    scen_split = {}
    if SPLIT_JSON.exists():
        sj = json.loads(SPLIT_JSON.read_text())
        flat = {}
        if isinstance(sj.get("split"), dict):
            flat = {k: v for k, v in sj["split"].items() if v in ("dev", "validation")}
        else:
            for half in ("dev", "validation"):
                for n in sj.get(half, []):
                    flat[n.split("/")[-1]] = half
        scen_split = {n: flat[n] for n in scen_names if n in flat}
        missing = [n for n in scen_names if n not in scen_split]
        if missing:
            raise SystemExit(f"split.json lacks {missing}")
        record["scenario_method"] = "evals/scenarios/split.json"
    else:
        rng = random.Random(SEED)
        names = list(scen_names)
        rng.shuffle(names)
        half = (len(names) + 1) // 2
        scen_split = {n: ("dev" if i < half else "validation") for i, n in enumerate(names)}
        record["scenario_method"] = "no evals/scenarios/split.json at split time: sorted names shuffled with random.Random(20261207), first ceil(n/2) -> dev"
    record["scenarios"] = dict(sorted(scen_split.items()))
    # locomo: by conversation
    convs = sorted({p["source"] for p in pairs if family(p["source"]) == "locomo"})
    rng = random.Random(SEED)
    rng.shuffle(convs)
    half = (len(convs) + 1) // 2
    loc_split = {c: ("dev" if i < half else "validation") for i, c in enumerate(convs)}
    record["locomo"] = dict(sorted(loc_split.items()))
    for p in pairs:
        fam = family(p["source"])
        if fam == "scenario":
            p["split"] = scen_split[p["source"].split(":", 1)[1]]
        elif fam == "locomo":
            p["split"] = loc_split[p["source"]]
    # claude-code and written: pair-level shuffle within the family
    for fam in ("claude-code", "written"):
        idx = [i for i, p in enumerate(pairs) if family(p["source"]) == fam]
        rng = random.Random(SEED)
        rng.shuffle(idx)
        half = (len(idx) + 1) // 2
        for k, i in enumerate(idx):
            pairs[i]["split"] = "dev" if k < half else "validation"
    record["claude-code"] = record["written"] = "pair-level: indices shuffled with random.Random(20261207), first ceil(n/2) -> dev"
    return record


def finalize(pairs):
    out = []
    for n, p in enumerate(pairs, 1):
        a, b = norm_side(p["a"]), norm_side(p["b"])
        newer = None
        if p["label"] == "update":
            ta, tb = a.get("observed_at"), b.get("observed_at")
            if not ta or not tb or ta == tb:
                raise SystemExit(f"update without two distinct times: {p}")
            newer = "a" if ta > tb else "b"
        out.append({"id": f"p{n:04d}", "source": p["source"], "a": a, "b": b, "label": p["label"],
                    "newer": newer, "note": p["note"], "kind": p["kind"], "split": p["split"]})
    return out


def main():
    pairs = all_pairs()
    record = assign_split(pairs)
    rows = finalize(pairs)
    with open(PAIRS_DIR / "pairs.jsonl", "w") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    (PAIRS_DIR / "split_record.json").write_text(json.dumps(record, indent=1) + "\n")
    print(len(rows), Counter(r["label"] for r in rows))


if __name__ == "__main__":
    main()
