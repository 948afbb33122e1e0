"""Judge: the look-alike pairs the consolidation core could not settle -> verdicts.

Offline: left for review; ``claude``: Claude decides.
"""
