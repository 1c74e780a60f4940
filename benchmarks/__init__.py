"""Benchmarks (not tests): `make benchmark` or `python -m benchmarks`."""
