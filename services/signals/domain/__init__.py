"""signals' pure rules: customer state, text rules and the detectors."""
