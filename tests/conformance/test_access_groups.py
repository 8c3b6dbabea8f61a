"""IAM Access Groups through IBM's own client, ibm_platform_services.IamAccessGroupsV2: groups
(create, get, update under ETag, list with IBM's parameters and pager, delete), members (users,
service IDs, trusted profiles: add, list, check, remove one, many, from all groups, add to
many), every account's Public Access group, and the policies of a group through
IamPolicyManagementV1. Every answer is parsed with the SDK's own models."""

import random

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_platform_services import IamAccessGroupsV2, IamIdentityV1, IamPolicyManagementV1
from ibm_platform_services.iam_access_groups_v2 import (
    AccessGroupMembersPager,
    AccessGroupsPager,
    AddGroupMembersRequestMembersItem,
    AddGroupMembersResponse,
    AddMembershipMultipleGroupsResponse,
    DeleteFromAllGroupsResponse,
    DeleteGroupBulkMembersResponse,
    Group,
    GroupMembersList,
    GroupsList,
)
from ibm_platform_services.iam_policy_management_v1 import (
    Policy,
    PolicyCollection,
    PolicyResource,
    PolicyRole,
    PolicySubject,
    ResourceAttribute,
    SubjectAttribute,
)

from iamconf import assert_access_error, claims, sdk_error, unique, user_token

PUBLIC = "AccessGroupId-PublicAccess"


@pytest.fixture(scope="module")
def clients(emu):
    def make(cls):
        service = cls(authenticator=IAMAuthenticator(emu["apikey"], url=emu.url))
        service.set_service_url(emu.url)
        return service

    return make(IamAccessGroupsV2), make(IamPolicyManagementV1), make(IamIdentityV1)


@pytest.fixture(scope="module")
def ag(clients):
    return clients[0]


@pytest.fixture(scope="module")
def account_id(emu):
    return claims(user_token(emu))["account"]["bss"]


@pytest.fixture
def group(ag, account_id):
    g = Group.from_dict(ag.create_access_group(account_id=account_id, name=unique("conf-group")).get_result())
    yield g
    try:
        ag.delete_access_group(access_group_id=g.id, force=True)
    except ApiException as e:
        assert e.status_code == 404, e  # the test deleted it itself


def members(*pairs):
    return [AddGroupMembersRequestMembersItem(iam_id=i, type=t) for i, t in pairs]


def test_group_lifecycle(ag, account_id):
    """IBM's integration test of access groups, step by step."""
    name = "SDK Test Group - Python " + str(random.randint(0, 99999))
    created = ag.create_access_group(account_id=account_id, name=name)
    assert created.get_status_code() == 201
    g = Group.from_dict(created.get_result())
    assert (g.account_id, g.name) == (account_id, name)
    assert g.id.startswith("AccessGroupId-") and g.href.endswith(g.id)

    got = ag.get_access_group(access_group_id=g.id)
    assert Group.from_dict(got.get_result()).description == ""
    etag = got.get_headers()["ETag"]
    updated = ag.update_access_group(access_group_id=g.id, if_match=etag, description="For the conformance suite.")
    assert updated.get_status_code() == 200
    assert Group.from_dict(updated.get_result()).description == "For the conformance suite."
    e = sdk_error(ag.update_access_group, access_group_id=g.id, if_match=etag, name="late")
    assert_access_error(e.http_response, 412)

    listed = GroupsList.from_dict(ag.list_access_groups(account_id=account_id, hide_public_access=True).get_result())
    assert g.id in [x.id for x in listed.groups]
    assert PUBLIC not in [x.id for x in listed.groups]
    everything = AccessGroupsPager(client=ag, account_id=account_id, hide_public_access=True, limit=1).get_all()
    assert [x["id"] for x in everything] == [x.id for x in listed.groups]
    found = ag.list_access_groups(account_id=account_id, search="name:" + name[:16], show_crn=True, show_federated=True)
    shown = [x for x in found.get_result()["groups"] if x["id"] == g.id][0]
    assert shown["is_federated"] is False and shown["crn"].endswith(g.id)

    # Names are unique in the account, ignoring case.
    e = sdk_error(ag.create_access_group, account_id=account_id, name=name.upper())
    assert_access_error(e.http_response, 409)
    assert ag.delete_access_group(access_group_id=g.id).get_status_code() == 204
    e = sdk_error(ag.get_access_group, access_group_id=g.id)
    assert_access_error(e.http_response, 404)


def test_members_of_every_kind(emu, ag, clients, account_id, group):
    iam = clients[2]
    sid = iam.create_service_id(account_id, unique("conf-member")).get_result()
    user = "IBMid-" + str(random.randint(0, 99999))
    profile = "iam-" + emu["profile_id"]
    resp = ag.add_members_to_access_group(
        access_group_id=group.id,
        members=members((user, "user"), (sid["iam_id"], "service"), (profile, "profile")),
    )
    assert resp.get_status_code() == 207
    added = AddGroupMembersResponse.from_dict(resp.get_result())
    assert [(m.iam_id, m.status_code) for m in added.members] == [(user, 200), (sid["iam_id"], 200), (profile, 200)]

    listed = GroupMembersList.from_dict(
        ag.list_access_group_members(access_group_id=group.id, verbose=True).get_result()
    )
    assert listed.total_count == 3
    by_id = {m.iam_id: m for m in listed.members}
    assert by_id[sid["iam_id"]].type == "service" and by_id[sid["iam_id"]].name == sid["name"]
    assert by_id[profile].type == "profile" and by_id[profile].name == emu["profile_name"]
    assert by_id[user].membership_type == "static"
    only_users = ag.list_access_group_members(access_group_id=group.id, type="user").get_result()
    assert [m["iam_id"] for m in only_users["members"]] == [user]
    paged = AccessGroupMembersPager(client=ag, access_group_id=group.id, limit=2).get_all()
    assert len(paged) == 3

    assert ag.is_member_of_access_group(access_group_id=group.id, iam_id=user).get_status_code() == 204
    e = sdk_error(ag.is_member_of_access_group, access_group_id=group.id, iam_id="IBMid-NOT-A-MEMBER")
    assert e.status_code == 404

    assert ag.remove_member_from_access_group(access_group_id=group.id, iam_id=user).get_status_code() == 204
    e = sdk_error(ag.remove_member_from_access_group, access_group_id=group.id, iam_id=user)
    assert_access_error(e.http_response, 404)
    bulk = ag.remove_members_from_access_group(access_group_id=group.id, members=[sid["iam_id"], user])
    assert bulk.get_status_code() == 207
    result = DeleteGroupBulkMembersResponse.from_dict(bulk.get_result())
    assert result.access_group_id == group.id
    assert [(m.iam_id, m.status_code) for m in result.members] == [(sid["iam_id"], 204), (user, 404)]
    iam.delete_service_id(sid["id"])


def test_members_are_checked_one_by_one(ag, group):
    resp = ag.add_members_to_access_group(
        access_group_id=group.id,
        members=members(
            ("iam-ServiceId-00000000-0000-4000-8000-000000000000", "service"),
            ("IBMid-CONF1", "service"),
            ("IBMid-CONF2", "robot"),
            ("IBMid-CONF3", "user"),
        ),
    )
    assert resp.get_status_code() == 207
    results = AddGroupMembersResponse.from_dict(resp.get_result()).members
    assert [m.status_code for m in results] == [404, 400, 400, 200]
    assert all(m.errors and m.errors[0].code and m.errors[0].message for m in results[:3])


def test_remove_from_all_and_add_to_many(ag, account_id):
    a = Group.from_dict(ag.create_access_group(account_id=account_id, name=unique("conf-a")).get_result())
    b = Group.from_dict(ag.create_access_group(account_id=account_id, name=unique("conf-b")).get_result())
    user = "IBMid-" + str(random.randint(0, 99999))
    resp = ag.add_member_to_multiple_access_groups(account_id=account_id, iam_id=user, type="user", groups=[a.id, b.id])
    assert resp.get_status_code() == 207
    added = AddMembershipMultipleGroupsResponse.from_dict(resp.get_result())
    assert [(x.access_group_id, x.status_code) for x in added.groups] == [(a.id, 200), (b.id, 200)]
    memberships = GroupsList.from_dict(ag.list_access_groups(account_id=account_id, iam_id=user).get_result())
    assert {x.id for x in memberships.groups} == {a.id, b.id}

    resp = ag.remove_member_from_all_access_groups(account_id=account_id, iam_id=user)
    assert resp.get_status_code() == 207
    removed = DeleteFromAllGroupsResponse.from_dict(resp.get_result())
    assert removed.iam_id == user and {x.access_group_id for x in removed.groups} == {a.id, b.id}
    # In no group now: IBM's integration test expects a 404 naming the member.
    e = sdk_error(ag.remove_member_from_all_access_groups, account_id=account_id, iam_id=user)
    assert e.status_code == 404 and user in e.message
    for g in (a, b):
        ag.delete_access_group(access_group_id=g.id)


def test_a_group_with_members_is_deleted_only_by_force(ag, group):
    ag.add_members_to_access_group(access_group_id=group.id, members=members(("IBMid-CONF9", "user")))
    e = sdk_error(ag.delete_access_group, access_group_id=group.id)
    assert_access_error(e.http_response, 400)
    assert ag.delete_access_group(access_group_id=group.id, force=True).get_status_code() == 204


def test_the_public_access_group(ag, account_id):
    listed = GroupsList.from_dict(ag.list_access_groups(account_id=account_id).get_result())
    assert listed.groups[0].id == PUBLIC and listed.groups[0].name == "Public Access"
    got = ag.get_access_group(access_group_id=PUBLIC)
    assert Group.from_dict(got.get_result()).account_id == account_id
    e = sdk_error(ag.update_access_group, access_group_id=PUBLIC, if_match=got.get_headers()["ETag"], name="Mine")
    assert_access_error(e.http_response, 400)
    e = sdk_error(ag.delete_access_group, access_group_id=PUBLIC, force=True)
    assert_access_error(e.http_response, 400)
    e = sdk_error(ag.add_members_to_access_group, access_group_id=PUBLIC, members=members(("IBMid-CONF4", "user")))
    assert_access_error(e.http_response, 400)
    assert GroupMembersList.from_dict(ag.list_access_group_members(access_group_id=PUBLIC).get_result()).members == []


def test_the_demo_worlds_administrators(ag, account_id, emu):
    admins = [g for g in ag.list_access_groups(account_id=account_id).get_result()["groups"] if g["name"] == "Administrators"]
    assert len(admins) == 1
    me = claims(user_token(emu))["iam_id"]
    assert ag.is_member_of_access_group(access_group_id=admins[0]["id"], iam_id=me).get_status_code() == 204


def test_group_policies(ag, clients, account_id, group):
    pm = clients[1]

    def grant(subject_group, service):
        return pm.create_policy(
            type="access",
            subjects=[PolicySubject(attributes=[SubjectAttribute(name="access_group_id", value=subject_group)])],
            roles=[PolicyRole(role_id="crn:v1:bluemix:public:iam::::role:Viewer")],
            resources=[
                PolicyResource(
                    attributes=[
                        ResourceAttribute(name="accountId", value=account_id),
                        ResourceAttribute(name="serviceName", value=service),
                    ]
                )
            ],
        )

    policy = Policy.from_dict(grant(group.id, "kms").get_result())
    listed = PolicyCollection.from_dict(pm.list_policies(account_id=account_id, access_group_id=group.id).get_result())
    assert [p.id for p in listed.policies] == [policy.id]
    public = Policy.from_dict(grant(PUBLIC, "containers-kubernetes").get_result())
    assert public.subjects[0].attributes[0].value == PUBLIC
    pm.delete_policy(policy_id=public.id)
    e = sdk_error(grant, "AccessGroupId-00000000-0000-4000-8000-000000000000", "kms")
    assert_access_error(e.http_response, 400, "invalid_body")
    # Deleting the group deletes its policies.
    ag.delete_access_group(access_group_id=group.id, force=True)
    e = sdk_error(pm.get_policy, policy_id=policy.id)
    assert_access_error(e.http_response, 404, "policy_not_found")
