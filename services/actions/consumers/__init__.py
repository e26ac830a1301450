"""actions' consumer loops, one module each: `signals` in, `recommendations.desktop` out."""
