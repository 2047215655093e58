"""A workspace's own numbers and alpha senders, listed and found by id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockserver.domain.pagination import Page, query_scope
from mockserver.errors import NotFound
from mockserver.providers.bird.auth import BirdPrincipal
from mockserver.providers.bird.models import AlphaSender, LongCodeNumber

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md): the backend holds its
    # use cases, and they call back into it for the tenant, the clock and the ids.
    from mockserver.providers.bird.backend import BirdBackend


@dataclass(frozen=True, slots=True)
class NumberQuery:
    number_prefix: str | None = None
    countries: tuple[str, ...] = ()
    provider_ids: tuple[str, ...] = ()
    reverse: bool = False
    limit: int = 10
    page_token: str | None = None

    def scope(self, caller: str, workspace_id: str) -> str:
        return query_scope(
            [
                "numbers",
                caller,
                workspace_id,
                self.number_prefix,
                sorted(set(self.countries)),
                sorted(set(self.provider_ids)),
                self.reverse,
            ]
        )


class Numbers:
    def __init__(self, bird: BirdBackend) -> None:
        self.bird = bird

    def page(
        self, principal: BirdPrincipal, workspace_id: str, query: NumberQuery
    ) -> Page[LongCodeNumber]:
        self.bird.settle()
        workspace = self.bird.workspace(principal, workspace_id)
        prefix = None
        if query.number_prefix is not None:
            prefix = "+" + query.number_prefix.removeprefix("+")
        countries, providers = set(query.countries), set(query.provider_ids)
        numbers = [
            n
            for n in workspace.numbers.values()
            if (prefix is None or n.item.number.startswith(prefix))
            and (not countries or n.item.country in countries)
            and (not providers or n.item.provider_id in providers)
        ]
        return self.bird.tokens.page_sorted(
            query.scope(principal.key, workspace_id),
            numbers,
            _created,
            query.page_token,
            query.limit,
            query.reverse,
        )

    def get(self, principal: BirdPrincipal, workspace_id: str, number_id: str) -> LongCodeNumber:
        self.bird.settle()
        workspace = self.bird.workspace(principal, workspace_id)
        number = workspace.numbers.get(number_id)
        if number is None:
            # Documented 404 text: "Long Code Number not found".
            raise NotFound("LongCodeNumber", number_id, "Long Code Number not found")
        return number

    def alpha_page(
        self,
        principal: BirdPrincipal,
        workspace_id: str,
        limit: int,
        page_token: str | None,
        reverse: bool,
    ) -> Page[AlphaSender]:
        self.bird.settle()
        workspace = self.bird.workspace(principal, workspace_id)
        senders = list(workspace.alpha_senders.values())
        scope = query_scope(["alpha", principal.key, workspace_id, reverse])
        return self.bird.tokens.page_sorted(scope, senders, _created, page_token, limit, reverse)

    def alpha(self, principal: BirdPrincipal, workspace_id: str, alpha_id: str) -> AlphaSender:
        self.bird.settle()
        workspace = self.bird.workspace(principal, workspace_id)
        alpha = workspace.alpha_senders.get(alpha_id)
        if alpha is None:
            raise NotFound("AlphaNumber", alpha_id, "Alpha Number not found")
        return alpha


def _created(row: LongCodeNumber | AlphaSender) -> tuple[str, ...]:
    # "By default, the orders are in ascending order date" (Bird pagination docs); the
    # serial keeps things created at the same instant in the order they were created.
    return (row.created_at.isoformat(), f"{row.serial:012d}")
