"""actions' pure rules: the action catalogue and the decision policy."""
