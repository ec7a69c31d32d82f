"""The question pipeline: parse → search → rank → draft."""
