"""The control plane acts on exactly the tenant a request names: a Bird access key (or a
tenant id) stands for its tenant, a workspace id for the one workspace of that id; when
two tenants use the same workspace id, naming it is refused (409 ambiguous-tenant)
instead of acting on both."""

from __future__ import annotations

import httpx

from tests.support.credentials import bird_key

SHARED = "5aa4ed00-0000-4000-8000-0000000000ee"
ALICE, BOB = bird_key("alice"), bird_key("bob")
ALICE_KEY = ALICE["Authorization"].split(" ", 1)[1]


async def buy(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    org = "0a11ce00-0000-4000-8000-000000000001"
    stock = await client.get(
        f"/organizations/{org}/numbers-stock-items", params={"countryCodes": "US"}, headers=headers
    )
    item = next(i["id"] for i in stock.json()["results"] if not i["backOrderRequired"])
    path = f"/workspaces/{SHARED}/numbers-long-code"
    bought = await client.post(path, json={"numberStockItemIds": [item]}, headers=headers)
    assert bought.status_code == 201
    return str(bought.json()["results"][0]["id"])


async def test_a_shared_workspace_id_is_refused_and_an_access_key_is_exact(
    client: httpx.AsyncClient,
) -> None:
    alices, bobs = await buy(client, ALICE), await buy(client, BOB)
    ambiguous = {"provider": "bird", "tenant": SHARED}
    refused = await client.post("/_mock/reset", json=ambiguous)
    assert (refused.status_code, refused.json()["code"]) == (409, "ambiguous-tenant")
    assert "access key" in refused.json()["detail"]
    dump = await client.get("/_mock/state", params=ambiguous)
    assert (dump.status_code, dump.json()["code"]) == (409, "ambiguous-tenant")

    # Both still hold their numbers: the refused reset changed nothing.
    numbers = f"/workspaces/{SHARED}/numbers-long-code"
    assert [n["id"] for n in (await client.get(numbers, headers=ALICE)).json()["results"]] == [
        alices
    ]
    mine = await client.get("/_mock/state", params={"provider": "bird", "tenant": ALICE_KEY})
    [tenant] = mine.json()["bird"]["tenants"]
    assert [w["id"] for w in tenant["workspaces"]] == [SHARED]

    reset = await client.post("/_mock/reset", json={"provider": "bird", "tenant": ALICE_KEY})
    assert reset.status_code == 200
    gone = await client.get("/_mock/state", params={"provider": "bird", "tenant": ALICE_KEY})
    assert gone.status_code == 404  # an ad-hoc tenant is forgotten with its last workspace
    assert [n["id"] for n in (await client.get(numbers, headers=BOB)).json()["results"]] == [bobs]
    # Now bob alone has that workspace id: it names his workspace.
    again = await client.post("/_mock/reset", json=ambiguous)
    assert again.status_code == 200
    assert (await client.get(numbers, headers=BOB)).json()["results"] == []


async def test_a_journal_filter_and_a_reset_of_faults_name_exactly_one_tenant(
    client: httpx.AsyncClient,
) -> None:
    await buy(client, ALICE)
    await buy(client, BOB)
    ambiguous = await client.get("/_mock/journal", params={"provider": "bird", "tenant": SHARED})
    assert (ambiguous.status_code, ambiguous.json()["code"]) == (409, "ambiguous-tenant")
    alices = await client.get("/_mock/journal", params={"provider": "bird", "tenant": ALICE_KEY})
    entries = alices.json()["entries"]
    # Alice's search (recorded under her organization) and her buy, none of bob's.
    assert [e["operationId"] for e in entries] == [
        "createWorkspaceLongCodeNumbers",
        "listOrganizationNumbersStockItems",
    ]
    # A fault scoped to her workspace id goes with her reset by key.
    fault = {"provider": "bird", "tenant": SHARED, "status": 503}
    assert (await client.post("/_mock/faults", json=fault)).status_code == 201
    reset = await client.post("/_mock/reset", json={"provider": "bird", "tenant": ALICE_KEY})
    assert reset.status_code == 200
    assert (await client.get("/_mock/faults")).json()["faults"] == []
    # Once she is forgotten, her key still finds her requests in the journal.
    after = await client.get("/_mock/journal", params={"provider": "bird", "tenant": ALICE_KEY})
    assert len(after.json()["entries"]) == 2
