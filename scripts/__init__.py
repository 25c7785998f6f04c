"""Operator scripts. Each is runnable as ``python scripts/<name>.py``; shared helpers are importable."""
