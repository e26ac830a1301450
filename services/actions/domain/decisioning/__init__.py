"""Decisioning: the next best action for one customer moment, with no I/O.

A moment is the new signals of one customer (a poll's worth, or what is open when
someone asks). `decide.decide` takes it with the customer's history and the learned
propensities and returns a `Decision`: every candidate ranked with its score and the
reason it won, lost or was not eligible, the new recommendations, and the open ones a
repeat strengthens. The parts: `catalogue` (what may be recommended, validated on load),
`scripts` (each action's guided conversation), `eligibility` (the conditions'
vocabulary), `contact_policy` (the rules that stop nagging), `learning` (Beta-Bernoulli
posteriors, Thompson sampling) and `arbitration` (the score and the winners).
"""
