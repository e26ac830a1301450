"""signals' consumer loop: `interactions` (and erasure requests) in, signals out."""
