"""`moments simulate`: a seeded population of customers living through channel traffic.

`domain/` is pure: the population (from real CDNOW purchase histories and telco churn
data), each customer's latent churn hazard and response propensities, and the stories
that turn into CloudEvents (`domain/stories/`, by kind of story). `datasets` loads the
packaged data, `senders` delivers events over HTTP, Kafka or to a file, `responder`
answers desktop recommendations, `session` plays one run, and `cli` is the command.
"""
