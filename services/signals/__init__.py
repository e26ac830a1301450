"""signals: the worker that keeps per-customer state and spots pain points and small
moments in `interactions`, writing one `Signal` per finding to `signals` and the latest
`CustomerRecord` per customer to `customers`."""
