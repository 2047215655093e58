"""The parts of the control spec that name providers, filled in from the registered ones.

specs/control.yaml leaves three things open (each marked `x-mock-filled`): the provider
names every `provider` field takes, the outcome rules (each provider's spec declares its
own under `x-mock-rules`) and the fault profiles. Filled in at start-up, the served and
validated control spec names exactly what this mock serves, so registering a provider
never means editing the control plane.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def filled(
    document: Mapping[str, Any],
    providers: Sequence[str],
    rules: Iterable[Mapping[str, Any]],
    profiles: Iterable[str],
) -> dict[str, Any]:
    """A copy of the control spec `document` naming these providers, rules and profiles."""
    spec: dict[str, Any] = copy.deepcopy(dict(document))
    schemas = spec["components"]["schemas"]
    schemas["ProviderName"]["enum"] = list(providers)
    schemas["RuleInput"]["oneOf"] = [copy.deepcopy(dict(rule)) for rule in rules] or [
        {"not": {}, "description": "No registered provider has outcome rules."}
    ]
    profile = schemas["FaultInput"]["properties"]
    names = sorted(profiles)
    if names:
        profile["profile"]["enum"] = names
    else:
        del profile["profile"]
    return spec
