"""Bird's platform API (`https://{region}.platform.bird.com/v1/...`, what the official
`messagebird-sdk` calls): the second surface of the Bird provider, over the same world as
api.bird.com (DESIGN.md, decision 11): its available numbers are Bird's stock, and a number
one API holds (or api.bird.com has reserved) the other cannot order.

Where a platform request goes, by file:

| Module | Role |
|---|---|
| `auth.py` | `Authorization: Bearer bk_{region}_...` (or a user OAuth token) -> a principal |
| `handlers.py` | one handler per operationId of specs/bird-platform.yaml |
| `idempotency.py` | `Idempotency-Key`: a replay answers the first response again |
| `backend.py` | the platform tenants, their due effects, and the use cases by resource: |
| `available.py`, `orders.py`, `numbers.py` | numbers on sale, orders, held numbers |
| `whatsapp.py`, `voice.py`, `senders.py`, `wallets.py` | what a held number becomes |
| `pages.py` | cursor pages (`limit`, `starting_after`, `ending_before`) |
| `lifecycles.py` | ownership registration and WhatsApp statuses, read against the clock |
| `models.py` | the platform's state (a field of BirdState: one dump, one world) |
| `ids.py` | typed ids (`nda_` + 26 Crockford base32), derived or drawn |
| `wire.py` | the JSON shapes of the spec (snake_case, decimal strings, RFC 3339) |
| `errors.py` | the `{"error": {type, code, ...}}` envelope and its one table of codes |
| `seed.py` | the platform's settings from the scenario (`bird.platform`) |
| `snapshot.py` | what a state dump's platform part must hold together |
"""
