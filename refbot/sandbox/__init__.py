"""Local stand-ins that speak outside services' real wire formats, for the demo and the tests."""
