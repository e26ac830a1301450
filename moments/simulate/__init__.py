"""Simulated customers sending channel events, for demos and benchmarks."""
