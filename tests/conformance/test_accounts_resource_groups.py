"""Accounts (GET /coe/v2/accounts, IBM's envelope) and resource groups through IBM's
ResourceManagerV2 client, parsed with the SDK's ResourceGroupList model."""

import requests
from ibm_cloud_sdk_core.authenticators import BearerTokenAuthenticator, IAMAuthenticator
from ibm_platform_services import ResourceManagerV2
from ibm_platform_services.resource_manager_v2 import ResourceGroupList

from iamconf import HTTP_TIMEOUT, bearer, claims, password_grant, refresh_grant, user_accounts, user_token


def test_accounts_envelope(emu):
    token = user_token(emu)
    r = requests.get(emu.url + "/coe/v2/accounts", headers=bearer(token), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "next_url" in body
    assert body["total_results"] == len(body["resources"])
    assert len(body["resources"]) >= 2, "the demo password user belongs to several accounts"
    ready = {a["id"]: a["name"] for a in emu["accounts"]}
    for res in body["resources"]:
        md, ent = res["metadata"], res["entity"]
        for key in ("guid", "url", "created_at", "updated_at"):
            assert md.get(key), f"metadata.{key} missing: {res}"
        for key in ("name", "type", "state", "owner", "owner_userid", "owner_iam_id"):
            assert key in ent, f"entity.{key} missing: {res}"
        assert md["guid"] in ready, f"account {md['guid']} is not in the ready line's accounts"
        assert ent["name"] == ready[md["guid"]]
        for link in md.get("linked_accounts") or []:
            assert link["origin"] == "IMS" and str(link["id"])
    # The token's account is one of them; one of the user's accounts has a linked IMS account.
    accounts = user_accounts(emu, token)
    assert claims(token)["account"]["bss"] in [guid for guid, _, _ in accounts]
    assert any(ims for _, ims, _ in accounts), "no account with a linked IMS (classic infrastructure) id"


def test_accounts_require_a_token(emu):
    r = requests.get(emu.url + "/coe/v2/accounts", timeout=HTTP_TIMEOUT)
    assert r.status_code == 401


def _check_groups(result, guid, name, seen_ids):
    groups = ResourceGroupList.from_dict(result).resources
    assert len(groups) >= 2, f"account {name} needs Default and at least one more group"
    defaults = [g for g in groups if g.default]
    assert len(defaults) == 1, f"account {name}: exactly one default group, got {[g.name for g in defaults]}"
    assert defaults[0].name == "Default" and defaults[0].default is True
    for g, raw in zip(groups, result["resources"]):
        assert g.account_id == guid
        assert g.state == "ACTIVE"
        assert g.id and g.crn and g.quota_id
        assert g.id not in seen_ids, "resource group ids are unique"
        seen_ids.add(g.id)
        assert raw.get("default", False) is (g.name == "Default")
        assert g.created_at is not None and g.updated_at is not None


def test_resource_manager_lists_resource_groups(emu):
    # The SDK as users configure it: an IAMAuthenticator with the API key (its account).
    service = ResourceManagerV2(authenticator=IAMAuthenticator(emu["apikey"], url=emu.url))
    service.set_service_url(emu.url)
    home = claims(user_token(emu))["account"]["bss"]
    seen_ids = set()
    resp = service.list_resource_groups(account_id=home)
    assert resp.get_status_code() == 200
    _check_groups(resp.get_result(), home, "home", seen_ids)

    # Every other account of the user, with a token re-scoped to it (as the CLI does).
    login = password_grant(emu.url, emu["username"], emu["password"])
    accounts = user_accounts(emu, login["access_token"])
    assert len(accounts) >= 2
    for guid, _, name in accounts:
        if guid == home:
            continue
        scoped = refresh_grant(emu.url, login["refresh_token"], account=guid)
        assert claims(scoped["access_token"])["account"]["bss"] == guid
        service = ResourceManagerV2(authenticator=BearerTokenAuthenticator(scoped["access_token"]))
        service.set_service_url(emu.url)
        resp = service.list_resource_groups(account_id=guid)
        assert resp.get_status_code() == 200
        _check_groups(resp.get_result(), guid, name, seen_ids)
