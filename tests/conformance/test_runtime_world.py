"""A world built at runtime through the admin API (POST /emulator/accounts, /users,
/resource-groups, /apikeys), as IBM's SDKs see it: a key added for an added user authenticates
IBM's IAMAuthenticator, IBM's ResourceManagerV2 lists the added account's groups, IBM's IAM
Identity models parse the added key (with its history), a federated user gets in with a
passcode only; a reset takes all of it away. Each test runs its own emulator."""

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_platform_services import IamIdentityV1, ResourceManagerV2
from ibm_platform_services.iam_identity_v1 import ApiKey
from ibm_platform_services.resource_manager_v2 import ResourceGroupList

from iamconf import (
    GRANT_PASSWORD,
    assert_token_error,
    claims,
    passcode_grant,
    post_token,
    sdk_bearer,
)


def _add(emu, what, **body):
    r = emu.admin("POST", f"/emulator/{what}", json=body)
    assert r.status_code == 201, f"POST /emulator/{what} {body}: {r.status_code} {r.text}"
    return r.json()


def _service(cls, emu, apikey):
    service = cls(authenticator=IAMAuthenticator(apikey, url=emu.url))
    service.set_service_url(emu.url)
    return service


def test_a_world_added_at_runtime_serves_ibms_sdks(start_emulator):
    emu = start_emulator()
    _add(emu, "accounts", id="acc-sdk", name="SDK Account")
    user = _add(emu, "users", username="sdk@example.com", password="sdk-pass", accounts=["acc-sdk"])
    fed = _add(emu, "users", username="fed@example.com", password="idp-pass", federated=True, accounts=["acc-sdk"])
    _add(emu, "resource-groups", account_id="acc-sdk", name="sdk-rg")
    key = _add(emu, "apikeys", name="sdk-key", owner="sdk@example.com")["apikey"]

    token = sdk_bearer(IAMAuthenticator(key, url=emu.url))
    assert (claims(token)["iam_id"], claims(token)["account"]["bss"]) == (user["iam_id"], "acc-sdk")
    groups = _service(ResourceManagerV2, emu, key).list_resource_groups(account_id="acc-sdk").get_result()
    model = ResourceGroupList.from_dict(groups)
    assert sorted((g.name, g.default) for g in model.resources) == [("Default", True), ("sdk-rg", False)]
    iam = _service(IamIdentityV1, emu, key)
    details = iam.get_api_keys_details(iam_api_key=key, include_history=True).get_result()
    parsed = ApiKey.from_dict(details)
    assert (parsed.name, parsed.account_id, parsed.iam_id) == ("sdk-key", "acc-sdk", user["iam_id"])
    assert parsed.history[0].action == "create"
    # The first member owns the account: it may create service IDs there.
    created = iam.create_service_id(account_id="acc-sdk", name="made-in-an-added-account")
    assert created.get_status_code() == 201

    # The federated user: refused the password grant, in with a one-time passcode.
    r = post_token(emu.url, {"grant_type": GRANT_PASSWORD, "username": "fed@example.com", "password": "idp-pass"})
    assert_token_error(r, 400, "BXNIM0608E")
    code = emu.new_passcode("fed@example.com")
    assert claims(passcode_grant(emu.url, code)["access_token"])["iam_id"] == fed["iam_id"]

    # A reset takes the added world away.
    assert emu.admin("POST", "/emulator/reset").status_code == 200
    with pytest.raises(ApiException) as info:
        sdk_bearer(IAMAuthenticator(key, url=emu.url))
    assert info.value.status_code == 400
    assert info.value.http_response.json()["errorCode"] == "BXNIM0415E"
