"""Judge: the look-alike pairs the consolidation core could not settle -> verdicts (offline: left for review; ``claude``: Claude decides)."""
