//! IAM Identity v1 trusted profiles: profiles, their links and their trusted identities, every
//! operation and every error.

use crate::common::*;
use iam_emulator::Running;
use iam_emulator::seed::{
    DEMO_ACCOUNT, DEMO_PROFILE_ID, DEMO_PROFILE_NAME, DEMO_SERVICE_ID, DEMO_USER_IAM_ID,
    PARTNER_ACCOUNT,
};
use reqwest::Method;
use serde_json::{Value, json};

fn create_profile(emu: &Running, t: &str, name: &str) -> (u16, Value) {
    json(
        api(emu, Method::POST, "/v1/profiles", t)
            .json(&json!({"account_id": DEMO_ACCOUNT, "name": name, "description": "test"}))
            .send()
            .unwrap(),
    )
}

fn new_profile(emu: &Running, t: &str, name: &str) -> String {
    let (status, p) = create_profile(emu, t, name);
    assert_eq!(status, 201, "{p}");
    p["id"].as_str().unwrap().to_owned()
}

fn status(resp: reqwest::blocking::Response) -> u16 {
    resp.status().as_u16()
}

fn cluster_crn(account: &str, cluster: &str) -> String {
    format!("crn:v1:bluemix:public:containers-kubernetes:us-south:a/{account}:{cluster}::")
}

#[test]
fn profile_lifecycle_with_etags_and_unique_names() {
    let emu = start();
    let t = access_token(&emu);
    let (status_code, p) = create_profile(&emu, &t, "ci-runner");
    assert_eq!(status_code, 201, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    assert!(
        id.starts_with("Profile-") && id.len() == "Profile-".len() + 36,
        "{id}"
    );
    assert_eq!(p["iam_id"], format!("iam-{id}"));
    assert_eq!(
        p["crn"],
        format!("crn:v1:bluemix:public:iam-identity::a/{DEMO_ACCOUNT}::profile:{id}")
    );
    assert_eq!(p["account_id"], DEMO_ACCOUNT);
    assert_eq!(p["name"], "ci-runner");
    assert_eq!(p["description"], "test");
    assert!(p["entity_tag"].as_str().unwrap().starts_with("1-"));
    assert_eq!(p["history"][0]["action"], "create");
    assert!(p["created_at"].is_string() && p["modified_at"].is_string());

    // Names are unique within an account.
    let dup = create_profile(&emu, &t, "ci-runner");
    assert_api_error(&dup, 409, "BXNIM0515E");

    let path = format!("/v1/profiles/{id}");
    let resp = api(&emu, Method::GET, &path, &t).send().unwrap();
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let (code, got) = json(resp);
    assert_eq!(code, 200);
    assert_eq!(got["entity_tag"], etag.as_str());
    assert!(
        got["history"].is_array(),
        "a profile's GET carries its history"
    );

    let missing = json(
        api(&emu, Method::PUT, &path, &t)
            .json(&json!({"name": "x"}))
            .send()
            .unwrap(),
    );
    assert_api_error(&missing, 400, "BXNIM0109E");
    let taken = json(
        api(&emu, Method::PUT, &path, &t)
            .header("If-Match", &etag)
            .json(&json!({"name": DEMO_PROFILE_NAME}))
            .send()
            .unwrap(),
    );
    assert_api_error(&taken, 409, "BXNIM0515E");
    let empty = json(
        api(&emu, Method::PUT, &path, &t)
            .header("If-Match", &etag)
            .json(&json!({"name": " "}))
            .send()
            .unwrap(),
    );
    assert_api_error(&empty, 400, "BXNIM0109E");
    let (code, updated) = json(
        api(&emu, Method::PUT, &path, &t)
            .header("If-Match", &etag)
            .json(&json!({"name": "ci-runner-2", "description": "", "email": "ci@example.com"}))
            .send()
            .unwrap(),
    );
    assert_eq!(code, 200, "{updated}");
    assert_eq!(updated["name"], "ci-runner-2");
    assert!(
        updated.get("description").is_none(),
        "an empty description clears it"
    );
    assert_eq!(updated["email"], "ci@example.com");
    assert!(updated["entity_tag"].as_str().unwrap().starts_with("2-"));
    let stale = json(
        api(&emu, Method::PUT, &path, &t)
            .header("If-Match", &etag)
            .json(&json!({"description": "again"}))
            .send()
            .unwrap(),
    );
    assert_api_error(&stale, 409, "BXNIM0512E");
    // Keeping its own name is no conflict.
    let (code, _) = json(
        api(&emu, Method::PUT, &path, &t)
            .header("If-Match", "*")
            .json(&json!({"name": "ci-runner-2"}))
            .send()
            .unwrap(),
    );
    assert_eq!(code, 200);
    // The old name is free again.
    new_profile(&emu, &t, "ci-runner");

    assert_eq!(
        status(api(&emu, Method::DELETE, &path, &t).send().unwrap()),
        204
    );
    let gone = json(api(&emu, Method::GET, &path, &t).send().unwrap());
    assert_api_error(&gone, 404, "BXNIM0102E");
    let gone = json(api(&emu, Method::DELETE, &path, &t).send().unwrap());
    assert_api_error(&gone, 404, "BXNIM0102E");
}

#[test]
fn profiles_list_in_pages_and_by_name() {
    let emu = start();
    let t = access_token(&emu);
    for i in 0..4 {
        new_profile(&emu, &t, &format!("p{i}"));
    }
    let missing = json(api(&emu, Method::GET, "/v1/profiles", &t).send().unwrap());
    assert_api_error(&missing, 400, "BXNIM0109E");
    let other = json(
        api(
            &emu,
            Method::GET,
            &format!("/v1/profiles?account_id={PARTNER_ACCOUNT}"),
            &t,
        )
        .send()
        .unwrap(),
    );
    assert_api_error(&other, 403, "BXNIM0513E");
    let filter = json(
        api(
            &emu,
            Method::GET,
            &format!("/v1/profiles?account_id={DEMO_ACCOUNT}&filter=name%20eq%20x"),
            &t,
        )
        .send()
        .unwrap(),
    );
    assert_api_error(&filter, 400, "BXNIM0106E");

    let mut names = Vec::new();
    let mut url = format!("/v1/profiles?account_id={DEMO_ACCOUNT}&pagesize=2&sort=name");
    loop {
        let (code, page) = json(api(&emu, Method::GET, &url, &t).send().unwrap());
        assert_eq!(code, 200, "{page}");
        assert_eq!(page["limit"], 2);
        for p in page["profiles"].as_array().unwrap() {
            assert!(
                p.get("history").is_none(),
                "lists leave history out by default"
            );
            names.push(p["name"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(names, ["demo-workload", "p0", "p1", "p2", "p3"]);

    let (_, one) = json(
        api(
            &emu,
            Method::GET,
            &format!("/v1/profiles?account_id={DEMO_ACCOUNT}&name=p2&include_history=true"),
            &t,
        )
        .send()
        .unwrap(),
    );
    let one = one["profiles"].as_array().unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["name"], "p2");
    assert!(one[0]["history"].is_array());
}

#[test]
fn profile_requests_are_checked() {
    let emu = start();
    let t = access_token(&emu);
    for (body, code) in [
        (json!({"account_id": DEMO_ACCOUNT}), "BXNIM0109E"),
        (json!({"name": "x"}), "BXNIM0109E"),
        (json!({"name": 5, "account_id": DEMO_ACCOUNT}), "BXNIM0106E"),
    ] {
        let e = json(
            api(&emu, Method::POST, "/v1/profiles", &t)
                .json(&body)
                .send()
                .unwrap(),
        );
        assert_api_error(&e, 400, code);
    }
    let e = json(
        api(&emu, Method::POST, "/v1/profiles", &t)
            .header("Content-Type", "application/json")
            .body("{not json")
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 400, "BXNIM0106E");
    let e = json(
        api(&emu, Method::POST, "/v1/profiles", &t)
            .json(&json!({"name": "x", "account_id": PARTNER_ACCOUNT}))
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 403, "BXNIM0513E");
    let none = json(
        client()
            .get(format!("{}/v1/profiles/{DEMO_PROFILE_ID}", emu.url()))
            .send()
            .unwrap(),
    );
    assert_api_error(&none, 401, "BXNIM0308E");
    let e = json(
        api(
            &emu,
            Method::PATCH,
            &format!("/v1/profiles/{DEMO_PROFILE_ID}"),
            &t,
        )
        .send()
        .unwrap(),
    );
    assert_api_error(&e, 405, "BXNIM0060E");
}

#[test]
fn other_accounts_profiles_are_forbidden() {
    let emu = start();
    // The partner account's user: none of the demo profile is theirs.
    let t = apikey_login(&emu, iam_emulator::seed::OTHER_APIKEY, false)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/v1/profiles/{DEMO_PROFILE_ID}"),
        format!("/v1/profiles/{DEMO_PROFILE_ID}/links"),
        format!("/v1/profiles/{DEMO_PROFILE_ID}/identities"),
        format!("/v1/profiles/{DEMO_PROFILE_ID}/identities/serviceid/{DEMO_SERVICE_ID}"),
    ] {
        let e = json(api(&emu, Method::GET, &path, &t).send().unwrap());
        assert_api_error(&e, 403, "BXNIM0513E");
    }
    let e = json(
        api(
            &emu,
            Method::DELETE,
            &format!("/v1/profiles/{DEMO_PROFILE_ID}"),
            &t,
        )
        .send()
        .unwrap(),
    );
    assert_api_error(&e, 403, "BXNIM0513E");
    let e = json(
        api(
            &emu,
            Method::POST,
            &format!("/v1/profiles/{DEMO_PROFILE_ID}/links"),
            &t,
        )
        .json(&json!({"cr_type": "VSI", "link": {"crn": "crn:v1:bluemix:public:is:us-south-1:a/x::instance:1"}}))
        .send()
        .unwrap(),
    );
    assert_api_error(&e, 403, "BXNIM0513E");
}

#[test]
fn links_lifecycle_and_rules() {
    let emu = start();
    let t = access_token(&emu);
    let id = new_profile(&emu, &t, "linked");
    let links = format!("/v1/profiles/{id}/links");
    let crn = cluster_crn(DEMO_ACCOUNT, "c0ffee");
    let (code, link) = json(
        api(&emu, Method::POST, &links, &t)
            .json(&json!({"name": "sa", "cr_type": "IKS_SA",
                          "link": {"crn": crn, "namespace": "ns", "name": "runner"}}))
            .send()
            .unwrap(),
    );
    assert_eq!(code, 201, "{link}");
    let link_id = link["id"].as_str().unwrap().to_owned();
    assert!(link_id.starts_with("ProfileLink-"), "{link_id}");
    assert_eq!(link["cr_type"], "IKS_SA");
    assert_eq!(link["name"], "sa");
    assert_eq!(link["is_cross_account"], false);
    assert_eq!(
        link["link"],
        json!({"crn": crn, "namespace": "ns", "name": "runner"})
    );
    assert!(link["entity_tag"].as_str().unwrap().starts_with("1-"));
    assert!(link["created_at"].is_string() && link["modified_at"].is_string());

    let dup = json(
        api(&emu, Method::POST, &links, &t)
            .json(&json!({"cr_type": "IKS_SA",
                          "link": {"crn": crn, "namespace": "ns", "name": "runner"}}))
            .send()
            .unwrap(),
    );
    assert_api_error(&dup, 409, "BXNIM0516E");
    for (body, code) in [
        (json!({"link": {"crn": crn}}), "BXNIM0109E"),
        (json!({"cr_type": "VSI"}), "BXNIM0109E"),
        (
            json!({"cr_type": "VSI", "link": {"namespace": "x"}}),
            "BXNIM0109E",
        ),
        (json!({"cr_type": "VSI", "link": "crn"}), "BXNIM0106E"),
        (
            json!({"cr_type": "K8S", "link": {"crn": crn}}),
            "BXNIM0106E",
        ),
        (
            json!({"cr_type": "VSI", "link": {"crn": "not-a-crn"}}),
            "BXNIM0106E",
        ),
        // A service account link names the namespace and the account.
        (
            json!({"cr_type": "ROKS_SA", "link": {"crn": crn, "namespace": "ns"}}),
            "BXNIM0106E",
        ),
        // Another account's resource needs is_cross_account.
        (
            json!({"cr_type": "IKS_SA", "link": {"crn": cluster_crn(PARTNER_ACCOUNT, "c1"), "namespace": "n", "name": "s"}}),
            "BXNIM0106E",
        ),
        (
            json!({"cr_type": "VSI", "link": {"crn": crn}, "is_cross_account": "yes"}),
            "BXNIM0106E",
        ),
    ] {
        let e = json(
            api(&emu, Method::POST, &links, &t)
                .json(&body)
                .send()
                .unwrap(),
        );
        assert_api_error(&e, 400, code);
    }
    let (code, cross) = json(
        api(&emu, Method::POST, &links, &t)
            .json(&json!({"cr_type": "IKS_SA", "is_cross_account": true,
                          "link": {"crn": cluster_crn(PARTNER_ACCOUNT, "c1"), "namespace": "n", "name": "s"}}))
            .send()
            .unwrap(),
    );
    assert_eq!(code, 201, "{cross}");
    assert_eq!(cross["is_cross_account"], true);
    let (code, ce) = json(
        api(&emu, Method::POST, &links, &t)
            .json(&json!({"cr_type": "CE", "link": {
                "crn": format!("crn:v1:bluemix:public:codeengine:us-south:a/{DEMO_ACCOUNT}:p1::"),
                "component_type": "application", "component_name": "web"}}))
            .send()
            .unwrap(),
    );
    assert_eq!(code, 201, "{ce}");

    let (code, list) = json(api(&emu, Method::GET, &links, &t).send().unwrap());
    assert_eq!(code, 200);
    let ids: Vec<&str> = list["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], link_id);

    let one = format!("{links}/{link_id}");
    let resp = api(&emu, Method::GET, &one, &t).send().unwrap();
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let (code, got) = json(resp);
    assert_eq!(code, 200);
    assert_eq!(got, link);
    assert_eq!(got["entity_tag"], etag.as_str());
    let e = json(
        api(&emu, Method::GET, &format!("{links}/ProfileLink-nope"), &t)
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 404, "BXNIM0102E");

    assert_eq!(
        status(api(&emu, Method::DELETE, &one, &t).send().unwrap()),
        204
    );
    let e = json(api(&emu, Method::DELETE, &one, &t).send().unwrap());
    assert_api_error(&e, 404, "BXNIM0102E");
    // By parameters, as IBM's SDK can delete them.
    let e = json(
        api(&emu, Method::DELETE, &format!("{links}?crn=x"), &t)
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 400, "BXNIM0109E");
    let e = json(
        api(&emu, Method::DELETE, &format!("{links}?type=VSI"), &t)
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 404, "BXNIM0102E");
    let resp = api(
        &emu,
        Method::DELETE,
        &format!("{links}?type=CE&component_name=web"),
        &t,
    )
    .send()
    .unwrap();
    assert_eq!(status(resp), 204);
    let (_, list) = json(api(&emu, Method::GET, &links, &t).send().unwrap());
    assert_eq!(list["links"].as_array().unwrap().len(), 1);

    let e = json(
        api(&emu, Method::GET, "/v1/profiles/Profile-nope/links", &t)
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 404, "BXNIM0102E");
}

#[test]
fn identities_lifecycle_and_etags() {
    let emu = start();
    let t = access_token(&emu);
    // The demo profile trusts the demo service ID and the demo user (from the Demo Account).
    let demo = format!("/v1/profiles/{DEMO_PROFILE_ID}/identities");
    let resp = api(&emu, Method::GET, &demo, &t).send().unwrap();
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let (code, list) = json(resp);
    assert_eq!(code, 200);
    assert_eq!(list["entity_tag"], etag.as_str());
    assert_eq!(
        list["identities"][0],
        json!({"iam_id": format!("iam-{DEMO_SERVICE_ID}"), "identifier": DEMO_SERVICE_ID,
               "type": "serviceid", "description": "The demo service ID may assume the profile"})
    );
    assert_eq!(list["identities"][1]["iam_id"], DEMO_USER_IAM_ID);
    assert_eq!(list["identities"][1]["accounts"], json!([DEMO_ACCOUNT]));

    let id = new_profile(&emu, &t, "assumable");
    let base = format!("/v1/profiles/{id}/identities");
    let (_, empty) = json(api(&emu, Method::GET, &base, &t).send().unwrap());
    assert_eq!(empty["identities"], json!([]));
    let tag0 = empty["entity_tag"].as_str().unwrap().to_owned();

    let (code, sid) = json(
        api(&emu, Method::POST, &format!("{base}/serviceid"), &t)
            .json(&json!({"identifier": DEMO_SERVICE_ID, "type": "serviceid"}))
            .send()
            .unwrap(),
    );
    assert_eq!(code, 200, "{sid}");
    assert_eq!(
        sid,
        json!({"iam_id": format!("iam-{DEMO_SERVICE_ID}"), "identifier": DEMO_SERVICE_ID, "type": "serviceid"})
    );
    let dup = json(
        api(&emu, Method::POST, &format!("{base}/serviceid"), &t)
            .json(&json!({"identifier": format!("iam-{DEMO_SERVICE_ID}"), "type": "serviceid"}))
            .send()
            .unwrap(),
    );
    assert_api_error(&dup, 409, "BXNIM0516E");
    let (code, user) = json(
        api(&emu, Method::POST, &format!("{base}/user"), &t)
            .json(&json!({"identifier": DEMO_USER_IAM_ID, "type": "user",
                          "accounts": [DEMO_ACCOUNT], "description": "me"}))
            .send()
            .unwrap(),
    );
    assert_eq!(code, 200, "{user}");
    assert_eq!(user["accounts"], json!([DEMO_ACCOUNT]));
    let crn = cluster_crn(DEMO_ACCOUNT, "svc");
    let (code, by_crn) = json(
        api(&emu, Method::POST, &format!("{base}/crn"), &t)
            .json(&json!({"identifier": crn, "type": "crn"}))
            .send()
            .unwrap(),
    );
    assert_eq!(code, 200, "{by_crn}");
    assert_eq!(by_crn["iam_id"], format!("crn-{crn}"));

    for (path_type, body, status_code, code) in [
        (
            "user",
            json!({"identifier": DEMO_SERVICE_ID, "type": "serviceid"}),
            400,
            "BXNIM0106E",
        ),
        (
            "robot",
            json!({"identifier": "x", "type": "robot"}),
            400,
            "BXNIM0106E",
        ),
        ("user", json!({"type": "user"}), 400, "BXNIM0109E"),
        ("user", json!({"identifier": "IBMid-0"}), 400, "BXNIM0109E"),
        (
            "user",
            json!({"identifier": "IBMid-NOBODY", "type": "user"}),
            404,
            "BXNIM0102E",
        ),
        (
            "serviceid",
            json!({"identifier": "ServiceId-nope", "type": "serviceid"}),
            404,
            "BXNIM0102E",
        ),
        (
            "serviceid",
            json!({"identifier": DEMO_SERVICE_ID, "type": "serviceid", "accounts": [DEMO_ACCOUNT]}),
            400,
            "BXNIM0106E",
        ),
        (
            "crn",
            json!({"identifier": "not-a-crn", "type": "crn"}),
            400,
            "BXNIM0106E",
        ),
    ] {
        let e = json(
            api(&emu, Method::POST, &format!("{base}/{path_type}"), &t)
                .json(&body)
                .send()
                .unwrap(),
        );
        assert_api_error(&e, status_code, code);
    }

    let one = format!("{base}/serviceid/{DEMO_SERVICE_ID}");
    let (code, got) = json(api(&emu, Method::GET, &one, &t).send().unwrap());
    assert_eq!(code, 200);
    assert_eq!(got, sid);
    // A CRN identifier travels percent-encoded in the path.
    let encoded: String = form_urlencoded::byte_serialize(crn.as_bytes()).collect();
    let (code, got) = json(
        api(&emu, Method::GET, &format!("{base}/crn/{encoded}"), &t)
            .send()
            .unwrap(),
    );
    assert_eq!(code, 200, "{got}");
    assert_eq!(got["identifier"], crn);

    let resp = api(&emu, Method::GET, &base, &t).send().unwrap();
    let (_, list) = json(resp);
    assert_eq!(list["identities"].as_array().unwrap().len(), 3);
    let tag3 = list["entity_tag"].as_str().unwrap().to_owned();
    assert_ne!(tag3, tag0, "every change moves the list's entity tag");

    assert_eq!(
        status(api(&emu, Method::DELETE, &one, &t).send().unwrap()),
        204
    );
    let e = json(api(&emu, Method::GET, &one, &t).send().unwrap());
    assert_api_error(&e, 404, "BXNIM0102E");
    let e = json(api(&emu, Method::DELETE, &one, &t).send().unwrap());
    assert_api_error(&e, 404, "BXNIM0102E");

    // Replacing the list needs the current tag.
    let body = json!({"identities": [{"identifier": DEMO_SERVICE_ID, "type": "serviceid",
                                      "description": "again"}]});
    let e = json(
        api(&emu, Method::PUT, &base, &t)
            .json(&body)
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 400, "BXNIM0109E");
    let e = json(
        api(&emu, Method::PUT, &base, &t)
            .header("If-Match", &tag3)
            .json(&body)
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 409, "BXNIM0512E");
    let (_, now) = json(api(&emu, Method::GET, &base, &t).send().unwrap());
    let current = now["entity_tag"].as_str().unwrap();
    let (code, replaced) = json(
        api(&emu, Method::PUT, &base, &t)
            .header("If-Match", current)
            .json(&body)
            .send()
            .unwrap(),
    );
    assert_eq!(code, 200, "{replaced}");
    assert_eq!(replaced["identities"].as_array().unwrap().len(), 1);
    assert_eq!(replaced["identities"][0]["description"], "again");
    assert_ne!(replaced["entity_tag"], current);
    let e = json(
        api(&emu, Method::PUT, &base, &t)
            .header("If-Match", "*")
            .json(&json!({"identities": [
                {"identifier": DEMO_SERVICE_ID, "type": "serviceid"},
                {"identifier": DEMO_SERVICE_ID, "type": "serviceid"}]}))
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 409, "BXNIM0516E");
    let (code, cleared) = json(
        api(&emu, Method::PUT, &base, &t)
            .header("If-Match", "*")
            .json(&json!({"identities": []}))
            .send()
            .unwrap(),
    );
    assert_eq!(code, 200);
    assert_eq!(cleared["identities"], json!([]));
}

#[test]
fn deleting_a_profile_takes_its_links_identities_and_tokens() {
    let emu = start();
    let t = access_token(&emu);
    let profile_token = demo_profile_token(&emu);
    let (code, _) = json(
        get(&emu, "/coe/v2/accounts", Some(&profile_token))
            .send()
            .unwrap(),
    );
    assert_eq!(code, 200);

    let path = format!("/v1/profiles/{DEMO_PROFILE_ID}");
    assert_eq!(
        status(api(&emu, Method::DELETE, &path, &t).send().unwrap()),
        204
    );
    for sub in ["/links", "/identities"] {
        let e = json(
            api(&emu, Method::GET, &format!("{path}{sub}"), &t)
                .send()
                .unwrap(),
        );
        assert_api_error(&e, 404, "BXNIM0102E");
    }
    // Its tokens fail like a deleted identity's.
    let e = json(
        get(&emu, "/coe/v2/accounts", Some(&profile_token))
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 401, "BXNIM0302E");
    // And its compute resources can no longer get one.
    let e = token(
        &emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("cr_token", &demo_sa_token(&emu)),
            ("profile_id", DEMO_PROFILE_ID),
        ],
        false,
    );
    assert_token_error(&e, 400, "BXNIM0452E");
    // A new profile may take the name; it does not inherit the old links.
    let again = new_profile(&emu, &t, DEMO_PROFILE_NAME);
    let (_, links) = json(
        api(
            &emu,
            Method::GET,
            &format!("/v1/profiles/{again}/links"),
            &t,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(links["links"], json!([]));
}
