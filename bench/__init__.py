"""Benchmarks of the whole path against the raw broker, in one run: `make bench`.

`python -m bench` runs everything (see bench/run.py); results go to bench/results/.
"""
