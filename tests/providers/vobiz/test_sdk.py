"""The official Vobiz Python SDK (PyPI `vobiz-python`) against a live mock, unchanged.

Every number and account method of issue 15's table goes through `vobiz.RestClient` over a
real socket (the SDK speaks `requests`), with the SDK's base-URL constants pointed at the
mock as the README's recipe shows. Each call succeeds and parses, or raises the exception
class `process_response` (vobiz/rest/client.py) raises for the documented status:
400 ValidationError, 401 AuthenticationError, 403 ForbiddenError, 404
ResourceNotFoundError, 409 InvalidRequestError, 500 VobizServerError.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import vobiz
import vobiz.resources.accounts
import vobiz.resources.applications
import vobiz.resources.numbers
from vobiz.exceptions import (
    AuthenticationError,
    ForbiddenError,
    InvalidRequestError,
    ResourceNotFoundError,
    ValidationError,
    VobizServerError,
)

from mockserver import ManualClock, Settings, create_app
from tests.conftest import START
from tests.support.credentials import APPLICATION, TRUNK, VOBIZ_AUTH_ID, VOBIZ_TOKEN
from tests.support.live import serve

pytestmark = pytest.mark.socket

OTHER_ID, OTHER_TOKEN = "MA_RIVAL001", "rival_sdk_token_0000"
# The modules whose VOBIZ_API_V1 the number and account methods build their URLs from.
SDK_MODULES = (vobiz.resources.numbers, vobiz.resources.accounts, vobiz.resources.applications)


@dataclass
class Live:
    url: str
    clock: ManualClock

    def control(self, method: str, path: str, body: object) -> None:
        response = httpx.request(method, f"{self.url}/_mock/{path}", json=body)
        assert response.status_code < 300, response.text


@pytest.fixture
def live() -> Iterator[Live]:
    clock = ManualClock(START)
    app = create_app(Settings(seed=3, validate_responses=True), clock=clock)
    with serve(app) as url:
        yield Live(url, clock)
    failures = app.state.mock.failures
    assert not failures, f"responses broke the spec: {[str(f) for f in failures]}"


@pytest.fixture
def sdk(live: Live, monkeypatch: pytest.MonkeyPatch) -> Iterator[vobiz.RestClient]:
    """The README's recipe: the SDK's base URL constants pointed at the mock."""
    for module in SDK_MODULES:
        monkeypatch.setattr(module, "VOBIZ_API_V1", f"{live.url}/api/v1")
    with vobiz.RestClient(auth_id=VOBIZ_AUTH_ID, auth_token=VOBIZ_TOKEN) as client:
        yield client


@pytest.fixture
def rival(sdk: vobiz.RestClient) -> Iterator[vobiz.RestClient]:
    """Another account (ad-hoc: any well-formed credential opens one)."""
    with vobiz.RestClient(auth_id=OTHER_ID, auth_token=OTHER_TOKEN) as client:
        yield client


def test_every_method_of_the_issue_runs_the_number_lifecycle(
    sdk: vobiz.RestClient, live: Live
) -> None:
    numbers, accounts, applications = sdk.phone_numbers, sdk.accounts, sdk.applications
    account = accounts.get()
    assert (account.auth_id, account.name) == (VOBIZ_AUTH_ID, "Acme Corp")
    opening = accounts.get_balance(VOBIZ_AUTH_ID, "INR").available_balance
    inventory = numbers.list_inventory(country="IN", page=1, per_page=5)
    assert len(inventory.items) == 5
    assert inventory.total > 5
    number = inventory.items[0].e164
    price = inventory.items[0].setup_fee + inventory.items[0].monthly_fee

    bought = numbers.purchase_from_inventory(number, currency="INR")
    assert (bought.message, bought.number.e164, bought.number.status) == (
        "Number purchased successfully",
        number,
        "active",
    )
    assert accounts.get_balance(VOBIZ_AUTH_ID, "INR").available_balance == opening - price
    assert number not in [n.e164 for n in numbers.list_inventory(country="IN", per_page=100).items]

    owned = numbers.list(page=1, per_page=10, include_subaccounts=True)
    assert [n.e164 for n in owned.items] == [number]
    assert numbers.assign_to_trunk(number, TRUNK) is None  # 204
    attached = applications.attach_number(number, APPLICATION)
    assert attached.application.app_id == APPLICATION
    listed = numbers.list().items[0]
    assert (listed.trunk_group_id, listed.application_id) == (TRUNK, APPLICATION)
    assert applications.detach_number(number).number == number
    assert numbers.unassign_from_trunk(number) is None

    ledger = accounts.get_transactions(VOBIZ_AUTH_ID, limit=20, offset=0)
    assert [t.reference_type for t in ledger.transactions] == ["did_rental"]
    assert ledger.transactions[0].amount == price
    concurrency = accounts.get_concurrency(VOBIZ_AUTH_ID)
    assert (concurrency.concurrent_calls, concurrency.max_concurrent) == (0, 10)

    released = numbers.release(number)  # the SDK's plain DELETE: 200, current docs' body
    assert (released.status, released.release_fee) == ("pending_release", 700)
    assert numbers.list().items[0].status == "pending_release"
    live.clock.advance(timedelta(hours=24, days=45))
    assert numbers.list().items == []
    assert number in [n.e164 for n in numbers.list_inventory(country="IN", per_page=100).items]
    types = [t.reference_type for t in accounts.get_transactions(VOBIZ_AUTH_ID).transactions]
    assert types == ["did_release", "did_rental"]


def test_insufficient_funds_raise_the_server_error_the_purchase_page_documents(
    sdk: vobiz.RestClient, live: Live
) -> None:
    live.control("PUT", f"wallets/vobiz/{VOBIZ_AUTH_ID}/INR", {"balance": "0"})
    number = sdk.phone_numbers.list_inventory(country="IN").items[0].e164
    with pytest.raises(VobizServerError) as failed:
        sdk.phone_numbers.purchase_from_inventory(number)
    assert failed.value.args == ("internal_server_error",)
    assert number in [n.e164 for n in sdk.phone_numbers.list_inventory(country="IN").items]
    assert sdk.accounts.get_transactions(VOBIZ_AUTH_ID).total == 1  # only the adjustment


def test_an_unknown_number_is_resource_not_found(sdk: vobiz.RestClient) -> None:
    with pytest.raises(ResourceNotFoundError) as unknown:
        sdk.phone_numbers.release("+14155550100")
    assert unknown.value.args == ("not_found",)
    number = sdk.phone_numbers.list_inventory(country="US").items[0].e164
    sdk.phone_numbers.purchase_from_inventory(number)
    with pytest.raises(ResourceNotFoundError):
        sdk.phone_numbers.purchase_from_inventory(number)  # no longer in inventory
    with pytest.raises(ResourceNotFoundError) as unassigned:
        sdk.phone_numbers.unassign_from_trunk(number)
    assert unassigned.value.args == ("Number not found",)


def test_wrong_credentials_are_an_authentication_error(sdk: vobiz.RestClient) -> None:
    with vobiz.RestClient(auth_id=VOBIZ_AUTH_ID, auth_token="wrong-token-123") as wrong:
        with pytest.raises(AuthenticationError) as refused:
            wrong.accounts.get()
        assert refused.value.args == ("unauthorized",)
        with pytest.raises(AuthenticationError):
            wrong.phone_numbers.list_inventory(country="IN")


def test_a_number_that_is_not_yours_is_forbidden(
    sdk: vobiz.RestClient, rival: vobiz.RestClient
) -> None:
    theirs = rival.phone_numbers.list_inventory(country="IN").items[0].e164
    rival.phone_numbers.purchase_from_inventory(theirs)
    with pytest.raises(ForbiddenError) as refused:
        sdk.phone_numbers.release(theirs)
    assert refused.value.args == ("forbidden",)
    with pytest.raises(ForbiddenError):
        sdk.accounts.get_transactions(OTHER_ID)  # another account's ledger
    with pytest.raises(ForbiddenError):
        sdk.accounts.get_balance(OTHER_ID, "INR")
    with pytest.raises(ResourceNotFoundError):
        sdk.phone_numbers.assign_to_trunk(theirs, TRUNK)  # documented: not in your account


def test_state_conflicts_raise_what_the_sdk_maps_their_status_to(sdk: vobiz.RestClient) -> None:
    number = sdk.phone_numbers.list_inventory(country="IN").items[0].e164
    sdk.phone_numbers.purchase_from_inventory(number)
    sdk.phone_numbers.assign_to_trunk(number, TRUNK)
    with pytest.raises(ValidationError) as twice:
        sdk.phone_numbers.assign_to_trunk(number, TRUNK)  # documented 400: unassign first
    assert twice.value.args == ("invalid request",)
    with pytest.raises(ValidationError):
        sdk.phone_numbers.assign_to_trunk(number, "trunk-uuid")  # the SDK README's placeholder
    sdk.phone_numbers.release(number)
    with pytest.raises(InvalidRequestError) as again:
        sdk.phone_numbers.release(number)
    assert again.value.args == ("number_pending_release",)
