"""snap."""
