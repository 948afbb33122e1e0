"""The text toolkit every stage shares: word lists, tokenizers, the memory files' conventions.

* :mod:`.words` -- named word lists, one per purpose (``SEARCH_STOP_WORDS``,
  ``PATTERN_STOP_WORDS``, ``RESTATEMENT_STOP_WORDS``, ``STATEMENT_STOP_WORDS``,
  ``IRREGULAR_PAST``);
* :mod:`.tokens` -- splitting text into words (``words``, ``terms``, ``letter_words``);
* :mod:`.memory_files` -- memory paths (``normalise_path``, ``slug``,
  ``DEFAULT_PATH``), markdown entries (``split_markdown``) and the names an
  agent writes memory by (``MEMORY_TOOL_NAMES``, ``MEMORY_FILES``);
* :mod:`.vectors` -- a text's sentence vector (wordllama, offline) and how
  the store keeps it.

Pure functions and constants; it imports nothing of ``dreaming`` but the
records and errors, so any stage can use it without depending on another.
"""
