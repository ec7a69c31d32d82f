"""Similarity checks: a patron sends a manuscript, a librarian (or Turnitin) sends back the index and the report.

- :mod:`~refbot.services.similarity.codes` — ``TURNITIN`` / ``CEK PLAGIASI`` from patrons, ``HASIL#``,
  ``AMBIL#`` and ``SETUJU#`` from librarians, read forgivingly.
- :mod:`~refbot.services.similarity.documents` — what a file is by its bytes (PDF, DOCX), its pages and words.
- :mod:`~refbot.services.similarity.service` — the desk service: checks, quota, the queue, the librarian's moves.
- :mod:`~refbot.services.similarity.results` — taking a check and sending its result (WhatsApp and console alike).
- :mod:`~refbot.services.similarity.automation` — checks run through a :class:`refbot.ports.SimilarityService`.
"""
