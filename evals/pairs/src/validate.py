"""Validate evals/pairs/pairs.jsonl and print the counts tables used in README.md."""
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

F = Path(__file__).resolve().parent.parent / "pairs.jsonl"
LABELS = {"duplicate", "update", "distinct"}
errors = []
rows = []
for n, line in enumerate(open(F), 1):
    try:
        r = json.loads(line)
    except Exception as e:
        errors.append(f"line {n}: does not parse: {e}")
        continue
    rows.append(r)
    for k in ("id", "source", "a", "b", "label", "newer", "note", "kind", "split"):
        if k not in r:
            errors.append(f"{r.get('id', n)}: missing {k}")
    if r.get("label") not in LABELS:
        errors.append(f"{r['id']}: bad label {r.get('label')}")
    if r.get("split") not in ("dev", "validation"):
        errors.append(f"{r['id']}: bad split")
    for s in ("a", "b"):
        side = r.get(s, {})
        if not isinstance(side, dict) or not side.get("text"):
            errors.append(f"{r['id']}: side {s} has no text")
        if set(side) - {"text", "path", "observed_at"}:
            errors.append(f"{r['id']}: side {s} has extra keys")
    if r.get("label") == "update":
        ta, tb = r["a"].get("observed_at"), r["b"].get("observed_at")
        if not ta or not tb:
            errors.append(f"{r['id']}: update without both times")
        elif r.get("newer") != ("a" if ta > tb else "b") or ta == tb:
            errors.append(f"{r['id']}: newer does not point at the later side")
    elif r.get("newer") is not None:
        errors.append(f"{r['id']}: newer set on a non-update")
    if r["a"] == r["b"]:
        errors.append(f"{r['id']}: both sides identical")
ids = [r["id"] for r in rows]
if len(ids) != len(set(ids)):
    errors.append("ids not unique")
seen = {}
for r in rows:
    key = frozenset([json.dumps(r["a"], sort_keys=True), json.dumps(r["b"], sort_keys=True)])
    if key in seen:
        errors.append(f"{r['id']}: same pair as {seen[key]}")
    seen[key] = r["id"]
# group integrity: a scenario / LoCoMo conversation never spans both halves
halves = defaultdict(set)
for r in rows:
    if r["source"].split(":")[0] in ("scenario", "locomo"):
        halves[r["source"]].add(r["split"])
for src, h in halves.items():
    if len(h) > 1:
        errors.append(f"{src} spans both halves")

if "--tables" in sys.argv:
    fam = lambda s: s.split(":")[0]
    def table(title, keyf, keys=None):
        c = defaultdict(Counter)
        for r in rows:
            c[keyf(r)][r["label"]] += 1
            c[keyf(r)]["_" + r["split"]] += 1
        keys = keys or sorted(c, key=lambda k: -sum(v for kk, v in c[k].items() if not kk.startswith("_")))
        print(f"\n| {title} | duplicate | update | distinct | total | dev | validation |\n|---|---|---|---|---|---|---|")
        for k in keys:
            d = c[k]
            tot = d["duplicate"] + d["update"] + d["distinct"]
            print(f"| {k} | {d['duplicate']} | {d['update']} | {d['distinct']} | {tot} | {d['_dev']} | {d['_validation']} |")
        D = sum(c[k]["duplicate"] for k in c); U = sum(c[k]["update"] for k in c); X = sum(c[k]["distinct"] for k in c)
        print(f"| **all** | {D} | {U} | {X} | {D+U+X} | {sum(c[k]['_dev'] for k in c)} | {sum(c[k]['_validation'] for k in c)} |")
    table("family", lambda r: fam(r["source"]), ["scenario", "locomo", "claude-code", "written"])
    table("split", lambda r: r["split"], ["dev", "validation"])
    table("kind", lambda r: r["kind"])
    table("source", lambda r: r["source"], sorted({r["source"] for r in rows}))

print(f"{len(rows)} pairs, {len(errors)} problems", file=sys.stderr)
for e in errors[:50]:
    print("  " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
