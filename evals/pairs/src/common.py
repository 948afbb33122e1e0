"""Helpers shared by the pair-authoring modules."""


def S(text, path=None, at=None):
    """A memory side written by hand (e.g. a statement a session makes)."""
    d = {"text": text}
    if path:
        d["path"] = path
    if at:
        d["observed_at"] = at
    return d


def P(a, b, label, kind, note):
    return {"a": a, "b": b, "label": label, "kind": kind, "note": note}
