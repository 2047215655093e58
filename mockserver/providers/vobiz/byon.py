"""Bring your own number: OTP verification of a number the account already has.

Documented: verify sends a code by sms or voice and answers `pending` with `expires_at`;
confirm with the code answers `verified`. Everything else is the mock's (docs/fidelity.md):
the resend cooldown, the attempts before a lock, the lock, that a number verified or
being verified by one account cannot be verified by another, and that a number of Vobiz's
own inventory (for sale, or ordered by anyone) is not "your own": it is ordered and
onboarded with `buy_from_vobiz` instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mockserver.errors import RateLimited
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.errors import (
    InvalidOtp,
    NumberAlreadyVerified,
    NumberInUse,
    OtpExpired,
    VerificationLocked,
    VerificationNotFound,
)
from mockserver.providers.vobiz.models import Account, Claim, SentCode, Verification

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md): the backend holds its
    # use cases, and they call back into it for the tenant, the clock and the ids.
    from mockserver.providers.vobiz.backend import VobizBackend


class Byon:
    def __init__(self, vobiz: VobizBackend) -> None:
        self.vobiz = vobiz

    def verify(self, principal: VobizPrincipal, phone_number: str, method: str) -> Verification:
        """Send a new code (voiding the previous one), unless one was sent too recently."""
        now = self.vobiz.settle()
        account = self.vobiz.account(principal)
        self._ensure_free(account, phone_number, now)
        current = account.verifications.get(phone_number)
        if current is not None:
            self._may_send_again(current, now)
        config = self.vobiz.config
        verification = Verification(
            id=self.vobiz.ids.uuid(),
            phone_number=phone_number,
            method=method,
            code=self._code(account),
            sent_at=now,
            expires_at=now + config.otp_ttl,
        )
        account.verifications[phone_number] = verification
        self._claim(account, verification)
        self.vobiz.state.record_sent(SentCode(account.auth_id, verification))
        return verification

    def confirm(self, principal: VobizPrincipal, phone_number: str, code: str) -> Verification:
        """The right code verifies the number. A wrong one counts (the only failing call
        that changes state, by design); the last one allowed locks the verification."""
        now = self.vobiz.settle()
        account = self.vobiz.account(principal)
        verification = self.pending(account, phone_number, now)
        if code != verification.code:
            verification.attempts += 1
            left = self.vobiz.config.otp_max_attempts - verification.attempts
            if left <= 0:
                verification.locked_until = now + self.vobiz.config.otp_lock
                self._claim(account, verification)
            raise InvalidOtp(
                "The verification code is incorrect",
                details={"attempts_remaining": max(left, 0)},
            )
        verification.verified_at = now
        self._claim(account, verification)
        return verification

    def pending(self, account: Account, phone_number: str, now: datetime) -> Verification:
        """The account's verification of this number, if a code can be confirmed now."""
        verification = account.verifications.get(phone_number)
        if verification is None:
            raise VerificationNotFound(
                "Verification", phone_number, "No verification was requested for this number"
            )
        status = verification.status(now)
        if status == "verified":
            raise _already_verified(phone_number)
        if status == "locked":
            raise _locked(verification, now)
        if status == "expired":
            raise OtpExpired(
                "The verification code has expired; request a new one",
                {"otp_code": ["the code expired; request a new one"]},
            )
        return verification

    def _may_send_again(self, current: Verification, now: datetime) -> None:
        status = current.status(now)
        if status == "verified":
            raise _already_verified(current.phone_number)
        if status == "locked":
            raise _locked(current, now)
        wait = current.sent_at + self.vobiz.config.otp_resend_cooldown - now
        if status == "pending" and wait > timedelta(0):
            # Documented code and shape: 429 RATE_LIMIT_EXCEEDED, "check the Retry-After header".
            raise RateLimited(
                "A verification code was sent recently; retry later",
                retry_after=_ceil_seconds(wait),
                details={
                    "limitType": "otp_resend",
                    "limit": 1,
                    "current": 1,
                    "retryAfter": _ceil_seconds(wait),
                },
            )

    def _code(self, account: Account) -> str:
        rule = self.vobiz.state.rules.take("otp", account.auth_id)
        if rule is not None:
            return str(rule.params["code"])
        return self.vobiz.codes.digits(self.vobiz.config.otp_length)

    def _claim(self, account: Account, verification: Verification) -> None:
        self.vobiz.state.claims[verification.phone_number] = Claim(
            account.auth_id, verification.holds_number_until()
        )

    def _ensure_free(self, account: Account, phone_number: str, now: datetime) -> None:
        if self.vobiz.state.inventory.by_number(phone_number) is not None:
            # Keeps one holder per number: stock and orders never meet a BYON claim.
            raise NumberInUse(
                "This number belongs to Vobiz's inventory: order it and onboard it with "
                "number_onboarding_mode buy_from_vobiz",
                {"phone_number": phone_number},
            )
        owner = self.vobiz.state.claimant(phone_number, now)
        if owner is not None and owner != account.auth_id:
            raise NumberInUse(
                "This number is ordered, verified or being verified by another account",
                {"phone_number": phone_number},
            )


def _already_verified(phone_number: str) -> NumberAlreadyVerified:
    return NumberAlreadyVerified("This number is already verified", {"phone_number": phone_number})


def _locked(verification: Verification, now: datetime) -> VerificationLocked:
    assert verification.locked_until is not None
    wait = _ceil_seconds(verification.locked_until - now)
    return VerificationLocked(
        "Too many incorrect codes: the verification is locked",
        retry_after=wait,
        details={"retryAfter": wait},
    )


def _ceil_seconds(delta: timedelta) -> int:
    return max(1, int(-(-delta.total_seconds() // 1)))
