"""`--seed FILE`: a custom world (the example from docs/emulator.md, "Seed format") as IBM's
clients see it: the ready line, tokens, service IDs, API keys, resource groups, the trusted
profile with its links and identities, and its access groups, custom role and policies."""

import json

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import (
    ContainerAuthenticator,
    IAMAssumeAuthenticator,
    IAMAuthenticator,
    VPCInstanceAuthenticator,
)
from ibm_platform_services import IamAccessGroupsV2, IamIdentityV1, IamPolicyManagementV1, ResourceManagerV2
from ibm_platform_services.iam_access_groups_v2 import GroupMembersList, GroupsList
from ibm_platform_services.iam_policy_management_v1 import PolicyCollection, RoleCollection
from ibm_platform_services.iam_identity_v1 import ApiKey, ProfileIdentitiesResponse, ProfileLinkList, ServiceId
from ibm_platform_services.resource_manager_v2 import ResourceGroupList

from iamconf import BX, GRANT_PASSWORD, apikey_grant, assert_token_error, claims, post_token, sdk_bearer

SEED = {
    "accounts": [
        {"id": "acc-main", "name": "Main", "ims_account": "999", "owner": "ci@example.com"},
        {"id": "acc-side", "name": "Side"},
    ],
    "users": [
        {
            "username": "ci@example.com",
            "email": "ci@example.com",
            "iam_id": "IBMid-CI00000001",
            "given_name": "CI",
            "family_name": "Bot",
            "password": "ci-pass",
            "accounts": ["acc-main", "acc-side"],
            "ims_user_id": 4242,
        },
        {"username": "fed@example.com", "password": "idp-pass", "federated": True, "accounts": ["acc-side"]},
    ],
    "service_ids": [
        {
            "id": "ServiceId-00000000-0000-4000-8000-000000000001",
            "account_id": "acc-main",
            "name": "deployer",
            "description": "CI deployer",
            "locked": True,
            "unique_instance_crns": [],
        }
    ],
    "api_keys": [
        {"name": "ci-key", "owner": "ci@example.com", "account_id": "acc-main", "apikey": "ci-fixed-api-key-value-000000000000000"},
        {
            "id": "ApiKey-00000000-0000-4000-8000-000000000002",
            "name": "deploy-key",
            "description": "deployer's key",
            "owner": "deployer",
            "apikey": "deployer-fixed-key-value-00000000000000",
            "locked": False,
            "disabled": False,
            "store_value": True,
        },
    ],
    "resource_groups": [
        {"account_id": "acc-main", "name": "Default", "default": True},
        {"id": "0123456789abcdef0123456789abcdef", "account_id": "acc-main", "name": "ci"},
    ],
    "profiles": [
        {
            "account_id": "acc-main",
            "name": "ci-workload",
            "description": "CI jobs",
            "links": [
                {
                    "name": "runner",
                    "cr_type": "IKS_SA",
                    "link": {
                        "crn": "crn:v1:bluemix:public:containers-kubernetes:us-south:a/acc-main:ci-cluster::",
                        "namespace": "ci",
                        "name": "runner",
                    },
                },
                {"cr_type": "VSI", "link": {"crn": "crn:v1:bluemix:public:is:us-south-1:a/acc-main::instance:0717_ci"}},
            ],
            "identities": [
                {"type": "serviceid", "identifier": "deployer"},
                {"type": "user", "identifier": "ci@example.com", "accounts": ["acc-main"]},
            ],
        }
    ],
    "vpc_instance_crn": "crn:v1:bluemix:public:is:us-south-1:a/acc-main::instance:0717_ci",
    "access_groups": [
        {
            "account_id": "acc-main",
            "name": "deployers",
            "description": "CI deployers",
            "members": ["ci@example.com", "deployer", "ci-workload"],
        }
    ],
    "custom_roles": [
        {
            "account_id": "acc-main",
            "name": "KeyLister",
            "display_name": "Key lister",
            "service_name": "kms",
            "actions": ["kms.secrets.list"],
        }
    ],
    "policies": [
        {
            "account_id": "acc-main",
            "subject": {"access_group_id": "deployers"},
            "roles": ["Editor", "Service ID creator"],
            "resource": {"service_group_id": "IAM"},
        },
        {
            "account_id": "acc-main",
            "subject": {"iam_id": "ci@example.com"},
            "roles": ["Key lister", "Reader"],
            "resource": {"serviceName": "kms"},
        },
        {
            "account_id": "acc-main",
            "type": "authorization",
            "subject": {"serviceName": "cloud-object-storage"},
            "roles": ["Reader"],
            "resource": {"serviceName": "kms"},
        },
    ],
    "enforce_access": False,
}


@pytest.fixture
def seeded(start_emulator, tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED))
    return start_emulator("--seed", str(path))


def test_seeded_world(seeded):
    emu = seeded
    assert emu["username"] == "ci@example.com" and emu["password"] == "ci-pass"
    assert emu["sso_user"] == "fed@example.com"
    assert emu["apikey"] == "ci-fixed-api-key-value-000000000000000"
    assert emu["accounts"] == [{"id": "acc-main", "name": "Main"}, {"id": "acc-side", "name": "Side"}]

    body = apikey_grant(emu.url, emu["apikey"])
    c = claims(body["access_token"])
    assert c["iam_id"] == "IBMid-CI00000001"
    assert c["account"]["bss"] == "acc-main" and str(c["account"]["ims"]) == "999"
    assert c["given_name"] == "CI" and c["family_name"] == "Bot"
    assert body["ims_user_id"] == 4242

    iam = IamIdentityV1(authenticator=IAMAuthenticator(emu["apikey"], url=emu.url))
    iam.set_service_url(emu.url)
    sid = iam.get_service_id("ServiceId-00000000-0000-4000-8000-000000000001").get_result()
    model = ServiceId.from_dict(sid)
    assert model.name == "deployer" and model.description == "CI deployer" and model.locked is True
    assert sid["created_at"] == "2024-01-15T10:00+0000"
    with pytest.raises(ApiException) as exc_info:
        iam.delete_service_id(sid["id"])
    assert exc_info.value.status_code in (400, 403, 409, 423)

    key = iam.get_api_key("ApiKey-00000000-0000-4000-8000-000000000002").get_result()
    assert ApiKey.from_dict(key).iam_id == sid["iam_id"]
    assert key["apikey"] == "deployer-fixed-key-value-00000000000000", "store_value: true keeps the value retrievable"
    c = claims(apikey_grant(emu.url, key["apikey"])["access_token"])
    assert c["sub_type"] == "ServiceId" and c["iam_id"] == sid["iam_id"]

    rm = ResourceManagerV2(authenticator=IAMAuthenticator(emu["apikey"], url=emu.url))
    rm.set_service_url(emu.url)
    groups = ResourceGroupList.from_dict(rm.list_resource_groups(account_id="acc-main").get_result()).resources
    assert sorted((g.name, bool(g.default)) for g in groups) == [("Default", True), ("ci", False)]
    assert [g.id for g in groups if g.name == "ci"] == ["0123456789abcdef0123456789abcdef"]

    r = post_token(emu.url, {"grant_type": GRANT_PASSWORD, "username": "fed@example.com", "password": "idp-pass"}, auth=BX)
    assert_token_error(r, 400, "BXNIM0608E")


def test_seeded_trusted_profile(seeded, tmp_path):
    emu = seeded
    assert emu["profile_name"] == "ci-workload" and emu["profile_id"].startswith("Profile-")
    assert emu["vpc_instance_crn"] == SEED["vpc_instance_crn"]
    assert (emu["iks_cluster_crn"], emu["iks_namespace"], emu["iks_service_account"]) == (
        "crn:v1:bluemix:public:containers-kubernetes:us-south:a/acc-main:ci-cluster::",
        "ci",
        "runner",
    )
    iam = IamIdentityV1(authenticator=IAMAuthenticator(emu["apikey"], url=emu.url))
    iam.set_service_url(emu.url)
    links = ProfileLinkList.from_dict(iam.list_links(profile_id=emu["profile_id"]).get_result()).links
    assert [(l.cr_type, l.name) for l in links] == [("IKS_SA", "runner"), ("VSI", None)]
    identities = ProfileIdentitiesResponse.from_dict(
        iam.get_profile_identities(profile_id=emu["profile_id"]).get_result()
    ).identities
    assert [(i.type, i.iam_id) for i in identities] == [
        ("serviceid", "iam-ServiceId-00000000-0000-4000-8000-000000000001"),
        ("user", "IBMid-CI00000001"),
    ]

    token_file = tmp_path / "sa-token"
    token_file.write_text(emu.demo_sa_token())
    auth = ContainerAuthenticator(cr_token_filename=str(token_file), iam_profile_name="ci-workload", url=emu.url)
    c = claims(sdk_bearer(auth))
    assert c["sub"] == emu["profile_id"] and c["account"]["bss"] == "acc-main"
    vpc = VPCInstanceAuthenticator(url=emu.url, service_version="2025-08-26")
    assert claims(sdk_bearer(vpc))["authn"]["crn"] == SEED["vpc_instance_crn"]
    # The deployer's key (the seed's service ID is trusted) assumes the profile.
    assume = IAMAssumeAuthenticator("deployer-fixed-key-value-00000000000000", iam_profile_id=emu["profile_id"], url=emu.url)
    assert claims(sdk_bearer(assume))["authn"]["sub_type"] == "ServiceId"


def test_seeded_access(seeded):
    emu = seeded
    ag = IamAccessGroupsV2(authenticator=IAMAuthenticator(emu["apikey"], url=emu.url))
    ag.set_service_url(emu.url)
    pm = IamPolicyManagementV1(authenticator=IAMAuthenticator(emu["apikey"], url=emu.url))
    pm.set_service_url(emu.url)
    groups = GroupsList.from_dict(ag.list_access_groups(account_id="acc-main", hide_public_access=True).get_result())
    assert [(g.name, g.description) for g in groups.groups] == [("deployers", "CI deployers")]
    members = GroupMembersList.from_dict(ag.list_access_group_members(access_group_id=groups.groups[0].id).get_result())
    assert [(m.iam_id, m.type) for m in members.members] == [
        ("IBMid-CI00000001", "user"),
        ("iam-ServiceId-00000000-0000-4000-8000-000000000001", "service"),
        ("iam-" + emu["profile_id"], "profile"),
    ]
    roles = RoleCollection.from_dict(pm.list_roles(account_id="acc-main", service_name="kms").get_result())
    assert [(r.name, r.crn) for r in roles.custom_roles] == [
        ("KeyLister", "crn:v1:bluemix:public:iam::a/acc-main::customRole:KeyLister")
    ]
    policies = PolicyCollection.from_dict(pm.list_policies(account_id="acc-main").get_result()).policies
    assert [(p.type, [r.display_name for r in p.roles]) for p in policies] == [
        ("access", ["Editor", "Service ID creator"]),
        ("access", ["Key lister", "Reader"]),
        ("authorization", ["Reader"]),
    ]
    assert policies[0].subjects[0].attributes[0].value == groups.groups[0].id
    assert policies[0].created_at.year == 2024
