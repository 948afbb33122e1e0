#!/usr/bin/env python3
"""Split the scenario pool into dev and validation, once.

    python3 evals/scenarios/split.py      # moves evals/scenarios/pool/* into dev/ and validation/

Within each domain (the truth file's ``domain``, its first word), the
scenarios are sorted by name and shuffled with a fixed seed; the first half
(rounded alternately up and down across domains, so the halves stay even)
goes to dev, the rest to validation.  ``split.json`` records the result.
Run it once: a scenario never changes half afterwards (the script refuses
if dev/ or validation/ already exist).
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261207


def main() -> int:
    pool = HERE / "pool"
    if (HERE / "dev").exists() or (HERE / "validation").exists():
        print("Error: the split exists already (dev/ or validation/); it is made once", file=sys.stderr)
        return 1
    by_domain: dict[str, list[str]] = defaultdict(list)
    for folder in sorted(p for p in pool.iterdir() if (p / "truth.json").exists()):
        domain = str(json.loads((folder / "truth.json").read_text()).get("domain", "other")).split()[0].strip("/,;:").lower()
        by_domain[domain].append(folder.name)
    rng = random.Random(SEED)
    split: dict[str, str] = {}
    up = True
    for domain in sorted(by_domain):
        names = sorted(by_domain[domain])
        rng.shuffle(names)
        half = (len(names) + (1 if up else 0)) // 2
        if len(names) % 2:
            up = not up
        for i, name in enumerate(names):
            split[name] = "dev" if i < half else "validation"
    for name, half in sorted(split.items()):
        (HERE / half).mkdir(exist_ok=True)
        shutil.move(str(pool / name), str(HERE / half / name))
    (HERE / "split.json").write_text(json.dumps({"seed": SEED, "split": dict(sorted(split.items()))}, indent=2) + "\n")
    counts = {h: sum(1 for v in split.values() if v == h) for h in ("dev", "validation")}
    print(f"dev {counts['dev']}, validation {counts['validation']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
