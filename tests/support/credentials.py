"""The default scenario's documented credentials and ids (README.md, "Default credentials")."""

BIRD_ACCESS_KEY = "test_bird_acme_access_key_0000000"
BIRD_USER_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLWFjbWUiLCJpc3MiOiJudW1iZXJzLW1vY2sifQ"
    ".bW9jay1zaWduYXR1cmU"
)
BIRD_ORG = "d0b85ccc-b63a-4e81-b698-c359d77d250e"
BIRD_WS = "d386a801-ee8d-4aba-a7e4-78671bd3b11e"
BIRD = {"Authorization": f"AccessKey {BIRD_ACCESS_KEY}"}
BIRD_USER = {"Authorization": f"Bearer {BIRD_USER_TOKEN}"}

VOBIZ_AUTH_ID = "MA_ACME0001"
VOBIZ_TOKEN = "test_vobiz_acme_auth_token_00000"
VOBIZ = {"X-Auth-ID": VOBIZ_AUTH_ID, "X-Auth-Token": VOBIZ_TOKEN}

STOCK = f"/organizations/{BIRD_ORG}/numbers-stock-items"
LONG_CODES = f"/workspaces/{BIRD_WS}/numbers-long-code"
VOBIZ_API = "/api/v1/messaging"
# The Vobiz paths the tests call (the spec's, under VOBIZ_API)
AVAILABILITY = f"{VOBIZ_API}/numbers/whatsapp/availability"
ORDERS = f"{VOBIZ_API}/numbers/whatsapp/orders"
VERIFY = f"{VOBIZ_API}/numbers/whatsapp/bring-your-own/verify"
CONFIRM = f"{VOBIZ_API}/numbers/whatsapp/bring-your-own/confirm"
CHANNELS = f"{VOBIZ_API}/channels/whatsapp"
# The account and phone-number API's (specs/vobiz-account.yaml), at the SDK's spelling
ACCOUNT = f"/api/v1/account/{VOBIZ_AUTH_ID}"
BALANCE = f"{ACCOUNT}/balance/INR"
INVENTORY = f"{ACCOUNT}/inventory/numbers"
PURCHASE = f"{ACCOUNT}/numbers/purchase-from-inventory"
OWNED = f"{ACCOUNT}/numbers"
TRANSACTIONS = f"{ACCOUNT}/transactions"
CONCURRENCY = f"{ACCOUNT}/concurrency"
AUTH_ME = "/api/v1/auth/me"
# The default scenario's trunk and application of MA_ACME0001 (the docs' example ids)
TRUNK = "e3e55a78-1234-5678-90ab-cdef12345678"
APPLICATION = "12345678901234567"


def bird_key(name: str) -> dict[str, str]:
    """Headers of an ad-hoc Bird tenant: any well-formed key is its own isolated tenant."""
    return {"Authorization": f"AccessKey adhoc_{name}_key_000000"}


def vobiz_account(suffix: str) -> dict[str, str]:
    """Headers of an ad-hoc Vobiz account (auth id MA_ + 8 upper-case letters or digits)."""
    auth_id = f"MA_{suffix.upper():0<8}"[:11]
    return {"X-Auth-ID": auth_id, "X-Auth-Token": f"token_{suffix}_00000000"}


# A Vobiz WhatsApp number order the default scenario can fill (Karnataka stock, INR wallet),
# and the number a bring-your-own-number verification is started for.
ORDER = {"country_code": "IN", "region": "KA", "number_type": "local", "currency": "INR"}
PHONE = "+14155550123"
