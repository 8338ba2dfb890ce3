"""Signals every app may send or receive (core is the lowest layer, so anyone may import it).

``availability_inputs_changed``: something availability listings depend on changed in a way
model signals do not report — a queryset ``update()`` or ``bulk_create()`` of services,
variants, add-ons, rooms, technicians, hours or plans. Send it (no arguments) in the same
transaction as the change; the availability cache (:mod:`coresync.scheduling.cache`) then
recomputes every listing. Saves and deletes of those models are seen without it.
"""

from django.dispatch import Signal

availability_inputs_changed = Signal()
