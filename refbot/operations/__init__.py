"""Operating a desk as the IT office does: backing it up while it runs, rebuilding it from a backup.

``refbot backup`` and ``refbot restore`` (:mod:`refbot.operations.cli`); the lock that tells a
running desk from a stopped one (:mod:`refbot.operations.running`).
"""
