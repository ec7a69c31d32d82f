"""Whether a journal is vetted, from real lists only: DOAJ and the library's SINTA list.

    sinta          the library's CSV of SINTA-accredited journals (the ministry's decrees): read, checked, reloaded
    accreditation  what the lists say of one journal, kept on ``Candidate.accreditation``, and its wording
    accredited     a source wrapped so its candidates with an ISSN are looked up while the draft is made

Nothing here guesses from a publisher or from Crossref: a list that did not answer is "unknown",
never "not accredited".
"""
