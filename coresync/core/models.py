"""Cross-cutting records. (None today: the API's idempotency records gave way to the key kept
on the row a step creates, :mod:`coresync.core.idempotency`; migration ``0002``.)"""
