"""What simulated customers write and say, by situation.

Hand-written, labelled templates (no package ships real support conversations): each
situation has several phrasings, filled in with the customer's own product, amounts
and journey, so the text always fits what just happened to them.
"""

from __future__ import annotations

import random

PHRASES: dict[str, tuple[str, ...]] = {
    "question": (
        "Hi, can you tell me when my next {product} bill is due?",
        "Hello, how do I add a second user to my {product}?",
        "Could you send me a copy of my last statement please?",
        "What are your opening hours on Saturday?",
        "Is there a way to change the date my {product} payment goes out?",
    ),
    "thanks": (
        "Thank you so much, the agent was brilliant and sorted it in minutes!",
        "Great service today, really appreciate the help. Thanks!",
        "Just wanted to say thanks, you fixed my {product} perfectly. Excellent!",
        "Lovely, helpful person on the phone. Thank you, I'm very happy.",
    ),
    "angry": (
        "This is ridiculous. Third time I've called and still nobody has fixed my {product}!",
        "Terrible service. I waited ages and then got cut off. Absolutely useless.",
        "I am furious. You charged me twice and ignored my emails. Disgraceful.",
        "Worst experience ever, nobody helps and I'm sick of repeating myself.",
    ),
    "price_outrage": (
        "My {product} renewal went up {percent}%! That's outrageous, I'm not paying that.",
        "Why has my {product} price jumped by {percent}%? A terrible way to treat loyal customers.",
        "A {percent}% increase on {product}? Disgusting. I feel cheated.",
    ),
    "leaving": (
        "I want to cancel my {product}, I'm switching provider.",
        "Please close my account, I'm leaving you for a cheaper deal.",
        "I'd like to cancel. I've had enough and I'm moving to another company.",
        "How do I cancel my {product}? I'm switching to a competitor.",
    ),
    "struggling": (
        "I'm really struggling to pay this month, can we sort something out?",
        "I can't afford the full {product} payment right now, sorry. Money is very tight.",
        "Is there any help? I'm behind on my bills and worried.",
    ),
    "complaint": (
        "I was charged twice for my {product} and nobody has fixed it.",
        "My {product} has been down for four days and nobody tells me anything.",
        "I was promised a call back three times and it never came.",
        "Your engineer didn't turn up and I took a day off work for it.",
    ),
    "failed_journey": (
        "I tried to {journey} online and the page kept crashing. Really frustrating.",
        "Your app won't let me {journey}, it just shows an error. Useless!",
    ),
    "bereavement": (
        "My husband passed away last month and the {product} is in his name.",
        "My mother died recently and I need to sort out her account.",
        "I'm calling about my late father's account, he passed away in the spring.",
    ),
    "divorce": (
        "We're getting divorced and I need to take my ex off the account.",
        "I've separated from my partner and need the {product} in my name only.",
    ),
    "relocation": (
        "We're moving house next month, how do I move my {product}?",
        "I'm relocating for work and need to give you my new address.",
    ),
    "new_child": (
        "We just had a baby! Can I add her to the {product}?",
        "I'm on maternity leave from next week, can we look at my payments?",
    ),
    "job_loss": (
        "I was made redundant last week and I'm worried about my bills.",
        "I lost my job and need to cut my costs, what can you do?",
    ),
    "illness": (
        "I've been diagnosed with cancer and I'm in hospital a lot, please be patient.",
        "I was seriously ill and couldn't deal with post for weeks.",
    ),
    "retirement": (
        "I'm retiring at the end of the month, does my {product} change?",
        "Now that I'm retired I'd like to review what I pay for.",
    ),
    "marriage": (
        "We got married last weekend and I've changed my name!",
        "I'm getting married in June, can I add my partner to the {product}?",
    ),
}

LIFE_EVENTS = (
    "bereavement",
    "divorce",
    "relocation",
    "new_child",
    "job_loss",
    "illness",
    "retirement",
    "marriage",
)


def phrase(rng: random.Random, situation: str, **slots: object) -> str:
    """One of the situation's phrasings with the slots filled in."""
    template = rng.choice(PHRASES[situation])
    return template.format(**{"product": "account", "percent": 20, "journey": "do that", **slots})
