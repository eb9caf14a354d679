"""Benchmarks and load drivers, run on demand (never in the test suite): `python -m bench` lists them."""
