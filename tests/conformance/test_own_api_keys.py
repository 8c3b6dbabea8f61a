"""Users manage only their own user API keys (IBM's rule, and docs/emulator.md's): through IBM's
IamIdentityV1 as a user of the Demo Account who is not its owner (the federated demo user), who
may manage their own keys but not the demo user's, while the account owner may manage both.
Regression test: every user of an account could read, rename, lock, disable and delete every
other user's API key."""

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import BearerTokenAuthenticator, IAMAuthenticator
from ibm_platform_services import IamIdentityV1
from ibm_platform_services.iam_identity_v1 import ApiKey, ApiKeyList

from iamconf import assert_v1_error, claims, passcode_grant, refresh_grant, unique


def _sdk(emu, authenticator):
    service = IamIdentityV1(authenticator=authenticator)
    service.set_service_url(emu.url)
    return service


@pytest.fixture
def world(start_emulator):
    """A private emulator; the owner's SDK, the demo user's key, and the federated (non-owner)
    user's SDK, logged in with their own new API key."""
    emu = start_emulator()
    owner = _sdk(emu, IAMAuthenticator(emu["apikey"], url=emu.url))
    account = claims(IAMAuthenticator(emu["apikey"], url=emu.url).token_manager.get_token())["account"]["bss"]
    owner_key = ApiKeyList.from_dict(owner.list_api_keys(account_id=account).get_result()).apikeys[0]
    # The federated user signs in with a passcode, scoped to the Demo Account, and makes a key.
    session = passcode_grant(emu.url, emu.new_passcode())
    token = refresh_grant(emu.url, session["refresh_token"], account=account)["access_token"]
    me = claims(token)
    assert me["account"]["bss"] == account and me["iam_id"] != owner_key.iam_id
    made = _sdk(emu, BearerTokenAuthenticator(token)).create_api_key(unique("sso-key"), me["iam_id"], account_id=account)
    member = _sdk(emu, IAMAuthenticator(made.get_result()["apikey"], url=emu.url))
    return {
        "emu": emu,
        "account": account,
        "owner": owner,
        "owner_key": owner_key,
        "member": member,
        "member_iam_id": me["iam_id"],
        "member_key_id": made.get_result()["id"],
    }


def _refused(call, *args, **kwargs):
    with pytest.raises(ApiException) as e:
        call(*args, **kwargs)
    assert e.value.status_code == 403, e.value
    body = assert_v1_error(e.value.http_response, 403)
    assert body["errors"][0]["code"] == "forbidden"
    return body


def test_a_member_cannot_touch_another_users_api_key(world):
    member, key = world["member"], world["owner_key"]
    _refused(member.get_api_key, key.id)
    _refused(member.update_api_key, key.id, "*", name="taken-over")
    _refused(member.lock_api_key, key.id)
    _refused(member.unlock_api_key, key.id)
    _refused(member.disable_api_key, key.id)
    _refused(member.enable_api_key, key.id)
    _refused(member.delete_api_key, key.id)
    # Nor see it listed, whichever way it asks.
    for kwargs in ({"iam_id": key.iam_id}, {"scope": "account"}):
        listed = ApiKeyList.from_dict(member.list_api_keys(account_id=world["account"], **kwargs).get_result())
        assert key.id not in [k.id for k in listed.apikeys], kwargs
    # The key is as it was.
    after = ApiKey.from_dict(world["owner"].get_api_key(key.id).get_result())
    assert (after.name, after.locked, after.disabled) == (key.name, key.locked, key.disabled)


def test_a_member_manages_their_own_api_key(world):
    member, key_id = world["member"], world["member_key_id"]
    got = member.get_api_key(key_id)
    assert ApiKey.from_dict(got.get_result()).iam_id == world["member_iam_id"]
    renamed = member.update_api_key(key_id, got.get_headers()["ETag"], name="mine")
    assert renamed.get_result()["name"] == "mine"
    assert member.lock_api_key(key_id).get_status_code() == 204
    assert member.unlock_api_key(key_id).get_status_code() == 204
    listed = ApiKeyList.from_dict(member.list_api_keys(account_id=world["account"]).get_result())
    assert [k.id for k in listed.apikeys] == [key_id]


def test_the_account_owner_manages_every_users_api_keys(world):
    owner, key_id = world["owner"], world["member_key_id"]
    got = owner.get_api_key(key_id)
    assert got.get_result()["iam_id"] == world["member_iam_id"]
    assert owner.disable_api_key(key_id).get_status_code() == 204
    assert owner.enable_api_key(key_id).get_status_code() == 204
    listed = ApiKeyList.from_dict(owner.list_api_keys(account_id=world["account"], scope="account").get_result())
    assert key_id in [k.id for k in listed.apikeys]
    assert owner.delete_api_key(key_id).get_status_code() == 204
