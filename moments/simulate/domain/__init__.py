"""The simulator's pure core: no I/O, no clock, no randomness other than a seeded RNG."""
