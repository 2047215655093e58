"""Endpoint subscriptions (`main` of a number, a country of an alpha sender) and alpha
sender destinations: what is billed, until when."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mockserver.domain.money import Money, total
from mockserver.errors import NotFound, Rejected
from mockserver.providers.bird import lifecycles
from mockserver.providers.bird.auth import BirdPrincipal
from mockserver.providers.bird.models import (
    AlphaSender,
    Destination,
    Due,
    LongCodeNumber,
    OrderEnd,
    Subscription,
    Workspace,
)

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md): the backend holds its
    # use cases, and they call back into it for the tenant, the clock and the ids.
    from mockserver.providers.bird.backend import BirdBackend


@dataclass(frozen=True, slots=True)
class Billed:
    """A subscription and when it starts billing (None: it never will)."""

    subscription: Subscription
    starts_at: datetime | None


class Subscriptions:
    def __init__(self, bird: BirdBackend) -> None:
        self.bird = bird

    def endpoint(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str
    ) -> LongCodeNumber | AlphaSender:
        self.bird.settle()
        workspace = self.bird.workspace(principal, workspace_id)
        found = workspace.numbers.get(endpoint_id) or workspace.alpha_senders.get(endpoint_id)
        if found is None:
            raise NotFound("Endpoint", endpoint_id, "Endpoint not found")
        return found

    def of_endpoint(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str
    ) -> list[Billed]:
        """`main` for a long code number (billed from its fulfilment); one per destination
        country for an alpha sender."""
        endpoint = self.endpoint(principal, workspace_id, endpoint_id)
        if isinstance(endpoint, LongCodeNumber):
            return [Billed(endpoint.subscription, lifecycles.fulfilled_at(endpoint))]
        return [
            Billed(d.subscription, d.subscription.subscribed_at)
            for d in endpoint.destinations.values()
        ]

    def get(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str, name: str
    ) -> Billed:
        for billed in self.of_endpoint(principal, workspace_id, endpoint_id):
            if billed.subscription.name == name:
                return billed
        raise NotFound("Subscription", name, f"Subscription {name} not found")

    def cancel(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str, name: str
    ) -> Billed:
        """Stop the subscription at the end of its running period; cancelling again changes
        nothing. A number whose order is not yet fulfilled is cancelled at once: its order
        ends `cancelled`, the charge is refunded and the item returns to stock."""
        now = self.bird.settle()
        workspace = self.bird.workspace(principal, workspace_id)
        endpoint = self.endpoint(principal, workspace_id, endpoint_id)
        billed = self.get(principal, workspace_id, endpoint_id, name)
        sub = billed.subscription
        if sub.canceled_at is not None:
            return billed
        sub.canceled_at = now
        if isinstance(endpoint, LongCodeNumber):
            self._cancel_number(workspace, endpoint, now)
            return Billed(sub, lifecycles.fulfilled_at(endpoint))
        sub.end_at = period_end(sub.subscribed_at, now, self.bird.config.billing_period)
        return billed

    def _cancel_number(self, workspace: Workspace, number: LongCodeNumber, now: datetime) -> None:
        fulfilled = lifecycles.fulfilled_at(number)
        if number.ended is not None and number.ended.at <= now:
            number.subscription.end_at = number.ended.at  # already over: nothing to stop
        elif fulfilled is None or now < fulfilled:
            number.ended = OrderEnd("cancelled", now)
            number.subscription.end_at = now
            self.bird.state.schedule.add(now, Due("order-ended", workspace.ref, number.id))
            self.bird.settle()  # the refund is due now
        else:
            end = period_end(fulfilled, now, self.bird.config.billing_period)
            number.subscription.end_at = end
            self.bird.state.schedule.add(
                end + number.deprovisioning, Due("deprovisioned", workspace.ref, number.id)
            )
        self.bird.webhooks.schedule(workspace, number, now)  # cancelled: an event now

    def destination_prices(
        self,
        principal: BirdPrincipal,
        workspace_id: str,
        endpoint_id: str,
        capability: str,
        countries: Sequence[str],
    ) -> dict[str, Money]:
        """What activating the destinations would cost per month (`?validate=true`)."""
        self._destination_sender(principal, workspace_id, endpoint_id, capability)
        return dict.fromkeys(dict.fromkeys(countries), self.bird.config.destination_price)

    def activate(
        self,
        principal: BirdPrincipal,
        workspace_id: str,
        endpoint_id: str,
        capability: str,
        countries: Sequence[str],
    ) -> list[Destination]:
        """A subscription per destination country, charged to the wallet, all or nothing."""
        now = self.bird.settle()
        workspace = self.bird.workspace(principal, workspace_id)
        sender = self._destination_sender(principal, workspace_id, endpoint_id, capability)
        wanted = list(dict.fromkeys(countries))
        new = [
            c
            for c in wanted
            if c not in sender.destinations or not sender.destinations[c].is_active(now)
        ]
        price = self.bird.config.destination_price
        workspace.wallet.ensure_can_pay(total([price] * len(new), self.bird.config.currency, -6))
        for country in new:
            sub = Subscription(self.bird.ids.uuid(), country, price, now)
            sender.destinations[country] = Destination(country, capability, sub)
            workspace.wallet.debit(
                price,
                at=now,
                reference=sub.id,
                description=f"{sender.alpha_string} destination {country}",
            )
        return [sender.destinations[c] for c in wanted]

    def deactivate(
        self,
        principal: BirdPrincipal,
        workspace_id: str,
        endpoint_id: str,
        capability: str,
        countries: Sequence[str],
    ) -> list[Destination]:
        now = self.bird.settle()
        sender = self._destination_sender(principal, workspace_id, endpoint_id, capability)
        wanted = list(dict.fromkeys(countries))
        missing = [c for c in wanted if c not in sender.destinations]
        if missing:
            raise NotFound(
                "Destination",
                missing[0],
                f"Destination {', '.join(missing)} not found on this endpoint",
            )
        for country in wanted:
            destination = sender.destinations[country]
            if destination.active:
                destination.active = False
                destination.subscription.canceled_at = now
                destination.subscription.end_at = now
        return [sender.destinations[c] for c in wanted]

    def _destination_sender(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str, capability: str
    ) -> AlphaSender:
        endpoint = self.endpoint(principal, workspace_id, endpoint_id)
        if not isinstance(endpoint, AlphaSender):
            raise Rejected(
                "Destinations are managed on alpha senders; long code numbers "
                "reach every destination of their capabilities"
            )
        if capability != "sms":
            raise Rejected(f"Alpha senders only send sms, not {capability}")
        return endpoint


def period_end(start: datetime, now: datetime, period: timedelta) -> datetime:
    """The end of the billing period running at `now` (periods from `start`)."""
    periods = max((now - start) // period + 1, 1)
    return start + periods * period
