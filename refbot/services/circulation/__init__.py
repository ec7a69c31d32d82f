"""circulation."""
