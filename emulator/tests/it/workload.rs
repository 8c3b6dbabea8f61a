//! Workload identity: compute-resource tokens (admin API), the cr-token and assume grants, the
//! VPC instance metadata service, and trusted profiles' tokens on the platform APIs.

use crate::common::*;
use iam_emulator::Running;
use iam_emulator::seed::{
    self, DEMO_ACCOUNT, DEMO_IKS_CLUSTER_CRN, DEMO_IKS_NAMESPACE, DEMO_IKS_SERVICE_ACCOUNT,
    DEMO_PROFILE_ID, DEMO_PROFILE_NAME, DEMO_SERVICE_ID, DEMO_VPC_INSTANCE_CRN, PARTNER_ACCOUNT,
    STAGING_ACCOUNT,
};
use reqwest::Method;
use serde_json::{Value, json};

const PROFILE_CRN: &str = "crn:v1:bluemix:public:iam-identity::a/b028e1c4a7d94f3e8c6f2a1d5e7b9793::profile:Profile-9b1c2d3e-4f50-4a61-8b72-c3d4e5f60718";

fn sa(namespace: &str, name: &str) -> Value {
    json!({"cr_type": "IKS_SA", "crn": DEMO_IKS_CLUSTER_CRN, "namespace": namespace, "name": name})
}

fn cr_grant(emu: &Running, cr: &str, profile: (&str, &str)) -> (u16, Value) {
    token(
        emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("cr_token", cr),
            (profile.0, profile.1),
        ],
        false,
    )
}

fn assume(emu: &Running, access_token: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![("grant_type", ASSUME_GRANT), ("access_token", access_token)];
    form.extend_from_slice(fields);
    token(emu, &form, false)
}

fn access(body: &Value) -> String {
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// The claims every trusted profile's token carries.
fn assert_demo_profile_claims(c: &Value) {
    assert_eq!(c["iam_id"], format!("iam-{DEMO_PROFILE_ID}"));
    assert_eq!(c["id"], c["iam_id"]);
    assert_eq!(c["sub"], DEMO_PROFILE_ID);
    assert_eq!(c["identifier"], DEMO_PROFILE_ID);
    assert_eq!(c["sub_type"], "Profile");
    assert_eq!(c["realmid"], "iam");
    assert_eq!(c["name"], DEMO_PROFILE_NAME);
    assert_eq!(c["account"]["bss"], DEMO_ACCOUNT);
    assert_eq!(c["account"]["ims"], "1234567");
    assert!(c.get("email").is_none(), "{c}");
}

#[test]
fn ready_info_names_the_workload_profile_and_the_virtual_server() {
    let emu = start();
    let info = emu.info();
    assert_eq!(info.vpc_instance_crn, DEMO_VPC_INSTANCE_CRN);
    assert_eq!(info.profile_id, DEMO_PROFILE_ID);
    assert_eq!(info.profile_name, DEMO_PROFILE_NAME);
    assert_eq!(info.iks_cluster_crn, DEMO_IKS_CLUSTER_CRN);
    assert_eq!(info.iks_namespace, DEMO_IKS_NAMESPACE);
    assert_eq!(info.iks_service_account, DEMO_IKS_SERVICE_ACCOUNT);
    let line: Value = serde_json::from_str(&info.to_json_line()).unwrap();
    for k in [
        "vpc_instance_crn",
        "profile_id",
        "profile_name",
        "iks_cluster_crn",
        "iks_namespace",
        "iks_service_account",
    ] {
        assert!(line[k].as_str().is_some_and(|v| !v.is_empty()), "{k}");
    }
    // A world without profiles has empty fields, and still a virtual server.
    let bare: iam_emulator::Seed = serde_json::from_value(json!({
        "accounts": [{"id": "acc1", "name": "One"}],
        "users": [{"username": "u@example.com", "password": "pw", "accounts": ["acc1"]}]
    }))
    .unwrap();
    let emu = start_with(iam_emulator::Config {
        seed: Some(bare.into()),
        ..Default::default()
    });
    assert_eq!(emu.info().profile_id, "");
    assert_eq!(emu.info().iks_cluster_crn, "");
    assert!(
        emu.info()
            .vpc_instance_crn
            .starts_with("crn:v1:bluemix:public:is:us-south-1:a/acc1::instance:0717_")
    );
}

#[test]
fn admin_mints_compute_resource_tokens_and_checks_the_request() {
    let emu = start();
    let (status, body) = admin(
        &emu,
        Method::POST,
        "/emulator/cr-tokens",
        Some(json!({"cr_type": "IKS_SA", "crn": DEMO_IKS_CLUSTER_CRN,
                    "namespace": "default", "name": "demo-sa", "ttl": 120})),
    );
    assert_eq!(status, 200, "{body}");
    let tok = body["cr_token"].as_str().unwrap();
    let c = claims(tok);
    assert_eq!(c["sub"], "system:serviceaccount:default:demo-sa");
    assert_eq!(c["cr_type"], "IKS_SA");
    assert_eq!(c["crn"], DEMO_IKS_CLUSTER_CRN);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 120);
    assert_eq!(body["exp"], c["exp"]);
    // exp comes from the emulator's clock.
    let now = advance_clock(&emu, 1000)["now"].as_i64().unwrap();
    let moved = claims(&cr_token(
        &emu,
        json!({"cr_type": "VSI", "crn": DEMO_VPC_INSTANCE_CRN}),
    ));
    assert!(
        (moved["exp"].as_i64().unwrap() - now - 3600).abs() <= 2,
        "{moved}"
    );

    for body in [
        json!({"crn": DEMO_IKS_CLUSTER_CRN}),
        json!({"cr_type": "POD", "crn": DEMO_IKS_CLUSTER_CRN}),
        json!({"cr_type": "VSI"}),
        json!({"cr_type": "VSI", "crn": "instance-1"}),
        json!({"cr_type": "IKS_SA", "crn": DEMO_IKS_CLUSTER_CRN, "namespace": "default"}),
        json!({"cr_type": "VSI", "crn": DEMO_VPC_INSTANCE_CRN, "ttl": 0}),
        json!({"cr_type": "VSI", "crn": DEMO_VPC_INSTANCE_CRN, "ttl": -5}),
        json!({"cr_type": "VSI", "crn": DEMO_VPC_INSTANCE_CRN, "ttl": "60"}),
        json!({"cr_type": "VSI", "crn": DEMO_VPC_INSTANCE_CRN, "color": "red"}),
    ] {
        let (status, resp) = admin(
            &emu,
            Method::POST,
            "/emulator/cr-tokens",
            Some(body.clone()),
        );
        assert_eq!(status, 400, "{body} -> {resp}");
        assert!(
            resp["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{resp}"
        );
    }
}

#[test]
fn cr_token_grant_issues_the_profiles_token() {
    let emu = start();
    let cr = demo_sa_token(&emu);
    for profile in [
        ("profile_id", DEMO_PROFILE_ID),
        ("profile_name", DEMO_PROFILE_NAME),
        ("profile_crn", PROFILE_CRN),
    ] {
        let (status, body) = cr_grant(&emu, &cr, profile);
        assert_eq!(status, 200, "{profile:?}: {body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        // No refresh token, as IAM: clients grant again with the (rotated) cr token.
        assert_eq!(body["refresh_token"], "not_supported");
        assert!(body.get("refresh_token_expiration").is_none());
        assert!(body.get("ims_user_id").is_none());
        let c = claims(&access(&body));
        assert_demo_profile_claims(&c);
        assert_eq!(c["grant_type"], CR_TOKEN_GRANT);
        assert_eq!(c["client_id"], "default");
        assert_eq!(
            c["authn"],
            json!({"sub": "system:serviceaccount:default:demo-sa",
                   "iam_id": format!("crn-{DEMO_IKS_CLUSTER_CRN}"), "name": "demo-sa",
                   "sub_type": "ComputeResource", "cr_type": "IKS_SA",
                   "crn": DEMO_IKS_CLUSTER_CRN})
        );
    }
    // As iamctl sends it: client bx:bx and response_type=cloud_iam. Still no refresh token.
    let (status, body) = token(
        &emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("cr_token", &cr),
            ("profile_id", DEMO_PROFILE_ID),
            ("response_type", "cloud_iam"),
        ],
        true,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["refresh_token"], "not_supported");
    assert!(body.get("refresh_token_expiration").is_none());
    assert_eq!(claims(&access(&body))["client_id"], "bx");
    // IBM's ContainerAuthenticator sends both an ID and a name when given both.
    let both = token(
        &emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("cr_token", &cr),
            ("profile_id", DEMO_PROFILE_ID),
            ("profile_name", DEMO_PROFILE_NAME),
        ],
        false,
    );
    assert_eq!(both.0, 200, "{}", both.1);
    // Another service account of the same cluster gets the profile it is linked to.
    let t = access_token(&emu);
    let (status, p) = json(
        api(&emu, Method::POST, "/v1/profiles", &t)
            .json(&json!({"account_id": DEMO_ACCOUNT, "name": "prod-deployer"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{p}");
    let prod_profile = p["id"].as_str().unwrap();
    let (status, l) = json(
        api(
            &emu,
            Method::POST,
            &format!("/v1/profiles/{prod_profile}/links"),
            &t,
        )
        .json(
            &json!({"cr_type": "IKS_SA", "link": {"crn": DEMO_IKS_CLUSTER_CRN,
                           "namespace": "prod", "name": "deployer"}}),
        )
        .send()
        .unwrap(),
    );
    assert_eq!(status, 201, "{l}");
    let prod = cr_token(&emu, sa("prod", "deployer"));
    let (status, body) = cr_grant(&emu, &prod, ("profile_name", "prod-deployer"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(&access(&body))["name"], "prod-deployer");
}

#[test]
fn cr_token_grant_refusals() {
    let emu = start();
    let cr = demo_sa_token(&emu);
    let e = token(
        &emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("profile_id", DEMO_PROFILE_ID),
        ],
        false,
    );
    assert_token_error(&e, 400, "BXNIM0109E");
    assert!(e.1["errorMessage"].as_str().unwrap().contains("cr_token"));
    let e = token(
        &emu,
        &[("grant_type", CR_TOKEN_GRANT), ("cr_token", &cr)],
        false,
    );
    assert_token_error(&e, 400, "BXNIM0109E");
    assert!(e.1["errorMessage"].as_str().unwrap().contains("profile_id"));

    // An access token is not a compute-resource token, nor is garbage.
    let e = cr_grant(&emu, &access_token(&emu), ("profile_id", DEMO_PROFILE_ID));
    assert_token_error(&e, 400, "BXNIM0450E");
    assert!(
        e.1["errorDetails"]
            .as_str()
            .unwrap()
            .contains("access token"),
        "{}",
        e.1
    );
    let e = cr_grant(&emu, "x.y.z", ("profile_id", DEMO_PROFILE_ID));
    assert_token_error(&e, 400, "BXNIM0450E");
    // A token of another emulator (another signing key) is refused too.
    let other = start();
    let e = cr_grant(
        &emu,
        &demo_sa_token(&other),
        ("profile_id", DEMO_PROFILE_ID),
    );
    assert_token_error(&e, 400, "BXNIM0450E");

    // Unknown profiles: by id, by CRN, and by a name not in the resource's account.
    let e = cr_grant(&emu, &cr, ("profile_id", "Profile-nope"));
    assert_token_error(&e, 400, "BXNIM0452E");
    let unknown_crn = PROFILE_CRN.replace("9b1c", "0000");
    let e = cr_grant(&emu, &cr, ("profile_crn", unknown_crn.as_str()));
    assert_token_error(&e, 400, "BXNIM0452E");
    let partner_cluster =
        format!("crn:v1:bluemix:public:containers-kubernetes:us-south:a/{PARTNER_ACCOUNT}:c2::");
    let partner = cr_token(
        &emu,
        json!({"cr_type": "IKS_SA", "crn": partner_cluster, "namespace": "default", "name": "demo-sa"}),
    );
    let e = cr_grant(&emu, &partner, ("profile_name", DEMO_PROFILE_NAME));
    assert_token_error(&e, 400, "BXNIM0452E");
    assert!(
        e.1["errorDetails"]
            .as_str()
            .unwrap()
            .contains(PARTNER_ACCOUNT)
    );
    // ID and name that disagree.
    let t = access_token(&emu);
    let (status, p) = json(
        api(&emu, Method::POST, "/v1/profiles", &t)
            .json(&json!({"account_id": DEMO_ACCOUNT, "name": "unlinked"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201);
    let unlinked = p["id"].as_str().unwrap();
    let e = token(
        &emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("cr_token", &cr),
            ("profile_id", DEMO_PROFILE_ID),
            ("profile_name", "unlinked"),
        ],
        false,
    );
    assert_token_error(&e, 400, "BXNIM0106E");

    // No link matches: a profile without links, another service account, another type.
    let e = cr_grant(&emu, &cr, ("profile_id", unlinked));
    assert_token_error(&e, 400, "BXNIM0453E");
    for other in [
        sa("default", "intruder"),
        sa("kube-system", "demo-sa"),
        json!({"cr_type": "ROKS_SA", "crn": DEMO_IKS_CLUSTER_CRN, "namespace": "default", "name": "demo-sa"}),
        json!({"cr_type": "VSI", "crn": DEMO_IKS_CLUSTER_CRN}),
    ] {
        let e = cr_grant(
            &emu,
            &cr_token(&emu, other.clone()),
            ("profile_id", DEMO_PROFILE_ID),
        );
        assert_token_error(&e, 400, "BXNIM0453E");
    }

    // Expired by the emulator's clock, not by waiting.
    let short = cr_token(
        &emu,
        json!({"cr_type": "IKS_SA", "crn": DEMO_IKS_CLUSTER_CRN,
                                      "namespace": "default", "name": "demo-sa", "ttl": 60}),
    );
    assert_eq!(
        cr_grant(&emu, &short, ("profile_id", DEMO_PROFILE_ID)).0,
        200
    );
    advance_clock(&emu, 61);
    let e = cr_grant(&emu, &short, ("profile_id", DEMO_PROFILE_ID));
    assert_token_error(&e, 400, "BXNIM0451E");
    // Moving the clock back makes it valid again.
    advance_clock(&emu, -61);
    assert_eq!(
        cr_grant(&emu, &short, ("profile_id", DEMO_PROFILE_ID)).0,
        200
    );
}

#[test]
fn compute_resource_and_instance_tokens_are_no_bearer_tokens() {
    let emu = start();
    let cr = demo_sa_token(&emu);
    let e = json(get(&emu, "/coe/v2/accounts", Some(&cr)).send().unwrap());
    assert_api_error(&e, 401, "BXNIM0302E");
    let e = json(
        get(&emu, &format!("/v1/profiles/{DEMO_PROFILE_ID}"), Some(&cr))
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 401, "BXNIM0302E");
    let instance = instance_identity_token(&emu, "/instance_identity/v1/token", "2022-03-01");
    let e = json(
        get(&emu, "/coe/v2/accounts", Some(&instance))
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 401, "BXNIM0302E");
    // Nor is either an access token for the assume grant.
    let e = assume(&emu, &cr, &[("profile_id", DEMO_PROFILE_ID)]);
    assert_token_error(&e, 400, "BXNIM0454E");
    assert!(
        e.1["errorDetails"]
            .as_str()
            .unwrap()
            .contains("compute resource")
    );
    let e = assume(&emu, &instance, &[("profile_id", DEMO_PROFILE_ID)]);
    assert_token_error(&e, 400, "BXNIM0454E");
    // And the JWKS publishes only the access tokens' key id.
    let (_, keys) = json(get(&emu, "/identity/keys", None).send().unwrap());
    let kid = keys["keys"][0]["kid"].as_str().unwrap();
    let header = |t: &str| -> Value {
        use base64::Engine as _;
        let h = t.split('.').next().unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    assert_eq!(header(&access_token(&emu))["kid"], kid);
    assert_ne!(header(&cr)["kid"], kid);
    assert_ne!(header(&instance)["kid"], kid);
}

#[test]
fn assume_grant_for_trusted_service_ids_and_users() {
    let emu = start();
    let service = apikey_login(&emu, &emu.info().service_apikey, false);
    let st = access(&service);
    for fields in [
        vec![("profile_id", DEMO_PROFILE_ID)],
        vec![("profile_crn", PROFILE_CRN)],
        vec![
            ("profile_name", DEMO_PROFILE_NAME),
            ("account", DEMO_ACCOUNT),
        ],
    ] {
        let (status, body) = assume(&emu, &st, &fields);
        assert_eq!(status, 200, "{fields:?}: {body}");
        assert_eq!(body["refresh_token"], "not_supported");
        assert!(body.get("refresh_token_expiration").is_none());
        let c = claims(&access(&body));
        assert_demo_profile_claims(&c);
        assert_eq!(c["grant_type"], ASSUME_GRANT);
        assert_eq!(
            c["authn"],
            json!({"sub": DEMO_SERVICE_ID, "iam_id": format!("iam-{DEMO_SERVICE_ID}"),
                   "name": "demo-service", "sub_type": "ServiceId"})
        );
    }
    // Basic bx:bx is accepted (IBM's IAMAssumeAuthenticator sends none).
    let (status, body) = token(
        &emu,
        &[
            ("grant_type", ASSUME_GRANT),
            ("access_token", &st),
            ("profile_id", DEMO_PROFILE_ID),
        ],
        true,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["refresh_token"], "not_supported");

    // The demo user is trusted from the Demo Account only.
    let (status, user) = token(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", seed::DEMO_USER),
            ("password", seed::DEMO_PASSWORD),
        ],
        true,
    );
    assert_eq!(status, 200);
    let (status, body) = assume(&emu, &access(&user), &[("profile_id", DEMO_PROFILE_ID)]);
    assert_eq!(status, 200, "{body}");
    let c = claims(&access(&body));
    assert_eq!(c["authn"]["iam_id"], seed::DEMO_USER_IAM_ID);
    assert_eq!(c["authn"]["sub_type"], "User");
    assert_eq!(c["authn"]["name"], "Demo User");
    let (status, staging) = token(
        &emu,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", user["refresh_token"].as_str().unwrap()),
            ("account", STAGING_ACCOUNT),
        ],
        true,
    );
    assert_eq!(status, 200, "{staging}");
    let e = assume(&emu, &access(&staging), &[("profile_id", DEMO_PROFILE_ID)]);
    assert_token_error(&e, 400, "BXNIM0456E");
}

#[test]
fn assume_grant_refusals() {
    let emu = start();
    let st = access(&apikey_login(&emu, &emu.info().service_apikey, false));
    let e = token(
        &emu,
        &[
            ("grant_type", ASSUME_GRANT),
            ("profile_id", DEMO_PROFILE_ID),
        ],
        false,
    );
    assert_token_error(&e, 400, "BXNIM0109E");
    let e = assume(&emu, &st, &[]);
    assert_token_error(&e, 400, "BXNIM0109E");
    // A name needs its account.
    let e = assume(&emu, &st, &[("profile_name", DEMO_PROFILE_NAME)]);
    assert_token_error(&e, 400, "BXNIM0109E");
    assert!(e.1["errorMessage"].as_str().unwrap().contains("'account'"));
    let e = assume(
        &emu,
        &st,
        &[
            ("profile_name", DEMO_PROFILE_NAME),
            ("account", STAGING_ACCOUNT),
        ],
    );
    assert_token_error(&e, 400, "BXNIM0452E");
    let e = assume(&emu, &st, &[("profile_id", "Profile-nope")]);
    assert_token_error(&e, 400, "BXNIM0452E");
    let e = assume(&emu, "x.y.z", &[("profile_id", DEMO_PROFILE_ID)]);
    assert_token_error(&e, 400, "BXNIM0454E");

    // Untrusted: a user the profile does not list, and a profile's own token.
    let other = access(&apikey_login(&emu, seed::OTHER_APIKEY, false));
    let e = assume(&emu, &other, &[("profile_id", DEMO_PROFILE_ID)]);
    assert_token_error(&e, 400, "BXNIM0456E");
    let profile_token = demo_profile_token(&emu);
    let e = assume(&emu, &profile_token, &[("profile_id", DEMO_PROFILE_ID)]);
    assert_token_error(&e, 400, "BXNIM0456E");
    assert!(
        e.1["errorDetails"]
            .as_str()
            .unwrap()
            .contains("cannot assume")
    );

    // A service ID that is not listed, then deleted: its token stops counting.
    let user = access_token(&emu);
    let (status, sid) = json(
        api(&emu, Method::POST, "/v1/serviceids/", &user)
            .json(&json!({"account_id": DEMO_ACCOUNT, "name": "bystander",
                          "apikey": {"name": "k"}}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{sid}");
    let key = sid["apikey"]["apikey"].as_str().unwrap();
    let bystander = access(&apikey_login(&emu, key, false));
    let e = assume(&emu, &bystander, &[("profile_id", DEMO_PROFILE_ID)]);
    assert_token_error(&e, 400, "BXNIM0456E");
    let path = format!("/v1/serviceids/{}", sid["id"].as_str().unwrap());
    let resp = api(&emu, Method::DELETE, &path, &user).send().unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let e = assume(&emu, &bystander, &[("profile_id", DEMO_PROFILE_ID)]);
    assert_token_error(&e, 400, "BXNIM0454E");

    // The caller's token must be valid by the emulator's clock.
    advance_clock(&emu, 3601);
    let e = assume(&emu, &st, &[("profile_id", DEMO_PROFILE_ID)]);
    assert_token_error(&e, 400, "BXNIM0455E");
}

#[test]
fn a_profiles_token_acts_in_the_profiles_account() {
    let emu = start();
    let t = demo_profile_token(&emu);
    let (status, accounts) = json(get(&emu, "/coe/v2/accounts", Some(&t)).send().unwrap());
    assert_eq!(status, 200, "{accounts}");
    assert_eq!(accounts["total_results"], 1);
    assert_eq!(accounts["resources"][0]["metadata"]["guid"], DEMO_ACCOUNT);
    let e = json(
        get(
            &emu,
            &format!("/coe/v2/accounts/{STAGING_ACCOUNT}"),
            Some(&t),
        )
        .send()
        .unwrap(),
    );
    assert_api_error(&e, 403, "BXNIM0513E");

    let (status, groups) = json(get(&emu, "/v2/resource_groups", Some(&t)).send().unwrap());
    assert_eq!(status, 200);
    let names: Vec<&str> = groups["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Default", "dev", "prod"]);
    let e = json(
        get(
            &emu,
            &format!("/v2/resource_groups?account_id={STAGING_ACCOUNT}"),
            Some(&t),
        )
        .send()
        .unwrap(),
    );
    assert_api_error(&e, 403, "BXNIM0513E");

    // IAM Identity v1 in the profile's account.
    let (status, sids) = json(
        get(
            &emu,
            &format!("/v1/serviceids/?account_id={DEMO_ACCOUNT}"),
            Some(&t),
        )
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200, "{sids}");
    assert_eq!(sids["serviceids"][0]["id"], DEMO_SERVICE_ID);
    let (status, created) = json(
        api(&emu, Method::POST, "/v1/serviceids/", &t)
            .json(&json!({"account_id": DEMO_ACCOUNT, "name": "made-by-a-profile"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["history"], Value::Null);
    let (status, got) = json(
        get(
            &emu,
            &format!(
                "/v1/serviceids/{}?include_history=true",
                created["id"].as_str().unwrap()
            ),
            Some(&t),
        )
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(
        got["history"][0]["iam_id"],
        format!("iam-{DEMO_PROFILE_ID}")
    );
    let e = json(
        get(
            &emu,
            &format!("/v1/serviceids/?account_id={STAGING_ACCOUNT}"),
            Some(&t),
        )
        .send()
        .unwrap(),
    );
    assert_api_error(&e, 403, "BXNIM0513E");
    let (status, profile) = json(
        get(&emu, &format!("/v1/profiles/{DEMO_PROFILE_ID}"), Some(&t))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{profile}");
    // A profile has no API keys of its own.
    let e = json(
        api(&emu, Method::POST, "/v1/apikeys", &t)
            .json(&json!({"name": "k", "iam_id": format!("iam-{DEMO_PROFILE_ID}")}))
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 400, "BXNIM0106E");
    // Its token expires by the clock like any other.
    advance_clock(&emu, 3601);
    let e = json(get(&emu, "/coe/v2/accounts", Some(&t)).send().unwrap());
    assert_api_error(&e, 401, "BXNIM0303E");
}

// ---------------------------------------------------------------------------------------------
// The VPC instance metadata service

const V1: (&str, &str, &str) = (
    "/instance_identity/v1/token",
    "/instance_identity/v1/iam_token",
    "2022-03-01",
);
const V2: (&str, &str, &str) = (
    "/identity/v1/token",
    "/identity/v1/iam_tokens",
    "2025-08-26",
);

fn instance_identity_token(emu: &Running, path: &str, version: &str) -> String {
    let (status, body) = json(
        client()
            .put(format!("{}{path}?version={version}", emu.url()))
            .header("Metadata-Flavor", "ibm")
            .json(&json!({"expires_in": 300}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    access(&body)
}

fn iam_token(
    emu: &Running,
    path: &str,
    version: &str,
    bearer: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client()
        .post(format!("{}{path}?version={version}", emu.url()))
        .bearer_auth(bearer);
    if let Some(b) = body {
        req = req.json(&b);
    }
    json(req.send().unwrap())
}

/// A VPC metadata API error: status, code and the body's shape.
fn assert_vpc_error(got: &(u16, Value), status: u16, code: &str) {
    let (s, body) = got;
    assert_eq!(*s, status, "{body}");
    assert_eq!(body["status_code"], status, "{body}");
    let err = &body["errors"][0];
    assert_eq!(err["code"], code, "{body}");
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(err["more_info"].is_string(), "{body}");
    assert!(body["trace"].is_string(), "{body}");
}

fn rfc3339(v: &Value) -> i64 {
    v.as_str()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .unwrap_or_else(|| panic!("not RFC 3339: {v}"))
        .as_second()
}

#[test]
fn vpc_metadata_service_in_both_api_versions() {
    let emu = start();
    for (token_path, iam_path, version) in [V1, V2] {
        // Step 1: the instance identity token (default lifetime 300 s).
        let (status, ii) = json(
            client()
                .put(format!("{}{token_path}?version={version}", emu.url()))
                .header("Metadata-Flavor", "ibm")
                .send()
                .unwrap(),
        );
        assert_eq!(status, 200, "{ii}");
        assert_eq!(ii["expires_in"], 300);
        assert_eq!(rfc3339(&ii["expires_at"]) - rfc3339(&ii["created_at"]), 300);
        let ic = claims(&access(&ii));
        assert_eq!(ic["crn"], DEMO_VPC_INSTANCE_CRN);
        assert_eq!(ic["account_id"], DEMO_ACCOUNT);
        let (status, short) = json(
            client()
                .put(format!("{}{token_path}?version={version}", emu.url()))
                .header("Metadata-Flavor", "ibm")
                .json(&json!({"expires_in": 3600}))
                .send()
                .unwrap(),
        );
        assert_eq!(status, 200);
        assert_eq!(short["expires_in"], 3600);
        let ii = access(&ii);

        // Step 2: without a body, the one profile linked to the instance; the same by id, CRN
        // and name; Metadata-Flavor may come or not.
        for body in [
            None,
            Some(json!({"trusted_profile": {"id": DEMO_PROFILE_ID}})),
            Some(json!({"trusted_profile": {"crn": PROFILE_CRN}})),
            Some(json!({"trusted_profile": {"name": DEMO_PROFILE_NAME}})),
        ] {
            let (status, tok) = iam_token(&emu, iam_path, version, &ii, body.clone());
            assert_eq!(status, 200, "{body:?}: {tok}");
            assert_eq!(tok["expires_in"], 3600);
            let created = rfc3339(&tok["created_at"]);
            assert_eq!(rfc3339(&tok["expires_at"]) - created, 3600);
            let c = claims(&access(&tok));
            assert_demo_profile_claims(&c);
            assert_eq!(c["iat"], created);
            assert_eq!(c["authn"]["cr_type"], "VSI");
            assert_eq!(c["authn"]["crn"], DEMO_VPC_INSTANCE_CRN);
            // The IAM token works on the platform APIs.
            let (status, _) = json(
                get(&emu, "/coe/v2/accounts", Some(&access(&tok)))
                    .send()
                    .unwrap(),
            );
            assert_eq!(status, 200);
        }
        let (status, tok) = json(
            client()
                .post(format!("{}{iam_path}?version={version}", emu.url()))
                .header("Metadata-Flavor", "ibm")
                .bearer_auth(&ii)
                .json(&json!({"trusted_profile": {"id": DEMO_PROFILE_ID}}))
                .send()
                .unwrap(),
        );
        assert_eq!(status, 200, "{tok}");
    }
    // Times follow the emulator's clock.
    let now = advance_clock(&emu, 86_400)["now"].as_i64().unwrap();
    let (status, ii) = json(
        client()
            .put(format!(
                "{}/identity/v1/token?version=2025-08-26",
                emu.url()
            ))
            .header("Metadata-Flavor", "ibm")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    assert!((rfc3339(&ii["created_at"]) - now).abs() <= 2, "{ii}");
}

#[test]
fn vpc_metadata_service_refusals() {
    let emu = start();
    let (token_path, iam_path, version) = V2;
    let put = |flavor: Option<&str>, query: &str, body: Value| {
        let mut req = client()
            .put(format!("{}{token_path}{query}", emu.url()))
            .json(&body);
        if let Some(f) = flavor {
            req = req.header("Metadata-Flavor", f);
        }
        json(req.send().unwrap())
    };
    let ok_query = format!("?version={version}");
    let e = put(None, &ok_query, json!({}));
    assert_vpc_error(&e, 400, "missing_metadata_flavor");
    let e = put(Some("google"), &ok_query, json!({}));
    assert_vpc_error(&e, 400, "missing_metadata_flavor");
    for bad in [
        json!({"expires_in": 3601}),
        json!({"expires_in": 4}),
        json!({"expires_in": "60"}),
    ] {
        let e = put(Some("ibm"), &ok_query, bad);
        assert_vpc_error(&e, 400, "invalid_value");
        assert_eq!(e.1["errors"][0]["target"]["name"], "expires_in");
    }
    let e = put(Some("ibm"), &ok_query, json!({"lifetime": 60}));
    assert_vpc_error(&e, 400, "invalid_field");
    for query in ["", "?version=yesterday", "?version=2024-01-01"] {
        let e = put(Some("ibm"), query, json!({}));
        assert_vpc_error(&e, 400, "invalid_version");
    }
    // The older path takes the older version.
    let (status, _) = json(
        client()
            .put(format!(
                "{}/instance_identity/v1/token?version=2024-01-01",
                emu.url()
            ))
            .header("Metadata-Flavor", "ibm")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    let e = json(
        client()
            .get(format!("{}{token_path}{ok_query}", emu.url()))
            .send()
            .unwrap(),
    );
    assert_vpc_error(&e, 405, "method_not_allowed");

    // Step 2 without a token, with a bad one, with an IAM token, with an expired one.
    let e = json(
        client()
            .post(format!("{}{iam_path}{ok_query}", emu.url()))
            .send()
            .unwrap(),
    );
    assert_vpc_error(&e, 401, "missing_authorization");
    let e = iam_token(&emu, iam_path, version, "x.y.z", None);
    assert_vpc_error(&e, 401, "invalid_token");
    let e = iam_token(&emu, iam_path, version, &access_token(&emu), None);
    assert_vpc_error(&e, 401, "invalid_token");
    let e = iam_token(&emu, iam_path, version, &demo_sa_token(&emu), None);
    assert_vpc_error(&e, 401, "invalid_token");
    let (_, short) = put(Some("ibm"), &ok_query, json!({"expires_in": 60}));
    let short = access(&short);
    assert_eq!(iam_token(&emu, iam_path, version, &short, None).0, 200);
    advance_clock(&emu, 61);
    let e = iam_token(&emu, iam_path, version, &short, None);
    assert_vpc_error(&e, 401, "expired_token");
    let ii = instance_identity_token(&emu, token_path, version);
    let e = json(
        client()
            .post(format!("{}{iam_path}{ok_query}", emu.url()))
            .header("Metadata-Flavor", "aws")
            .bearer_auth(&ii)
            .send()
            .unwrap(),
    );
    assert_vpc_error(&e, 400, "missing_metadata_flavor");

    // Unknown and unlinked profiles, and malformed bodies.
    for body in [
        json!({"trusted_profile": {"id": "Profile-nope"}}),
        json!({"trusted_profile": {"crn": PROFILE_CRN.replace("9b1c", "0000")}}),
        json!({"trusted_profile": {"name": "nobody"}}),
    ] {
        let e = iam_token(&emu, iam_path, version, &ii, Some(body));
        assert_vpc_error(&e, 404, "trusted_profile_not_found");
    }
    for body in [
        json!({"trusted_profile": {"id": DEMO_PROFILE_ID, "name": DEMO_PROFILE_NAME}}),
        json!({"trusted_profile": {}}),
        json!({"trusted_profile": "demo"}),
        json!({"trusted_profile": {"id": 5}}),
    ] {
        let e = iam_token(&emu, iam_path, version, &ii, Some(body));
        assert_vpc_error(&e, 400, "invalid_value");
    }
    let e = iam_token(
        &emu,
        iam_path,
        version,
        &ii,
        Some(json!({"profile": {"id": "x"}})),
    );
    assert_vpc_error(&e, 400, "invalid_field");
    let user = access_token(&emu);
    let create = |name: &str| {
        let (status, p) = json(
            api(&emu, Method::POST, "/v1/profiles", &user)
                .json(&json!({"account_id": DEMO_ACCOUNT, "name": name}))
                .send()
                .unwrap(),
        );
        assert_eq!(status, 201, "{p}");
        p["id"].as_str().unwrap().to_owned()
    };
    let lonely = create("lonely");
    let e = iam_token(
        &emu,
        iam_path,
        version,
        &ii,
        Some(json!({"trusted_profile": {"id": lonely}})),
    );
    assert_vpc_error(&e, 400, "trusted_profile_not_linked");
    // A second profile linked to the instance makes the default ambiguous.
    let second = create("second-vsi");
    let (status, link) = json(
        api(
            &emu,
            Method::POST,
            &format!("/v1/profiles/{second}/links"),
            &user,
        )
        .json(&json!({"cr_type": "VSI", "link": {"crn": DEMO_VPC_INSTANCE_CRN}}))
        .send()
        .unwrap(),
    );
    assert_eq!(status, 201, "{link}");
    let e = iam_token(&emu, iam_path, version, &ii, None);
    assert_vpc_error(&e, 400, "trusted_profile_ambiguous");
    let (status, tok) = iam_token(
        &emu,
        iam_path,
        version,
        &ii,
        Some(json!({"trusted_profile": {"name": "second-vsi"}})),
    );
    assert_eq!(status, 200, "{tok}");
    // No profile linked at all.
    for id in [DEMO_PROFILE_ID, second.as_str()] {
        let resp = api(&emu, Method::DELETE, &format!("/v1/profiles/{id}"), &user)
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 204);
    }
    let e = iam_token(&emu, iam_path, version, &ii, None);
    assert_vpc_error(&e, 400, "trusted_profile_not_linked");
}
