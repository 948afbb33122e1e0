"""Managed Agents memory stores, sessions and hosted Dreams, side by side with ours.

``records`` (what the API gives, as our types), ``sync`` (pull and push
planning: pure), ``sessions`` (events as turns: pure), ``transfer`` (pull,
push and ingest carried out through a client), ``engine`` (``run --engine
hosted`` and ``compare``).  Only :mod:`dreaming.llm.hosted` talks to the API.
"""
