"""The desk's other services, each a :class:`refbot.ports.DeskService`.

- :mod:`~refbot.services.snap` — snap and send: screenshots of portal problems, read with Tesseract
  and matched against the FAQ, answered through a librarian.
- :mod:`~refbot.services.circulation` — keyword codes: ``RENEW#``, ``PINJAMAN``, ``DENDA``, ``USUL#``,
  ``DAFTAR#``, ``KODE#``, ``MENU``, ``BAHASA#``.
- :mod:`~refbot.services.letters` — clearance letters (``BEBASPUSTAKA``).
- :mod:`~refbot.services.answers` — ``JAWAB#<id> …``, a librarian's own answer.
- :mod:`~refbot.services.exports` — ``RIS`` / ``BIBTEX``: the approved list as a file.

Every decision a librarian makes on these goes through :mod:`refbot.decisions.requests`;
:func:`refbot.wiring.desk_services` puts them in the order the desk offers them a message.
"""
