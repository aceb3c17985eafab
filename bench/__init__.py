"""Benchmarks: each measures its raw baseline in the same run and reports the ratio."""
