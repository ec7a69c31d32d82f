"""Nothing a patron was given is lost: ``RIWAYAT`` / ``HISTORY`` sends it back as one PDF.

A patron who changed phones (same number) or lost a chat asks ``RIWAYAT`` and receives one
document with what the desk gave them: the lists a librarian approved and that went out (APA
references with their links), their clearance letters' numbers and verification links, and
their similarity checks' results; ``RIWAYAT 3`` resends only list (or request) #3. Everything is
found by the number that asks, so nothing sent to one patron reaches another.

- :mod:`.asking` — reading ``RIWAYAT 3`` forgivingly;
- :mod:`.collect` — gathering a patron's history from the store (:mod:`refbot.store.history`);
- :mod:`.pdf` — the document;
- :mod:`.service` — the :class:`refbot.ports.DeskService`;
- :mod:`.records` — the desk's records for a period, for librarians (``refbot export conversations``)
  and the console's downloads.
"""
