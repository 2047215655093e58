"""State dumps: the whole mock as JSON, and back (the control plane's `/_mock/state`).

A dump is plain JSON, readable by a person and never executed: times are ISO-8601 UTC
strings, durations seconds, money "3.500000 EUR". It holds everything a request can change
(tenants, wallets and their ledgers, orders, reservations, verifications, rules with their
remaining uses, the pending side effects in due order, every random stream's position and
the clock), so the same requests at the same times after a restore answer byte for byte
as they would have without it. The stock is not listed item by item (100,000 items): a
restore seeds it again from the scenario and the seed, then takes out the items the dump
lists as unavailable; that is why a dump only restores into a mock of the same scenario
and seed.

The dump names its format version (2: every model written from its fields by
dumps.Codec, references by id); a restore also reads version 1, which each provider's
codec upgrades. The webhook deliveries (`webhooks`, mockserver/webhooks/) are a part of
their own, absent from dumps taken before they existed (a restore reads that as none).
This module holds the header, the checks and the swap, and reaches the providers through
their contract only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mockserver.clock import LATEST, Resettable
from mockserver.dumps import Reader, SnapshotError, UnknownTenant, when
from mockserver.rng import Rng

if TYPE_CHECKING:
    from mockserver.scenario import Scenario
    from mockserver.state import MockState

__all__ = ["FORMAT", "VERSION", "SnapshotError", "UnknownTenant", "restore", "take"]

FORMAT = "numbers-mock/state"
# 2: models written from their fields (dumps.Codec), references by id. A restore reads
# version 1 too: each provider's codec upgrades its part.
VERSION = 2
READS = (1, 2)


# --- the dump as a whole ----------------------------------------------------------------


def take(
    state: MockState,
    provider: str | None = None,
    tenant: str | None = None,
    *,
    secrets: bool = False,
) -> dict[str, Any]:
    """A JSON-ready dump of the whole mock, or a partial one for reading (not restorable:
    it leaves out the random streams): with `provider`, that provider's part only; with
    `tenant` (a Bird credential without its scheme or a tenant's name, a Vobiz auth id),
    only that tenant's part (no shared stock). Credentials, tokens and signing secrets
    are redacted unless `secrets` (and a restore refuses a dump without them). Raises
    UnknownTenant."""
    chosen = [p for p in state.providers if provider in (None, p.name)]
    if not chosen:
        have = ", ".join(p.name for p in state.providers)
        raise UnknownTenant(f"no provider {provider!r} (this mock has {have})")
    dump: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "scenario": state.scenario.name,
        "scenarioDigest": scenario_digest(state.scenario),
        "seed": state.rng.seed,
        "clock": when(state.clock.now()),
        "secrets": "included" if secrets else "redacted",
    }
    if provider is not None:
        dump["provider"] = provider
    if tenant is not None:
        dump["tenant"] = tenant
    found = False
    for part in chosen:
        # A provider that does not know the tenant shows null: the key is some other
        # provider's (a Bird access key is no Vobiz auth id).
        known = tenant is None or part.knows(tenant)
        dump[part.name] = part.dump(tenant, secrets=secrets) if known else None
        found = found or known
    if not found:
        raise UnknownTenant(f"no tenant {tenant!r} in {provider or 'any provider'}")
    if provider is None and tenant is None:
        # The webhook deliveries, pending and recent (absent from older dumps: none).
        dump["webhooks"] = state.webhooks.dump()
        # Last: a long block of stream states, after what a person reads the dump for.
        dump["rng"] = state.rng.dump()
    return dump


def restore(state: MockState, data: object) -> None:
    """Make the mock what `data` (a full dump of a mock with the same scenario and seed)
    describes: provider states, random streams and, if the clock can be set, the time.

    Everything is rebuilt and checked before anything is swapped in, so a dump that is
    refused (SnapshotError) leaves the mock exactly as it was.
    """
    try:
        swap = _prepare(state, data)
    except SnapshotError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        # The readers name most problems; this catches what only a constructor notices
        # (a timeline out of order, a negative count), still as a refusal, not a 500.
        raise SnapshotError(f"the dump is malformed: {type(exc).__name__}: {exc}") from exc
    swap()


def _prepare(state: MockState, data: object) -> Callable[[], None]:
    if not isinstance(data, Mapping):
        raise SnapshotError("a state dump is a JSON object")
    dump = Reader(data, "$")
    if data.get("format") != FORMAT:
        raise SnapshotError(f"not a numbers-mock state dump: format must be {FORMAT!r}")
    version = data.get("version")
    if version not in READS or isinstance(version, bool):
        raise SnapshotError(
            f"dump format version {version!r} is not supported "
            f"(this mock reads versions {', '.join(map(str, READS))})"
        )
    if data.get("secrets") == "redacted":
        raise SnapshotError(
            "this dump was taken without its secrets (credentials and tokens are redacted), "
            "so it cannot be restored: take it with GET /_mock/state?secrets=true"
        )
    for partial in ("provider", "tenant"):
        if data.get(partial) is not None:
            raise SnapshotError(
                f"this is a dump of one {partial} ({data.get(partial)!r}), for reading: "
                "restore takes a full dump"
            )
    scenario, seed = state.scenario, state.rng.seed
    if dump.text("scenario") != scenario.name:
        raise SnapshotError(
            f"this dump is of scenario {dump.text('scenario')!r}; "
            f"this mock runs scenario {scenario.name!r}"
        )
    if dump.integer("seed") != seed:
        raise SnapshotError(
            f"this dump was taken with seed {dump.integer('seed')}; this mock runs seed {seed}, "
            "so its stock is different"
        )
    if dump.text("scenarioDigest") != scenario_digest(scenario):
        raise SnapshotError(
            f"this dump was taken with another version of scenario {scenario.name!r} "
            "(the scenario file changed since)"
        )
    now = dump.time("clock")
    if now > LATEST:
        raise SnapshotError(
            f"$.clock: {when(now)} is after {when(LATEST)}, the latest time it may show"
        )
    rng_data = dump.mapping("rng")
    try:
        Rng(seed).restore(rng_data)  # only checks it: the mock's own streams move in swap()
    except ValueError as exc:
        raise SnapshotError(f"$.rng: {exc}") from exc

    swaps = [
        provider.prepare_restore(dump.mapping(provider.name), int(version))
        for provider in state.providers
    ]
    webhooks = data.get("webhooks")
    swaps.append(
        state.webhooks.prepare_restore(None if webhooks is None else dump.mapping("webhooks"))
    )

    def swap() -> None:
        for provider_swap in swaps:
            provider_swap()
        state.rng.restore(rng_data)
        if isinstance(state.clock, Resettable):
            state.clock.reset_to(now)

    return swap


def scenario_digest(scenario: Scenario) -> str:
    """A fingerprint of the scenario's content: two files can share a name."""
    text = json.dumps(scenario.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
