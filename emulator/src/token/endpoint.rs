//! `POST /identity/token`: the grants (the trusted-profile ones decide in `profile_grants`),
//! client credentials, refresh-token sessions and the access token's claim set. Delegated
//! refresh tokens are delegated.rs's; the registered clients are clients.rs's.

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

use crate::app::{App, GrantCounted, Session, lock, read};
use crate::crypto::claims::{AccountClaim, Authn, Claims};
use crate::crypto::random::random_token;
use crate::http::errors::{self as codes, TokenError};
use crate::model::world::{Principal, World};
use crate::token::clients;
use crate::token::delegated::{self, GRANT_DELEGATED, ResponseTypes};
use crate::token::form::{field, optional, parse_form};
use crate::token::profile_grants::{self, GRANT_ASSUME, GRANT_CR_TOKEN, ProfileGrant};

pub const GRANT_APIKEY: &str = "urn:ibm:params:oauth:grant-type:apikey";
pub const GRANT_PASSCODE: &str = "urn:ibm:params:oauth:grant-type:passcode";
pub const GRANT_REFRESH: &str = "refresh_token";
pub const GRANT_PASSWORD: &str = "password";

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// For clients that get one (`kube`): the OpenID Connect ID token.
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    refresh_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ims_user_id: Option<u64>,
    token_type: &'static str,
    pub expires_in: u64,
    pub expiration: i64,
    scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token_expiration: Option<i64>,
    session_id: String,
    /// With `response_type=cloud_iam delegated_refresh_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    delegated_refresh_token: Option<String>,
}

/// The token endpoint's success body: tokens, or with `response_type=delegated_refresh_token`
/// alone only `{"delegated_refresh_token": ...}`, as IBM documents it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Answer {
    Tokens(TokenResponse),
    Delegated { delegated_refresh_token: String },
}

/// Everything a successful grant decided; `issue` turns it into tokens.
pub struct Grant {
    iam_id: String,
    account_id: String,
    grant_type: String,
    amr: Vec<String>,
    session_id: Option<String>,
    apikey_id: Option<String>,
    /// Trusted profiles' tokens: who authenticated to get it.
    authn: Option<Authn>,
}

impl Grant {
    /// A trusted profile's token, from a grant of type `grant_type`.
    pub fn profile(p: ProfileGrant, grant_type: &str) -> Grant {
        Grant {
            iam_id: p.iam_id,
            account_id: p.account_id,
            grant_type: grant_type.to_owned(),
            amr: vec![],
            session_id: None,
            apikey_id: None,
            authn: Some(p.authn),
        }
    }
}

/// A delegated refresh token's delegator, redeemed.
impl From<Session> for Grant {
    fn from(s: Session) -> Grant {
        Grant {
            iam_id: s.iam_id,
            account_id: s.account_id,
            grant_type: s.origin_grant,
            amr: s.amr,
            session_id: Some(s.session_id),
            apikey_id: s.apikey_id,
            // Delegated refresh tokens come from user and service-ID sessions only.
            authn: None,
        }
    }
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

fn apikey_grant(world: &World, form: &HashMap<String, String>) -> Result<Grant, TokenError> {
    let value = field(form, "apikey")?;
    let Some(key) = world.api_key_by_value(value) else {
        return Err(TokenError::new(
            codes::APIKEY_NOT_FOUND,
            "Provided API key could not be found.",
            "Provided API key could not be found.",
        ));
    };
    if key.disabled {
        return Err(TokenError::new(
            codes::APIKEY_DISABLED,
            "Provided API key is disabled.",
            "The API key was disabled; enable it to log in with it again.",
        ));
    }
    Ok(Grant {
        iam_id: key.iam_id.clone(),
        account_id: key.account_id.clone(),
        grant_type: GRANT_APIKEY.into(),
        amr: vec!["pwd".into()],
        session_id: None,
        apikey_id: Some(key.id.clone()),
        authn: None,
    })
}

fn password_grant(world: &World, form: &HashMap<String, String>) -> Result<Grant, TokenError> {
    let username = field(form, "username")?;
    let password = form
        .get("password")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| TokenError::missing("password"))?;
    let wrong = || {
        TokenError::new(
            codes::WRONG_PASSWORD,
            "Provided user not found or active or password not valid.",
            "The username or password is not correct.",
        )
    };
    let user = world.user_by_login(username).ok_or_else(wrong)?;
    if user.federated {
        return Err(TokenError::new(
            codes::FEDERATED_USER,
            "You are using a federated user ID; log in with a one-time passcode or an API key.",
            format!(
                "Federated users cannot log in with a password. Get a one-time passcode at the \
                 passcode_endpoint of /identity/.well-known/openid-configuration and use the \
                 grant type {GRANT_PASSCODE} (ibmcloud login --sso), or use an API key."
            ),
        ));
    }
    if user.password.as_deref() != Some(password.as_str()) {
        return Err(wrong());
    }
    Ok(Grant {
        iam_id: user.iam_id.clone(),
        account_id: home_account(user)?,
        grant_type: GRANT_PASSWORD.into(),
        amr: vec!["pwd".into()],
        session_id: None,
        apikey_id: None,
        authn: None,
    })
}

/// Password and passcode logins land in the user's first account.
fn home_account(user: &crate::model::world::User) -> Result<String, TokenError> {
    user.accounts.first().cloned().ok_or_else(|| {
        TokenError::new(
            codes::SESSION_INACTIVE,
            "The user belongs to no account.",
            "The user is not a member of any account.",
        )
    })
}

fn passcode_grant(
    app: &App,
    world: &World,
    form: &HashMap<String, String>,
) -> Result<Grant, TokenError> {
    let code = field(form, "passcode")?;
    let invalid = |details: &str| {
        TokenError::new(
            codes::PASSCODE_INVALID,
            "Provided passcode is invalid or expired.",
            details,
        )
    };
    let iam_id = {
        let mut codes = lock(&app.passcodes);
        let p = codes
            .get_mut(code)
            .ok_or_else(|| invalid("The passcode is not known."))?;
        if p.used {
            return Err(invalid(
                "The passcode was already used; passcodes are single use.",
            ));
        }
        if p.expires_at <= app.now() {
            return Err(invalid(
                "The passcode expired; passcodes are valid for 5 minutes.",
            ));
        }
        p.used = true;
        p.iam_id.clone()
    };
    let user = world
        .user(&iam_id)
        .ok_or_else(|| invalid("The user of this passcode no longer exists."))?;
    Ok(Grant {
        iam_id: user.iam_id.clone(),
        account_id: home_account(user)?,
        grant_type: GRANT_PASSCODE.into(),
        amr: vec!["sso".into()],
        session_id: None,
        apikey_id: None,
        authn: None,
    })
}

fn refresh_grant(
    app: &App,
    world: &World,
    form: &HashMap<String, String>,
    client_id: &str,
) -> Result<Grant, TokenError> {
    let token = field(form, "refresh_token")?;
    let invalid = |details: &str| {
        TokenError::new(
            codes::REFRESH_INVALID,
            "Provided refresh token is invalid.",
            details,
        )
    };
    let session = lock(&app.sessions).get(token).cloned().ok_or_else(|| {
        delegated::misused_as_refresh_token(app, token)
            .unwrap_or_else(|| invalid("The refresh token is not known."))
    })?;
    if session.revoked {
        return Err(invalid("The refresh token was revoked."));
    }
    if session.client_id != client_id {
        return Err(invalid(
            "The refresh token was issued to a different client; use the same client credentials as the grant that created it.",
        ));
    }
    if session.expires_at <= app.now() {
        return Err(TokenError::new(
            codes::REFRESH_EXPIRED,
            "Provided refresh token is expired.",
            "The refresh token expired; log in again.",
        ));
    }
    let inactive =
        |details: &str| TokenError::new(codes::SESSION_INACTIVE, "Session is not active.", details);
    let principal = world
        .principal(&session.iam_id)
        .ok_or_else(|| inactive("The identity of this session no longer exists."))?;
    if let Some(key_id) = &session.apikey_id {
        match world.api_keys.get(key_id) {
            Some(k) if !k.disabled => {}
            Some(_) => return Err(inactive("The API key of this session was disabled.")),
            None => return Err(inactive("The API key of this session was deleted.")),
        }
    }
    let mut account_id = session.account_id.clone();
    let requested = optional(form, "account");
    let requested_ims = optional(form, "ims_account");
    if requested.is_some() || requested_ims.is_some() {
        let target = match (requested, requested_ims) {
            (Some(bss), ims) => world
                .account(bss)
                .filter(|a| ims.is_none() || a.ims.as_deref() == ims),
            (None, Some(ims)) => world.account_by_ims(ims),
            (None, None) => None,
        };
        let target = target
            .filter(|a| principal.belongs_to(&a.id))
            .ok_or_else(|| {
                let asked = requested.or(requested_ims).unwrap_or_default();
                TokenError::new(
                    codes::ACCOUNT_NOT_ALLOWED,
                    "The identity does not belong to the requested account.",
                    format!("Account '{asked}' is not an account this identity belongs to."),
                )
            })?;
        account_id = target.id.clone();
    }
    if !principal.belongs_to(&account_id) {
        return Err(inactive(
            "The identity no longer belongs to the session's account.",
        ));
    }
    Ok(Grant {
        iam_id: session.iam_id.clone(),
        account_id,
        grant_type: session.origin_grant.clone(),
        amr: session.amr.clone(),
        session_id: Some(session.session_id.clone()),
        apikey_id: session.apikey_id.clone(),
        authn: None,
    })
}

/// Signs the access token a grant decided on and, for a client with credentials, starts or
/// continues a refresh session (never for trusted profiles, whose clients grant again).
pub fn issue(
    app: &App,
    world: &World,
    grant: Grant,
    client_id: &str,
) -> Result<TokenResponse, TokenError> {
    let internal = |e: String| {
        TokenError::new("BXNIM0500E", "Internal error.", e)
            .status(StatusCode::INTERNAL_SERVER_ERROR)
    };
    let principal = world
        .principal(&grant.iam_id)
        .ok_or_else(|| internal("identity vanished".into()))?;
    let account = world
        .account(&grant.account_id)
        .ok_or_else(|| internal("account vanished".into()))?;
    let iat = app.now();
    let ttl = app.token_ttl();
    let session_id = grant
        .session_id
        .clone()
        .unwrap_or_else(|| format!("C-{}", uuid::Uuid::new_v4()));
    let account_claim = AccountClaim {
        boundary: "global".into(),
        valid: true,
        bss: account.id.clone(),
        ims: account.ims.clone(),
        frozen: true,
    };
    let (mut claims, ims_user_id) = match principal {
        Principal::User(u) => (
            Claims {
                iam_id: u.iam_id.clone(),
                id: u.iam_id.clone(),
                realmid: "IBMid".into(),
                session_id: session_id.clone(),
                jti: String::new(),
                identifier: u.identifier().to_owned(),
                given_name: Some(u.given_name.clone()),
                family_name: Some(u.family_name.clone()),
                name: Some(u.name()),
                email: Some(u.email.clone()),
                sub: u.email.clone(),
                sub_type: "User".into(),
                authn: None,
                account: account_claim,
                iat,
                exp: 0,
                iss: String::new(),
                grant_type: String::new(),
                scope: String::new(),
                client_id: String::new(),
                acr: 1,
                amr: vec![],
            },
            Some(u.ims_user_id),
        ),
        Principal::Service(s) => (
            Claims {
                iam_id: s.iam_id.clone(),
                id: s.iam_id.clone(),
                realmid: "iam".into(),
                session_id: session_id.clone(),
                jti: String::new(),
                identifier: s.id.clone(),
                given_name: None,
                family_name: None,
                name: Some(s.name.clone()),
                email: None,
                sub: s.id.clone(),
                sub_type: "ServiceId".into(),
                authn: None,
                account: account_claim,
                iat,
                exp: 0,
                iss: String::new(),
                grant_type: String::new(),
                scope: String::new(),
                client_id: String::new(),
                acr: 1,
                amr: vec![],
            },
            None,
        ),
        Principal::Profile(p) => (
            Claims {
                iam_id: p.iam_id.clone(),
                id: p.iam_id.clone(),
                realmid: "iam".into(),
                session_id: session_id.clone(),
                jti: String::new(),
                identifier: p.id.clone(),
                given_name: None,
                family_name: None,
                name: Some(p.name.clone()),
                email: None,
                sub: p.id.clone(),
                sub_type: "Profile".into(),
                authn: grant.authn.clone(),
                account: account_claim,
                iat,
                exp: 0,
                iss: String::new(),
                grant_type: String::new(),
                scope: String::new(),
                client_id: String::new(),
                acr: 1,
                amr: vec![],
            },
            None,
        ),
    };
    let is_profile = matches!(principal, Principal::Profile(_));
    claims.jti = uuid::Uuid::new_v4().to_string();
    claims.exp = iat + ttl as i64;
    claims.iss = app.issuer.clone();
    claims.grant_type = grant.grant_type.clone();
    claims.scope = clients::scope(client_id).into();
    claims.client_id = client_id.to_owned();
    claims.amr = grant.amr.clone();
    let access_token = app.signer.sign(&claims).map_err(internal)?;
    let id_token = if clients::issues_id_token(client_id) {
        Some(clients::id_token(app, &claims, client_id).map_err(internal)?)
    } else {
        None
    };

    // Without client credentials IAM hands out no usable refresh token; trusted profiles' tokens
    // never have one (their clients grant again with a fresh cr token or caller token).
    let (refresh_token, refresh_token_expiration) = if client_id == "default" || is_profile {
        ("not_supported".to_owned(), None)
    } else {
        let expires_at = iat + app.refresh_ttl() as i64;
        let rt = random_token(48);
        app.insert_session(
            rt.clone(),
            Session {
                session_id: session_id.clone(),
                iam_id: grant.iam_id,
                account_id: grant.account_id,
                client_id: client_id.to_owned(),
                expires_at,
                origin_grant: grant.grant_type,
                amr: grant.amr,
                apikey_id: grant.apikey_id,
                revoked: false,
            },
        );
        (rt, Some(expires_at))
    };
    Ok(TokenResponse {
        access_token,
        id_token,
        refresh_token,
        ims_user_id,
        token_type: "Bearer",
        expires_in: ttl,
        expiration: iat + ttl as i64,
        scope: clients::scope(client_id),
        refresh_token_expiration,
        session_id,
        delegated_refresh_token: None,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::seed::Seed;

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
        let code = app.new_passcode("IBMid-6650002SSO");
        app.clock.advance(301).unwrap();
        let err = handle(
            &app,
            &HeaderMap::new(),
            &form(&[("grant_type", GRANT_PASSCODE), ("passcode", &code)]),
        )
        .unwrap_err();
        assert_eq!(err.code, codes::PASSCODE_INVALID);
        assert!(err.details.contains("expired"), "{}", err.details);

        let fresh = app.new_passcode("IBMid-6650002SSO");
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
            vec![crate::model::seed::STAGING_ACCOUNT.into()];
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
}
