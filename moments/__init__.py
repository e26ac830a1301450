"""The `moments` command line: the local stack launcher, key management and the simulator."""
