"""`--enforce-access`: the emulator's own APIs (IAM Identity, policies, access groups) decided
from the caller's policies, through IBM's own clients. Refused without a policy (IBM's 403),
allowed with one, through an access group, through the Public Access group, and for a trusted
profile (cr-token login) by its own; the account owner may do everything and users manage
their own API keys."""

import pytest
from ibm_cloud_sdk_core.authenticators import BearerTokenAuthenticator, ContainerAuthenticator, IAMAuthenticator
from ibm_platform_services import IamAccessGroupsV2, IamIdentityV1, IamPolicyManagementV1
from ibm_platform_services.iam_access_groups_v2 import AddGroupMembersRequestMembersItem, GroupsList
from ibm_platform_services.iam_identity_v1 import ServiceId, ServiceIdList, TrustedProfile
from ibm_platform_services.iam_policy_management_v1 import (
    Policy,
    PolicyCollection,
    PolicyResource,
    PolicyRole,
    PolicySubject,
    ResourceAttribute,
    SubjectAttribute,
)

from iamconf import assert_access_error, assert_v1_error, claims, passcode_grant, refresh_grant, sdk_error, unique

VIEWER = "crn:v1:bluemix:public:iam::::role:Viewer"
OPERATOR = "crn:v1:bluemix:public:iam::::role:Operator"
EDITOR = "crn:v1:bluemix:public:iam::::role:Editor"
ADMINISTRATOR = "crn:v1:bluemix:public:iam::::role:Administrator"
# The demo world's fixed ids (iam_emulator::seed::DEMO_*).
DEMO_SERVICE_ID = "ServiceId-5e0b3c0a-7d1e-4d5f-9a62-3f0c8e1b2a41"
DEMO_USER_KEY = "ApiKey-0d3f6a52-1c9b-4e7d-8a1f-2b4c6d8e0f11"
DEMO_VIEWER_POLICY = "8e5b2a3f-4c6d-4f7e-a091-b2c3d4e5f607"
DEMO_AUTHORIZATION_POLICY = "9f6c3b4a-5d7e-4a8f-b1a2-c3d4e5f60718"


class Clients:
    """IBM's three clients for one authenticator."""

    def __init__(self, emu, authenticator):
        def make(cls):
            service = cls(authenticator=authenticator)
            service.set_service_url(emu.url)
            return service

        self.iam = make(IamIdentityV1)
        self.pm = make(IamPolicyManagementV1)
        self.ag = make(IamAccessGroupsV2)
        token = getattr(authenticator, "bearer_token", None) or authenticator.token_manager.get_token()
        self.iam_id = claims(token)["iam_id"]


@pytest.fixture
def world(start_emulator, tmp_path):
    emu = start_emulator("--enforce-access")
    account = emu["accounts"][0]["id"]
    owner = Clients(emu, IAMAuthenticator(emu["apikey"], url=emu.url))
    service = Clients(emu, IAMAuthenticator(emu["service_apikey"], url=emu.url))
    token_file = tmp_path / "sa-token"
    token_file.write_text(emu.demo_sa_token())
    profile = Clients(
        emu, ContainerAuthenticator(cr_token_filename=str(token_file), iam_profile_id=emu["profile_id"], url=emu.url)
    )
    session = passcode_grant(emu.url, emu.new_passcode())
    sso_token = refresh_grant(emu.url, session["refresh_token"], account=account)["access_token"]
    member = Clients(emu, BearerTokenAuthenticator(sso_token))
    return {"emu": emu, "account": account, "owner": owner, "service": service, "profile": profile, "member": member}


def grant(world, subject, role, service, **more):
    """The owner grants `role` on `service` to `subject` (an iam_id or an access group id)."""
    name = "access_group_id" if subject.startswith("AccessGroupId-") else "iam_id"
    attributes = [
        ResourceAttribute(name="accountId", value=world["account"]),
        ResourceAttribute(name="serviceName", value=service),
    ] + [ResourceAttribute(name=k, value=v) for k, v in more.items()]
    resp = world["owner"].pm.create_policy(
        type="access",
        subjects=[PolicySubject(attributes=[SubjectAttribute(name=name, value=subject)])],
        roles=[PolicyRole(role_id=r) for r in ([role] if isinstance(role, str) else role)],
        resources=[PolicyResource(attributes=attributes)],
    )
    return Policy.from_dict(resp.get_result())


def refused(call, *args, **kwargs):
    """IAM Identity's 403 with IBM's reason."""
    e = sdk_error(call, *args, **kwargs)
    body = assert_v1_error(e.http_response, 403)
    err = body["errors"][0]
    assert err["code"] == "forbidden" and err["message"] == "You are not authorized to use this API."
    assert "was denied due to lack of access policy" in err["details"], body
    return err


def test_refused_without_a_policy(world):
    s = world["service"]
    err = refused(s.iam.create_service_id, world["account"], unique("denied"))
    assert "'iam-identity.serviceid.create'" in err["details"] and s.iam_id in err["details"]
    refused(s.iam.get_service_id, DEMO_SERVICE_ID)
    listed = ServiceIdList.from_dict(s.iam.list_service_ids(account_id=world["account"]).get_result())
    assert listed.serviceids == []
    e = sdk_error(s.ag.create_access_group, account_id=world["account"], name=unique("denied"))
    assert_access_error(e.http_response, 403, "forbidden")
    # Only the Public Access group, which is everyone's.
    groups = GroupsList.from_dict(s.ag.list_access_groups(account_id=world["account"]).get_result())
    assert [g.name for g in groups.groups] == ["Public Access"]
    e = sdk_error(grant_as, s, world["account"], "IBMid-someone", VIEWER, "kms")
    body = assert_access_error(e.http_response, 403, "insufficent_permissions")
    assert "iam.policy.create" in body["errors"][0]["more_info"]


def grant_as(clients, account, subject, role, service):
    """`clients` creates a policy (for the policy API's own checks)."""
    return clients.pm.create_policy(
        type="access",
        subjects=[PolicySubject(attributes=[SubjectAttribute(name="iam_id", value=subject)])],
        roles=[PolicyRole(role_id=role)],
        resources=[
            PolicyResource(
                attributes=[
                    ResourceAttribute(name="accountId", value=account),
                    ResourceAttribute(name="serviceName", value=service),
                ]
            )
        ],
    )


def test_allowed_with_a_policy_and_only_as_far_as_its_role(world):
    s, owner = world["service"], world["owner"]
    viewer = grant(world, s.iam_id, VIEWER, "iam-identity")
    listed = ServiceIdList.from_dict(s.iam.list_service_ids(account_id=world["account"]).get_result())
    assert DEMO_SERVICE_ID in [x.id for x in listed.serviceids]
    assert ServiceId.from_dict(s.iam.get_service_id(DEMO_SERVICE_ID).get_result()).id == DEMO_SERVICE_ID
    refused(s.iam.create_service_id, world["account"], unique("still-denied"))
    # Editor: create and update, but (IBM's action table) not delete.
    etag = owner.pm.get_policy(policy_id=viewer.id).get_headers()["ETag"]
    owner.pm.replace_policy(
        policy_id=viewer.id,
        if_match=etag,
        type="access",
        subjects=viewer.subjects,
        roles=[PolicyRole(role_id=EDITOR)],
        resources=viewer.resources,
    )
    made = s.iam.create_service_id(world["account"], unique("allowed")).get_result()
    got = s.iam.get_service_id(made["id"])
    s.iam.update_service_id(made["id"], got.get_headers()["ETag"], description="changed")
    err = refused(s.iam.delete_service_id, made["id"])
    assert "'iam-identity.serviceid.delete'" in err["details"]
    # A deleted policy grants nothing.
    owner.pm.delete_policy(policy_id=viewer.id)
    refused(s.iam.get_service_id, made["id"])
    assert owner.iam.delete_service_id(made["id"]).get_status_code() == 204


def test_a_policy_on_one_service_id_covers_that_one(world):
    s, owner = world["service"], world["owner"]
    other = owner.iam.create_service_id(world["account"], unique("other")).get_result()
    grant(world, s.iam_id, OPERATOR, "iam-identity", resourceType="serviceid", resource=other["id"])
    assert s.iam.get_service_id(other["id"]).get_status_code() == 200
    refused(s.iam.get_service_id, DEMO_SERVICE_ID)
    listed = ServiceIdList.from_dict(s.iam.list_service_ids(account_id=world["account"]).get_result())
    assert [x.id for x in listed.serviceids] == [other["id"]]
    # Its API keys are checked against it.
    key = s.iam.create_api_key(unique("k"), other["iam_id"], account_id=world["account"]).get_result()
    assert s.iam.delete_api_key(key["id"]).get_status_code() == 204
    assert s.iam.delete_service_id(other["id"]).get_status_code() == 204


def test_allowed_through_an_access_group(world):
    s, owner = world["service"], world["owner"]
    group = owner.ag.create_access_group(account_id=world["account"], name=unique("editors")).get_result()
    owner.ag.add_members_to_access_group(
        access_group_id=group["id"], members=[AddGroupMembersRequestMembersItem(iam_id=s.iam_id, type="service")]
    )
    grant(world, group["id"], EDITOR, "iam-groups")
    mine = s.ag.create_access_group(account_id=world["account"], name=unique("made-by-service")).get_result()
    s.ag.add_members_to_access_group(
        access_group_id=mine["id"], members=[AddGroupMembersRequestMembersItem(iam_id="IBMid-X1", type="user")]
    )
    assert s.ag.delete_access_group(access_group_id=mine["id"], force=True).get_status_code() == 204
    # Out of the group, out of its access.
    owner.ag.remove_member_from_access_group(access_group_id=group["id"], iam_id=s.iam_id)
    e = sdk_error(s.ag.create_access_group, account_id=world["account"], name=unique("denied"))
    assert_access_error(e.http_response, 403, "forbidden")


def test_the_public_access_group_grants_everyone(world):
    s = world["service"]
    grant(world, "AccessGroupId-PublicAccess", VIEWER, "iam-identity")
    listed = ServiceIdList.from_dict(s.iam.list_service_ids(account_id=world["account"]).get_result())
    assert DEMO_SERVICE_ID in [x.id for x in listed.serviceids]


def test_a_trusted_profile_by_its_own_policies(world):
    p, emu = world["profile"], world["emu"]
    assert p.iam_id == "iam-" + emu["profile_id"]
    refused(p.iam.get_profile, emu["profile_id"])
    grant(world, p.iam_id, VIEWER, "iam-identity")
    got = TrustedProfile.from_dict(p.iam.get_profile(emu["profile_id"]).get_result())
    assert got.id == emu["profile_id"]
    refused(p.iam.create_service_id, world["account"], unique("by-profile"))
    # And through a group it is in.
    group = world["owner"].ag.create_access_group(account_id=world["account"], name=unique("profiles")).get_result()
    world["owner"].ag.add_members_to_access_group(
        access_group_id=group["id"], members=[AddGroupMembersRequestMembersItem(iam_id=p.iam_id, type="profile")]
    )
    grant(world, group["id"], OPERATOR, "iam-identity", resourceType="serviceid", resource=DEMO_SERVICE_ID)
    assert p.iam.get_service_id(DEMO_SERVICE_ID).get_status_code() == 200


def test_users_manage_their_own_keys_and_administrators_everyones(world):
    m, owner = world["member"], world["owner"]
    # The demo world gives the federated user Viewer on IAM Identity: reading service IDs.
    assert m.iam.get_service_id(DEMO_SERVICE_ID).get_status_code() == 200
    key = m.iam.create_api_key(unique("own"), m.iam_id, account_id=world["account"]).get_result()
    got = m.iam.get_api_key(key["id"])
    m.iam.update_api_key(key["id"], got.get_headers()["ETag"], name="renamed")
    err = refused(m.iam.get_api_key, DEMO_USER_KEY)
    assert "'iam-identity.apikey.manage'" in err["details"]
    # Administrator on IAM Identity manages other users' API keys.
    current = owner.pm.get_policy(policy_id=DEMO_VIEWER_POLICY)
    policy = Policy.from_dict(current.get_result())
    owner.pm.replace_policy(
        policy_id=policy.id,
        if_match=current.get_headers()["ETag"],
        type="access",
        subjects=policy.subjects,
        roles=[PolicyRole(role_id=VIEWER), PolicyRole(role_id=ADMINISTRATOR)],
        resources=policy.resources,
    )
    assert m.iam.get_api_key(DEMO_USER_KEY).get_status_code() == 200
    # The owner may do anything, enforcement or not.
    assert owner.iam.lock_api_key(key["id"]).get_status_code() == 204


def test_policy_management_follows_the_roles_on_the_target(world):
    s, owner = world["service"], world["owner"]
    mine = grant(world, s.iam_id, ADMINISTRATOR, "kms")
    # Administrator on Key Protect assigns access to Key Protect, not elsewhere.
    made = Policy.from_dict(grant_as(s, world["account"], "IBMid-someone", VIEWER, "kms").get_result())
    assert made.created_by_id == s.iam_id
    e = sdk_error(grant_as, s, world["account"], "IBMid-someone", VIEWER, "iam-identity")
    assert_access_error(e.http_response, 403, "insufficent_permissions")
    # It reads its own policies and those on Key Protect (the demo world's authorization of
    # Cloud Object Storage to Key Protect too), not the Administrators group's.
    visible = PolicyCollection.from_dict(s.pm.list_policies(account_id=world["account"]).get_result())
    assert {p.id for p in visible.policies} == {mine.id, made.id, DEMO_AUTHORIZATION_POLICY}
    everything = PolicyCollection.from_dict(owner.pm.list_policies(account_id=world["account"]).get_result())
    assert len(everything.policies) > 2
    assert s.pm.delete_policy(policy_id=made.id).get_status_code() == 204
