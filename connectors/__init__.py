"""Connectors: one module per outside system, each speaking refbot's types."""
