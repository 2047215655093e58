"""A live mock for Bird's platform API, and ways to pick stock for a test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import bird
import httpx
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, create_app
from mockserver.domain.inventory import Inventory
from mockserver.providers.bird.items import StockItem
from tests.conftest import START
from tests.support.live import serve

KEY = "bk_eu1_platform_test_key_0000000001"
OTHER_KEY = "bk_eu1_platform_test_key_0000000002"
HEADERS = {"Authorization": f"Bearer {KEY}"}


@dataclass
class Live:
    app: Starlette
    clock: ManualClock
    url: str

    def client(self, key: str = KEY, **options: Any) -> bird.Bird:
        return bird.Bird(api_key=key, base_url=self.url, max_retries=0, **options)

    def control(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def stock(
        self, country: str, wanted: Callable[[StockItem], bool], count: int = 1
    ) -> list[StockItem]:
        """Items on sale in `country` that `wanted` picks (read from the mock's own stock)."""
        inventory: Inventory[StockItem] = self.app.state.mock.providers[0].backend.state.inventory
        items, _ = inventory.scan([(country, "+")], lambda i: not i.testing and wanted(i), count)
        assert len(items) == count, f"the seeded stock has too few such {country} numbers"
        return items

    def wallet(self, tenant_key: str = KEY) -> str:
        token = f"boa_{tenant_key}"
        with self.client(token) as client:
            return client.billing_wallets.list().data[0].balance

    def set_wallet(self, balance: str, tenant_key: str = KEY) -> None:
        from mockserver.providers.bird.platform.auth import workspace_of

        with self.control() as control:
            # A key opens its tenant on first use: this one may not have been used yet.
            opened = control.get(
                "/v1/sms/senders", headers={"Authorization": f"Bearer {tenant_key}"}
            )
            assert opened.status_code == 200, opened.text
            path = f"/_mock/wallets/bird/{workspace_of(tenant_key)}/EUR"
            response = control.put(path, json={"balance": balance})
            assert response.status_code == 200, response.text


@contextmanager
def live_mock(**settings: Any) -> Iterator[Live]:
    clock = ManualClock(START)
    app = create_app(Settings(seed=1, validate_responses=True, **settings), clock=clock)
    with serve(app) as url:
        yield Live(app, clock, url)
    assert app.state.mock.failures == [], [str(f) for f in app.state.mock.failures]
