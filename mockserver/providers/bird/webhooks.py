"""api.bird.com webhook subscriptions (Notifications API) and the numbers event.

Subscriptions: https://docs.bird.com/api/notifications-api/api-reference/webhook-
subscriptions: `{service, event, eventFilters, template?, url, signingKey?}` per workspace,
up to five per identical combination of service, event and filters. The numbers service
has one event, triggered "by any updates to a number, from its creation to the activation
of a capability" (https://docs.bird.com/api/numbers-api/api-reference/events), and no
filters. Its name is not published: `bird.webhooks.numbersEvent` (default
`endpoint.updated`, invented). The other services' events are stored and never sent (the
mock has no channels, payments or conversations).

The event comes from the number's timeline: each time a status of the number begins
(lifecycles.change_points: bought, each order status, provisioning, each capability, each
WhatsApp pre-verification stage, the subscription cancelled, deprovisioning, deprovisioned)
a `notify` due effect renders the number as of that time and, when it changed, hands the
event to the delivery engine for every matching subscription of its workspace. The due
effect, and the digest of the last event, live in the state: a dump, a restore or a reset
never repeats or loses one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from mockserver.domain.pagination import Page, query_scope
from mockserver.errors import Conflict, Invalid, NotFound
from mockserver.providers.bird import lifecycles, wire
from mockserver.providers.bird.auth import BirdPrincipal
from mockserver.providers.bird.errors import json_path
from mockserver.providers.bird.models import (
    Due,
    EventFilter,
    LongCodeNumber,
    WebhookSubscription,
    Workspace,
    WorkspaceRef,
)
from mockserver.webhooks import signing, urls
from mockserver.webhooks.models import Outgoing, WebhookTarget

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md): the backend holds its
    # use cases, and they call back into it for the tenant, the clock and the ids.
    from mockserver.providers.bird.backend import BirdBackend

PROVIDER = "bird"
NUMBERS = "numbers"
# "You can create up to five webhook subscriptions for the same combination of filters."
SAME_FILTERS = 5
_SEP = "\x1f"


class WebhookSubscriptions:
    def __init__(self, bird: BirdBackend) -> None:
        self.bird = bird

    # --- the subscription resource ----------------------------------------------------------

    def _workspace(
        self, principal: BirdPrincipal, organization_id: str, workspace_id: str
    ) -> Workspace:
        self.bird.organization(principal, organization_id)
        workspace = self.bird.workspace(principal, workspace_id)
        if workspace.organization_id not in (None, organization_id):
            raise NotFound(
                "Workspace",
                workspace_id,
                f"Workspace {workspace_id} not found in organization {organization_id}",
            )
        return workspace

    def create(
        self,
        principal: BirdPrincipal,
        organization_id: str,
        workspace_id: str,
        body: Mapping[str, Any],
    ) -> WebhookSubscription:
        now = self.bird.settle()
        workspace = self._workspace(principal, organization_id, workspace_id)
        filters = _filters(body.get("eventFilters") or ())
        self._check(workspace, body["service"], body["event"], filters, body["url"], None)
        subscription = WebhookSubscription(
            id=self.bird.event_ids.uuid(),
            organization_id=organization_id,
            workspace_id=workspace.id,
            service=body["service"],
            event=body["event"],
            url=body["url"],
            created_at=now,
            updated_at=now,
            serial=self.bird.state.next_serial(),
            event_filters=filters,
            template=body.get("template"),
            signing_key=body.get("signingKey"),
        )
        workspace.webhook_subscriptions[subscription.id] = subscription
        self.bird.outbox.watch()
        self.arm(workspace, now)
        return subscription

    def page(
        self,
        principal: BirdPrincipal,
        organization_id: str,
        workspace_id: str,
        limit: int,
        page_token: str | None,
        reverse: bool,
    ) -> Page[WebhookSubscription]:
        self.bird.settle()
        workspace = self._workspace(principal, organization_id, workspace_id)
        rows = list(workspace.webhook_subscriptions.values())
        scope = query_scope(["webhook-subscriptions", principal.key, workspace.id, reverse])
        return self.bird.tokens.page_sorted(scope, rows, _created, page_token, limit, reverse)

    def get(
        self, principal: BirdPrincipal, organization_id: str, workspace_id: str, sub_id: str
    ) -> WebhookSubscription:
        self.bird.settle()
        workspace = self._workspace(principal, organization_id, workspace_id)
        return _find(workspace, sub_id)

    def update(
        self,
        principal: BirdPrincipal,
        organization_id: str,
        workspace_id: str,
        sub_id: str,
        body: Mapping[str, Any],
    ) -> WebhookSubscription:
        """Change what the body names: url, event, eventFilters, template, signingKey (null
        clears the last two). Deliveries already queued go to the new URL, signed with the
        new key (the engine asks at each attempt)."""
        now = self.bird.settle()
        workspace = self._workspace(principal, organization_id, workspace_id)
        subscription = _find(workspace, sub_id)
        event = body.get("event", subscription.event)
        filters = (
            _filters(body["eventFilters"] or ())
            if "eventFilters" in body
            else subscription.event_filters
        )
        url = body.get("url", subscription.url)
        self._check(workspace, subscription.service, event, filters, url, subscription.id)
        subscription.event, subscription.event_filters, subscription.url = event, filters, url
        if "template" in body:
            subscription.template = body["template"]
        if "signingKey" in body:
            subscription.signing_key = body["signingKey"]
        subscription.updated_at = now
        self.arm(workspace, now)
        return subscription

    def delete(
        self, principal: BirdPrincipal, organization_id: str, workspace_id: str, sub_id: str
    ) -> None:
        """Gone at once, and so is every delivery still pending for it."""
        self.bird.settle()
        workspace = self._workspace(principal, organization_id, workspace_id)
        _find(workspace, sub_id)
        del workspace.webhook_subscriptions[sub_id]
        self.bird.outbox.cancel(PROVIDER, sub_id)

    def _check(
        self,
        workspace: Workspace,
        service: str,
        event: str,
        filters: tuple[EventFilter, ...],
        url: str,
        keep: str | None,
    ) -> None:
        problems: dict[str, list[str]] = {}
        url_problem = urls.problem(url)
        if url_problem is not None:
            problems[json_path("url")] = [url_problem]
        numbers_event = self.bird.config.numbers_event
        if service == NUMBERS and event != numbers_event:
            problems[json_path("event")] = [f"the numbers service has one event, {numbers_event!r}"]
        if service == NUMBERS and filters:
            problems[json_path("eventFilters")] = ["no filters are supported for this service"]
        if problems:
            raise Invalid("One or more fields provided in the request body are malformed", problems)
        same = [
            s
            for s in workspace.webhook_subscriptions.values()
            if s.id != keep
            and (s.service, s.event, sorted(s.event_filters, key=_filter_key))
            == (service, event, sorted(filters, key=_filter_key))
        ]
        if len(same) >= SAME_FILTERS:
            raise Conflict(
                f"A workspace can have up to {SAME_FILTERS} webhook subscriptions for the same "
                "service, event and filters",
                {"subscriptionIds": [s.id for s in same]},
            )

    # --- the numbers event --------------------------------------------------------------------

    def _listeners(self, workspace: Workspace) -> list[WebhookSubscription]:
        event = self.bird.config.numbers_event
        return [
            s
            for s in workspace.webhook_subscriptions.values()
            if s.service == NUMBERS and s.event == event and s.status == "active"
        ]

    def schedule(self, workspace: Workspace, number: LongCodeNumber, at: datetime) -> None:
        """Look at the number at `at` (a change a request made now, or its purchase), when
        its workspace subscribes to the numbers event: any later look already scheduled is
        superseded (`notify_at`). Without a subscriber nothing is scheduled."""
        if self._listeners(workspace):
            number.notify_at = at
            self.bird.state.schedule.add(at, Due("notify", workspace.ref, number.id))

    def arm(self, workspace: Workspace, now: datetime) -> None:
        """A workspace subscribed to the numbers event: its numbers are followed from now
        on (a subscription gets the changes after it was made, not the history)."""
        for number in workspace.numbers.values():
            if number.notify_at is None:
                number.notified = _digest(wire.number_event(number, workspace.id, now))
                following = lifecycles.next_change(number, now)
                if following is not None:
                    self.schedule(workspace, number, following)

    def notify(self, workspace: Workspace, number: LongCodeNumber, at: datetime) -> None:
        """The number as of `at`: when it differs from the last event, the numbers event
        goes to every matching subscription of its workspace."""
        matching = self._listeners(workspace)
        if not matching:
            return
        payload = wire.number_event(number, workspace.id, at)
        digest = _digest(payload)
        if digest == number.notified:
            return
        number.notified = digest
        event = self.bird.config.numbers_event
        event_id = self.bird.event_ids.uuid()
        body = orjson.dumps({"service": NUMBERS, "event": event, "payload": payload}).decode()
        for subscription in matching:
            self.bird.outbox.emit(
                Outgoing(
                    provider=PROVIDER,
                    tenant=workspace.id,
                    subscription=subscription.id,
                    route=route(workspace.ref, subscription.id),
                    event_type=event,
                    event_id=event_id,
                    message_id=self.bird.event_ids.uuid(),
                    occurred_at=at,
                    body=body,
                )
            )

    def look_again(self, workspace: Workspace, number: LongCodeNumber, at: datetime) -> None:
        """A `notify` due effect fell due: the event, then the next look (none once nothing
        subscribes any more: a new subscription starts them again)."""
        number.notify_at = None
        if not self._listeners(workspace):
            number.notified = None
            return
        self.notify(workspace, number, at)
        following = lifecycles.next_change(number, at)
        if following is not None:
            self.schedule(workspace, number, following)

    def target(self, key: str) -> WebhookTarget | None:
        parts = key.split(_SEP)
        if len(parts) != 4 or parts[0] != "api":
            return None
        workspace = self.bird.state.workspace_at(WorkspaceRef(parts[1], parts[2]))
        found = None if workspace is None else workspace.webhook_subscriptions.get(parts[3])
        if found is None:
            return None
        keys = (found.signing_key,) if found.signing_key else ()
        return WebhookTarget(found.url, signing.MESSAGEBIRD, keys, found.status == "active")


def _digest(payload: Any) -> str:
    return hashlib.blake2b(orjson.dumps(payload), digest_size=16).hexdigest()


def route(ref: WorkspaceRef, subscription_id: str) -> str:
    """The engine's key for a subscription (Outgoing.route): where to find it again."""
    return _SEP.join(("api", ref.tenant, ref.workspace, subscription_id))


def _find(workspace: Workspace, sub_id: str) -> WebhookSubscription:
    found = workspace.webhook_subscriptions.get(sub_id)
    if found is None:
        raise NotFound("WebhookSubscription", sub_id, "Webhook subscription not found")
    return found


def _filters(raw: Sequence[Mapping[str, Any]]) -> tuple[EventFilter, ...]:
    return tuple(EventFilter(str(f["key"]), str(f["value"])) for f in raw)


def _filter_key(found: EventFilter) -> tuple[str, str]:
    return (found.key, found.value)


def _created(row: WebhookSubscription) -> tuple[str, ...]:
    return (row.created_at.isoformat(), f"{row.serial:012d}")
