"""Membership events, published inside the transaction of the change (the rules of
:mod:`coresync.core.events`); notifications subscribes and writes the emails' outbox rows.

Actions (subject, data):

- ``membership.started`` (the membership; ``{}``): paid and active — welcome email and card;
- ``membership.plan_changed`` (the membership; ``{"at": aware datetime, or None for the
  clock's now}``): new plan in force — the new terms (GBL §527-a);
- ``plan.price_changed`` (the plan; ``{"old_price": Decimal}``): every current member is told
  (GBL §527-a "material change").
"""

from coresync.core.events import Topic

memberships = Topic("memberships")

subscribe = memberships.subscribe
unsubscribe = memberships.unsubscribe
publish = memberships.publish
