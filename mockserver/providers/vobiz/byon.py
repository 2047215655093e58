"""Bring your own number: OTP verification of a number the account already has."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from mockserver.errors import Conflict, Invalid, NotFound, RateLimited, Rejected
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.models import Account, Verification

if TYPE_CHECKING:
    from mockserver.providers.vobiz.backend import VobizBackend


class Byon:
    def __init__(self, vobiz: VobizBackend) -> None:
        self.vobiz = vobiz

    def verify(self, principal: VobizPrincipal, phone_number: str, method: str) -> Verification:
        account = self.vobiz.account(principal)
        now = self.vobiz.clock.now()
        self._ensure_unclaimed(account, phone_number)
        current = account.verifications.get(phone_number)
        if current is not None:
            if current.verified_at is not None:
                raise Conflict(
                    "This number is already verified",
                    {"phone_number": phone_number},
                    code="NUMBER_ALREADY_VERIFIED",
                )
            wait = current.sent_at + self.vobiz.config.otp_resend_cooldown - now
            if wait > timedelta(0):
                raise RateLimited(
                    "A verification code was sent recently; retry later",
                    retry_after=_ceil_seconds(wait),
                    code="OTP_RESEND_COOLDOWN",
                )
        verification = Verification(
            id=self.vobiz.ids.uuid(),
            phone_number=phone_number,
            method=method,
            code=self.vobiz.codes.digits(6),
            sent_at=now,
            expires_at=now + self.vobiz.config.otp_ttl,
        )
        account.verifications[phone_number] = verification
        return verification

    def confirm(self, principal: VobizPrincipal, phone_number: str, code: str) -> Verification:
        account = self.vobiz.account(principal)
        now = self.vobiz.clock.now()
        verification = account.verifications.get(phone_number)
        if verification is None:
            raise NotFound(
                "Verification",
                phone_number,
                "No verification was requested for this number",
                code="VERIFICATION_NOT_FOUND",
            )
        status = verification.status(now, self.vobiz.config.otp_max_attempts)
        if status == "verified":
            raise Conflict(
                "This number is already verified",
                {"phone_number": phone_number},
                code="NUMBER_ALREADY_VERIFIED",
            )
        if status == "locked":
            raise RateLimited(
                "Too many incorrect codes; request a new verification code",
                retry_after=None,
                code="OTP_ATTEMPTS_EXCEEDED",
            )
        if status == "expired":
            raise Invalid(
                "The verification code has expired; request a new one",
                {"otp_code": ["the code expired; request a new one"]},
                code="OTP_EXPIRED",
            )
        if code != verification.code:
            verification.attempts += 1
            left = self.vobiz.config.otp_max_attempts - verification.attempts
            raise Rejected(
                "The verification code is incorrect",
                code="INVALID_OTP",
                details={"attempts_remaining": left},
            )
        self._ensure_unclaimed(account, phone_number)
        verification.verified_at = now
        self.vobiz.state.claims[phone_number] = account.auth_id
        return verification

    def _ensure_unclaimed(self, account: Account, phone_number: str) -> None:
        owner = self.vobiz.state.claims.get(phone_number)
        if owner is not None and owner != account.auth_id:
            raise Conflict(
                "This number is in use by another account",
                {"phone_number": phone_number},
                code="NUMBER_IN_USE",
            )


def _ceil_seconds(delta: timedelta) -> int:
    return max(1, int(-(-delta.total_seconds() // 1)))
