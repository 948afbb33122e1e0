"""Test doubles and generators: public, documented, for your tests as for ours.

Like httpx's ``MockTransport``, these are part of the API so that people who
build on ``dreaming`` can test their code the way we test ours: against real
HTTP and real SQLite files, never against mocks of our own classes.

* :mod:`.fake_server` -- a local stand-in for the Anthropic API (Messages,
  token counting, Message Batches) on 127.0.0.1, driven by the real
  ``anthropic`` SDK.  ``with FakeAnthropic(responder) as server:`` gives a
  ``base_url``; a *responder* maps each request to a reply, and the server
  records every request it saw.  ``python -m dreaming.testing.fake_server``
  runs one from the shell.
* :mod:`.responders` -- a scripted responder that answers the three stage
  tools (extract, judge, patterns) plausibly and offline; used by the
  README's walk-through and ``benchmarks/tokens.py``.
* :mod:`.synthetic` -- synthetic memory stores with known ground truth
  (duplicates, updates, look-alikes) for the consolidation tests and
  benchmarks; :mod:`.heldout` -- held-out stores for cross-phrasing slot
  inference.
* :mod:`.oracles` -- plain reference implementations of the fast paths
  (exact all-pairs similarity, slot choices and supporters, redaction),
  the oracles of the differential tests.

Nothing in the product imports this package.
"""
