"""actions' pure rules: decisioning (its own package), the holdout, and who sees what."""
