//! `POST /identity/token` and what the token service publishes (its keys, its OpenID
//! configuration): the form and the client's credentials are read here and the grant
//! dispatched, to `grants` (users and service IDs), `profile_grants` (trusted profiles) or
//! `delegated` (delegated refresh tokens); `issue` signs what the grant decided.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use crate::app::{App, GrantCounted, read};
use crate::http::errors::{self as codes, TokenError};
use crate::model::session::Session;
use crate::token::clients;
use crate::token::delegated::{self, GRANT_DELEGATED, ResponseTypes};
use crate::token::form::{field, optional, parse_form};
use crate::token::grants::{
    GRANT_APIKEY, GRANT_PASSCODE, GRANT_PASSWORD, GRANT_REFRESH, apikey_grant, passcode_grant,
    password_grant, refresh_grant,
};
use crate::token::issue::{Grant, TokenResponse, issue};
use crate::token::profile_grants::{self, GRANT_ASSUME, GRANT_CR_TOKEN};

/// The token endpoint's success body: tokens, or with `response_type=delegated_refresh_token`
/// alone only `{"delegated_refresh_token": ...}`, as IBM documents it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Answer {
    Tokens(TokenResponse),
    Delegated { delegated_refresh_token: String },
}

pub async fn token(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    counted: Option<Extension<GrantCounted>>,
    body: Bytes,
) -> Result<impl IntoResponse, TokenError> {
    let form = parse_form(&body);
    if counted.is_none() {
        app.count_grant(form.get("grant_type").map(String::as_str).unwrap_or(""));
    }
    let resp = handle(&app, &headers, &form)?;
    Ok((
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-cache, no-store, must-revalidate")],
        axum::Json(resp),
    ))
}

pub async fn method_not_allowed(method: Method) -> TokenError {
    TokenError::new(
        codes::METHOD_NOT_ALLOWED,
        "Method not allowed.",
        format!("Request method '{method}' is not supported; use POST."),
    )
    .status(StatusCode::METHOD_NOT_ALLOWED)
}

/// `default` without credentials, the client id with valid Basic credentials.
fn client(headers: &HeaderMap) -> Result<String, TokenError> {
    let Some(auth) = headers.get(header::AUTHORIZATION) else {
        return Ok("default".into());
    };
    let invalid = || {
        TokenError::new(
            codes::INVALID_CLIENT,
            "Client credentials are invalid.",
            "The client id or secret in the Authorization header is not valid.",
        )
    };
    let text = auth.to_str().map_err(|_| invalid())?;
    let Some((scheme, rest)) = text.split_once(' ') else {
        return Err(invalid());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        // Other schemes (a stray Bearer) carry no client: treat as anonymous, like IAM.
        return Ok("default".into());
    }
    let decoded = STANDARD.decode(rest.trim()).map_err(|_| invalid())?;
    let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
    if let Some(c) = clients::authenticate(id, secret) {
        Ok(c.id.to_owned())
    } else {
        Err(invalid())
    }
}

pub(crate) fn handle(
    app: &App,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Answer, TokenError> {
    let grant_type = field(form, "grant_type")?;
    let response = ResponseTypes::parse(optional(form, "response_type"))?;
    let delegable = matches!(grant_type, GRANT_APIKEY | GRANT_REFRESH);
    let delegation = delegated::request(form, response, grant_type, delegable)?;
    let client_id = client(headers)?;
    let world = read(&app.world);
    let mut grant = match grant_type {
        GRANT_APIKEY => apikey_grant(&world, form)?,
        GRANT_PASSWORD => password_grant(&world, form)?,
        GRANT_PASSCODE => passcode_grant(app, &world, form)?,
        GRANT_REFRESH => refresh_grant(app, &world, form, &client_id)?,
        GRANT_CR_TOKEN => Grant::profile(
            profile_grants::cr_token_grant(app, &world, form)?,
            grant_type,
        ),
        GRANT_ASSUME => {
            Grant::profile(profile_grants::assume_grant(app, &world, form)?, grant_type)
        }
        GRANT_DELEGATED => delegated::redeem(app, &world, form, &client_id)?.into(),
        other => {
            return Err(TokenError::new(
                codes::UNSUPPORTED_GRANT,
                "Unsupported grant type.",
                format!("Grant type '{other}' is not supported by this IAM."),
            ));
        }
    };
    let Some(request) = delegation else {
        return issue(app, &world, grant, &client_id).map(Answer::Tokens);
    };
    let session_id = grant
        .session_id
        .get_or_insert_with(|| format!("C-{}", uuid::Uuid::new_v4()))
        .clone();
    let delegator = Session {
        session_id,
        iam_id: grant.iam_id.clone(),
        account_id: grant.account_id.clone(),
        client_id: client_id.clone(),
        expires_at: 0,
        origin_grant: grant.grant_type.clone(),
        amr: grant.amr.clone(),
        apikey_id: grant.apikey_id.clone(),
        revoked: false,
    };
    let delegated_refresh_token = delegated::issue(app, &request, delegator);
    if response.delegated_only() {
        return Ok(Answer::Delegated {
            delegated_refresh_token,
        });
    }
    let mut tokens = issue(app, &world, grant, &client_id)?;
    tokens.delegated_refresh_token = Some(delegated_refresh_token);
    Ok(Answer::Tokens(tokens))
}

pub async fn keys(State(app): State<Arc<App>>) -> Response {
    axum::Json(app.signer.jwks()).into_response()
}

pub async fn openid_configuration(State(app): State<Arc<App>>) -> Response {
    let u = &app.url;
    axum::Json(serde_json::json!({
        "issuer": app.issuer,
        "authorization_endpoint": format!("{u}/identity/authorize"),
        "token_endpoint": format!("{u}/identity/token"),
        "passcode_endpoint": format!("{u}/identity/passcode"),
        "jwks_uri": format!("{u}/identity/keys"),
        "response_types_supported": ["cloud_iam", delegated::RESPONSE_DELEGATED],
        "grant_types_supported": [
            GRANT_APIKEY, GRANT_PASSCODE, GRANT_REFRESH, GRANT_PASSWORD, GRANT_CR_TOKEN,
            GRANT_ASSUME, GRANT_DELEGATED,
        ],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid"],
        "claims_supported": [
            "iam_id", "id", "realmid", "session_id", "jti", "identifier", "given_name",
            "family_name", "name", "email", "sub", "sub_type", "authn", "account", "iat", "exp", "iss",
            "grant_type", "scope", "client_id", "acr", "amr", "aud",
        ],
    }))
    .into_response()
}

/// The promise of the token endpoint to any request, checked by the unit tests and the
/// `token` and `state` fuzz targets: an `Authorization` value and a form body, through the
/// token service's parsing and grants, are answered or refused with a `BXNIM` code and a
/// message.
#[cfg(any(test, fuzzing))]
pub(crate) fn check_token_request(app: &App, authorization: Option<&[u8]>, body: &[u8]) {
    let mut headers = HeaderMap::new();
    if let Some(v) = authorization.and_then(|v| axum::http::HeaderValue::from_bytes(v).ok()) {
        headers.insert(header::AUTHORIZATION, v);
    }
    let form = parse_form(body);
    if let Err(TokenError { code, message, .. }) = handle(app, &headers, &form) {
        assert!(
            code.starts_with("BXNIM") && !message.trim().is_empty(),
            "a token error without code or message: {code} {message:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::lock;
    use crate::model::seed::Seed;
    use crate::model::world::World;
    use proptest::prelude::*;

    fn app() -> App {
        let mut world = World::from_seed(&Seed::demo()).unwrap();
        world.reindex();
        App::new(
            "http://127.0.0.1:1".into(),
            crate::crypto::jwt::Signer::generate().unwrap(),
            world,
            HashMap::new(),
            crate::model::clock::Clock::default(),
            3600,
            3600,
            None,
        )
    }

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn expired_passcodes_are_refused() {
        let app = app();
        let code = app.new_passcode("IBMid-6650002SSO").unwrap();
        app.clock.advance(301).unwrap();
        let err = handle(
            &app,
            &HeaderMap::new(),
            &form(&[("grant_type", GRANT_PASSCODE), ("passcode", &code)]),
        )
        .unwrap_err();
        assert_eq!(err.code, codes::PASSCODE_INVALID);
        assert!(err.details.contains("expired"), "{}", err.details);

        let fresh = app.new_passcode("IBMid-6650002SSO").unwrap();
        let expires = lock(&app.passcodes)[&fresh].expires_at;
        assert!((expires - app.now() - 300).abs() <= 1);
    }

    #[test]
    fn sessions_end_when_the_user_leaves_the_account() {
        let app = app();
        let ok = handle(
            &app,
            &HeaderMap::new(),
            &form(&[
                ("grant_type", GRANT_PASSWORD),
                ("username", "demo@example.com"),
                ("password", "demo-password"),
            ]),
        );
        assert!(ok.is_ok());
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Basic Yng6Yng=".parse().unwrap());
        let Answer::Tokens(tok) = handle(
            &app,
            &headers,
            &form(&[
                ("grant_type", GRANT_PASSWORD),
                ("username", "demo@example.com"),
                ("password", "demo-password"),
            ]),
        )
        .unwrap() else {
            panic!("tokens expected");
        };
        crate::app::write(&app.world).users[0].accounts =
            vec![crate::model::demo::STAGING_ACCOUNT.into()];
        let err = handle(
            &app,
            &headers,
            &form(&[
                ("grant_type", GRANT_REFRESH),
                ("refresh_token", &tok.refresh_token),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.code, codes::SESSION_INACTIVE);
    }

    proptest! {
        // The `token` fuzz target's check, a few cases on every test run so a change that
        // breaks it is seen before bench/fuzz.sh runs.
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// The first line is the `Authorization` header (empty: none), the rest the form.
        #[test]
        fn any_token_request_is_answered_or_refused_with_a_code(
            input in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            static APP: std::sync::OnceLock<App> = std::sync::OnceLock::new();
            let app = APP.get_or_init(app);
            let (auth, body) = match input.iter().position(|&b| b == b'\n') {
                Some(i) => (&input[..i], &input[i + 1..]),
                None => (&input[..], &[][..]),
            };
            check_token_request(app, (!auth.is_empty()).then_some(auth), body);
        }
    }
}
