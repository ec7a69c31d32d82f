"""Turnitin's Core API (TCA): similarity checks for a library with a Turnitin licence.

    TurnitinSimilarity(settings, api_key, session)   the :class:`refbot.ports.SimilarityService`

:mod:`~connectors.turnitin.client` speaks HTTP (headers, timeouts, retries, errors);
:mod:`~connectors.turnitin.similarity` walks a check through the API's steps.
"""

from connectors.turnitin.similarity import TurnitinSimilarity

__all__ = ["TurnitinSimilarity"]
