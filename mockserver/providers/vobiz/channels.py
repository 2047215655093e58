"""WhatsApp channels: connecting a bought or verified number to a WABA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mockserver.errors import Invalid
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.errors import (
    ChannelAlreadyExists,
    ChannelNotFound,
    NumberInUse,
    NumberNotVerified,
    OrderNotCompleted,
    OrderNotFound,
)
from mockserver.providers.vobiz.models import Account, Channel

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md): the backend holds its
    # use cases, and they call back into it for the tenant, the clock and the ids.
    from mockserver.providers.vobiz.backend import VobizBackend


@dataclass(frozen=True, slots=True)
class ChannelRequest:
    waba_id: str
    phone_number_id: str | None
    phone_number: str
    onboarding_mode: str
    number_provider: str
    number_order_id: str | None
    access_token: str
    display_name: str


class Channels:
    def __init__(self, vobiz: VobizBackend) -> None:
        self.vobiz = vobiz

    def create(self, principal: VobizPrincipal, request: ChannelRequest) -> Channel:
        now = self.vobiz.settle()
        account = self.vobiz.account(principal)
        verification_status = self._onboarding_check(account, request, now)
        if any(c.phone_number == request.phone_number for c in account.channels.values()):
            raise ChannelAlreadyExists(
                "A channel for this phone number already exists",
                {"phone_number": request.phone_number},
            )
        self._held_elsewhere_check(account, request.phone_number, now)
        channel = Channel(
            id=self.vobiz.ids.uuid(),
            account_id=account.auth_id,
            waba_id=request.waba_id,
            phone_number_id=request.phone_number_id,
            phone_number=request.phone_number,
            onboarding_mode=request.onboarding_mode,
            number_provider=request.number_provider,
            number_order_id=request.number_order_id,
            access_token=request.access_token,
            display_name=request.display_name,
            verification_status=verification_status,
            created_at=now,
            updated_at=now,
        )
        account.channels[channel.id] = channel
        return channel

    def _onboarding_check(self, account: Account, request: ChannelRequest, now: datetime) -> str:
        """The documented rules per onboarding mode; returns the channel's verification status."""
        mode = request.onboarding_mode
        if mode != "buy_from_vobiz" and not request.phone_number_id:
            raise Invalid(
                "phone_number_id is required unless number_onboarding_mode is buy_from_vobiz",
                {"phone_number_id": ["a value is required"]},
            )
        if request.number_order_id is not None:
            order = account.orders.get(request.number_order_id)
            if order is None:
                raise OrderNotFound("Order", request.number_order_id, "Number order not found")
        if mode == "buy_from_vobiz":
            return self._bought_number_check(account, request, now)
        if mode == "bring_your_own":
            verification = account.verifications.get(request.phone_number)
            if verification is None or verification.verified_at is None:
                # 409, not 422: the request is well formed, the number's state is not
                # ready yet (invented status for a documented rule, docs/fidelity.md).
                raise NumberNotVerified(
                    "The number has not been verified with bring-your-own/verify",
                    {"phone_number": request.phone_number},
                )
            return "verified"
        return "pending"  # embedded signup: Meta verifies the number later

    def _held_elsewhere_check(self, account: Account, phone_number: str, now: datetime) -> None:
        """A number sits on one WhatsApp Business Account: not one another account has
        ordered, verified or is verifying, nor one another account's channel uses (the
        mock's one-holder rule, as for BYON verification; invented status)."""
        claimant = self.vobiz.state.claimant(phone_number, now)
        connected = any(
            channel.phone_number == phone_number
            for other in self.vobiz.state.accounts.values()
            if other is not account
            for channel in other.channels.values()
        )
        if (claimant is not None and claimant != account.auth_id) or connected:
            raise NumberInUse(
                "This number is ordered, verified or connected by another account",
                {"phone_number": phone_number},
            )

    def _bought_number_check(self, account: Account, request: ChannelRequest, now: datetime) -> str:
        if request.number_order_id is None:
            raise Invalid(
                "number_order_id is required when number_onboarding_mode is buy_from_vobiz",
                {"number_order_id": ["a value is required"]},
            )
        order = account.orders[request.number_order_id]
        if order.status(now) != "completed" or order.number.number != request.phone_number:
            # 409 like NUMBER_NOT_VERIFIED: the order exists but is not (yet) this number's.
            raise OrderNotCompleted(
                "The order is not completed for this phone number",
                {"number_order_id": request.number_order_id, "phone_number": request.phone_number},
            )
        return "verified"

    def all(self, principal: VobizPrincipal) -> list[Channel]:
        account = self.vobiz.account(principal)
        return sorted(account.channels.values(), key=lambda c: (c.created_at, c.id))

    def get(self, principal: VobizPrincipal, channel_id: str) -> Channel:
        channel = self.vobiz.account(principal).channels.get(channel_id)
        if channel is None:
            raise ChannelNotFound("Channel", channel_id, "Channel not found")
        return channel

    def update(
        self,
        principal: VobizPrincipal,
        channel_id: str,
        display_name: str | None,
        access_token: str | None,
    ) -> Channel:
        channel = self.get(principal, channel_id)
        if display_name is not None:
            channel.display_name = display_name
        if access_token is not None:
            channel.access_token = access_token
        channel.updated_at = self.vobiz.clock.now()
        return channel

    def delete(self, principal: VobizPrincipal, channel_id: str) -> None:
        channel = self.get(principal, channel_id)
        del self.vobiz.account(principal).channels[channel.id]
