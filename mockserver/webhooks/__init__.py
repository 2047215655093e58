"""Webhooks on the mock clock (DESIGN.md, decision 13): the delivery engine (engine.py),
shared by every provider and reached by them through the provider contract; how deliveries
are signed (signing.py); where they may go (urls.py); the inbox inside the mock (inbox.py).
Kernel: it imports the domain and the kernel, never a provider, the edge or the control
plane (ARCHITECTURE.md)."""

from mockserver.webhooks.engine import NULL_OUTBOX, Outbox, Webhooks
from mockserver.webhooks.models import Delivery, Outgoing, Policy, SendResult, WebhookTarget

__all__ = [
    "NULL_OUTBOX",
    "Delivery",
    "Outbox",
    "Outgoing",
    "Policy",
    "SendResult",
    "WebhookTarget",
    "Webhooks",
]
