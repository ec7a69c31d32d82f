"""koha."""
