//! Delegated refresh tokens (IBM Cloud Kubernetes Service's login flow, IBM COS's
//! `DelegatedTokenManager`): the API-key and refresh-token grants hand out, with
//! `response_type=delegated_refresh_token`, a token that only the clients named in
//! `receiver_client_ids` can redeem, with
//! `grant_type=urn:ibm:params:oauth:grant-type:delegated-refresh-token` and their own Basic
//! credentials, for tokens issued to them (with an OpenID Connect ID token for `kube`).
//!
//! The token endpoint (endpoint.rs) parses and dispatches; this module decides what a response
//! type asks for, validates the receivers and the expiry, and stores and redeems delegations.

use std::collections::HashMap;

use crate::app::{App, lock};
use crate::crypto::random::random_token;
use crate::http::errors::{self as codes, TokenError};
use crate::model::session::{Delegation, Session};
use crate::model::world::World;
use crate::token::clients::{self, DEFAULT_CLIENT};

pub const GRANT_DELEGATED: &str = "urn:ibm:params:oauth:grant-type:delegated-refresh-token";
pub const RESPONSE_CLOUD_IAM: &str = "cloud_iam";
pub const RESPONSE_DELEGATED: &str = "delegated_refresh_token";

/// How long a delegated refresh token may wait to be redeemed when the request does not say:
/// IBM's default, 518,400 s (six days).
pub const DEFAULT_EXPIRY: i64 = 518_400;
/// The longest `delegated_refresh_token_expiry` accepted (chosen: IBM publishes no bound),
/// 30 days, the default lifetime of a refresh token.
pub const MAX_EXPIRY: i64 = 30 * 24 * 3600;

/// What `response_type` asks for. IBM documents `cloud_iam`, `delegated_refresh_token` and
/// the two together, space-separated (`cloud_iam delegated_refresh_token`); IBM's Go CLI SDK
/// joins several with commas. Both separators, in any order, are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseTypes {
    /// Access token (and refresh token, for clients): the usual answer.
    pub cloud_iam: bool,
    /// A delegated refresh token in `delegated_refresh_token`.
    pub delegated: bool,
}

impl ResponseTypes {
    /// No `response_type` is `cloud_iam`.
    pub fn parse(value: Option<&str>) -> Result<ResponseTypes, TokenError> {
        let Some(value) = value else {
            return Ok(ResponseTypes {
                cloud_iam: true,
                delegated: false,
            });
        };
        let mut types = ResponseTypes {
            cloud_iam: false,
            delegated: false,
        };
        for part in value
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
        {
            match part {
                RESPONSE_CLOUD_IAM => types.cloud_iam = true,
                RESPONSE_DELEGATED => types.delegated = true,
                _ => return Err(invalid_response_type(value)),
            }
        }
        if !types.cloud_iam && !types.delegated {
            return Err(invalid_response_type(value));
        }
        Ok(types)
    }

    /// Only the delegated refresh token: the answer is `{"delegated_refresh_token": ...}`.
    pub fn delegated_only(&self) -> bool {
        self.delegated && !self.cloud_iam
    }
}

fn invalid_response_type(value: &str) -> TokenError {
    TokenError::new(
        codes::INVALID_PROPERTY,
        format!(
            "Validation of property 'response_type' with value '{value}' failed. Valid values: \
             'cloud_iam', 'delegated_refresh_token', 'cloud_iam delegated_refresh_token'"
        ),
        "Property validation failed.",
    )
}

/// A valid request for a delegated refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Client ids that may redeem it, each a registered receiver, without repeats.
    pub receivers: Vec<String>,
    /// Seconds until it can no longer be redeemed.
    pub expiry: i64,
}

fn optional<'a>(form: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// The delegation a request asks for, if its response type names one. `grant_allows` says
/// whether the request's grant can delegate (IBM documents the API-key and refresh-token
/// grants).
pub fn request(
    form: &HashMap<String, String>,
    types: ResponseTypes,
    grant_type: &str,
    grant_allows: bool,
) -> Result<Option<Request>, TokenError> {
    if !types.delegated {
        return Ok(None);
    }
    if !grant_allows {
        return Err(TokenError::new(
            codes::INVALID_PROPERTY,
            format!(
                "Response type '{RESPONSE_DELEGATED}' is not supported with grant type '{grant_type}'."
            ),
            "Ask for a delegated refresh token with the API key grant \
             (urn:ibm:params:oauth:grant-type:apikey) or the refresh token grant.",
        ));
    }
    let listed = optional(form, "receiver_client_ids")
        .ok_or_else(|| TokenError::missing("receiver_client_ids"))?;
    let mut receivers: Vec<String> = Vec::new();
    for id in listed.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match clients::find(id) {
            Some(c) if c.receiver => {
                if !receivers.iter().any(|r| r == id) {
                    receivers.push(id.to_owned());
                }
            }
            _ => {
                let known: Vec<&str> = clients::CLIENTS
                    .iter()
                    .filter(|c| c.receiver)
                    .map(|c| c.id)
                    .collect();
                return Err(TokenError::new(
                    codes::INVALID_PROPERTY,
                    format!(
                        "Client ID '{id}' in property 'receiver_client_ids' is not a known receiver of delegated refresh tokens."
                    ),
                    format!("Receiver client IDs this IAM knows: {}.", known.join(", ")),
                ));
            }
        }
    }
    if receivers.is_empty() {
        return Err(TokenError::missing("receiver_client_ids"));
    }
    let expiry = match optional(form, "delegated_refresh_token_expiry") {
        None => DEFAULT_EXPIRY,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|s| (1..=MAX_EXPIRY).contains(s))
            .ok_or_else(|| {
                TokenError::new(
                    codes::INVALID_PROPERTY,
                    format!(
                        "Validation of property 'delegated_refresh_token_expiry' with value '{v}' failed. \
                         It must be a whole number of seconds from 1 to {MAX_EXPIRY}."
                    ),
                    "Property validation failed.",
                )
            })?,
    };
    Ok(Some(Request { receivers, expiry }))
}

/// Stores a delegation of `session` (the delegator: identity, account, origin grant, the
/// client that asked) and returns its delegated refresh token.
pub fn issue(app: &App, request: &Request, mut session: Session) -> String {
    session.expires_at = app.now() + request.expiry;
    session.revoked = false;
    let token = random_token(48);
    app.insert_delegation(
        token.clone(),
        Delegation {
            session,
            receivers: request.receivers.clone(),
        },
    );
    token
}

fn invalid(message: &str, details: impl Into<String>) -> TokenError {
    TokenError::new(codes::REFRESH_INVALID, message, details)
}

/// The delegated grant: the delegator's session, once `client_id` is shown to be one of the
/// token's receivers and the token and session are still good. Errors in IAM's shape, each
/// with its own message.
pub fn redeem(
    app: &App,
    world: &World,
    form: &HashMap<String, String>,
    client_id: &str,
) -> Result<Session, TokenError> {
    if client_id == DEFAULT_CLIENT {
        return Err(TokenError::new(
            codes::NO_AUTH_HEADER,
            "No authorization header found",
            format!(
                "The grant type {GRANT_DELEGATED} needs the Basic client credentials of a \
                 receiver client (Authorization: Basic base64(kube:kube) for kube)."
            ),
        ));
    }
    let token =
        optional(form, "refresh_token").ok_or_else(|| TokenError::missing("refresh_token"))?;
    let Some(delegation) = lock(&app.delegations).get(token).cloned() else {
        if lock(&app.sessions).contains_key(token) {
            return Err(invalid(
                "Provided refresh token is not a delegated refresh token.",
                format!(
                    "The grant type {GRANT_DELEGATED} takes a delegated refresh token \
                     (response_type=delegated_refresh_token); renew a refresh token with \
                     grant_type=refresh_token and the client it was issued to."
                ),
            ));
        }
        return Err(invalid(
            "Provided delegated refresh token is invalid.",
            "The delegated refresh token is not known.",
        ));
    };
    if delegation.session.revoked {
        return Err(invalid(
            "Provided delegated refresh token was revoked.",
            "The delegated refresh token was revoked; ask for a new one.",
        ));
    }
    if !delegation.receivers.iter().any(|r| r == client_id) {
        return Err(invalid(
            "Provided delegated refresh token was not issued to this client.",
            format!(
                "Client '{client_id}' is not among the receivers of this delegated refresh token ({}).",
                delegation.receivers.join(", ")
            ),
        ));
    }
    if delegation.session.expires_at <= app.now() {
        return Err(TokenError::new(
            codes::REFRESH_EXPIRED,
            "Provided delegated refresh token is expired.",
            "The delegated refresh token was not redeemed within its delegated_refresh_token_expiry; ask for a new one.",
        ));
    }
    still_active(world, &delegation.session)?;
    Ok(delegation.session.clone())
}

/// The message for a delegated refresh token presented to the refresh-token grant, or `None`
/// when `token` is no delegated refresh token.
pub fn misused_as_refresh_token(app: &App, token: &str) -> Option<TokenError> {
    let delegation = lock(&app.delegations).get(token).cloned()?;
    Some(invalid(
        "Provided refresh token is a delegated refresh token.",
        format!(
            "Only its receiver clients ({}) can redeem it, with grant_type {GRANT_DELEGATED} and \
             their own client credentials.",
            delegation.receivers.join(", ")
        ),
    ))
}

/// The delegator must still exist, keep its API key (when it logged in with one) and belong to
/// the account, as for a refresh.
fn still_active(world: &World, session: &Session) -> Result<(), TokenError> {
    let inactive =
        |details: &str| TokenError::new(codes::SESSION_INACTIVE, "Session is not active.", details);
    let principal = world
        .principal(&session.iam_id)
        .ok_or_else(|| inactive("The identity that delegated this token no longer exists."))?;
    if let Some(key_id) = &session.apikey_id {
        match world.api_keys.get(key_id) {
            Some(k) if !k.disabled => {}
            Some(_) => {
                return Err(inactive(
                    "The API key that delegated this token was disabled.",
                ));
            }
            None => {
                return Err(inactive(
                    "The API key that delegated this token was deleted.",
                ));
            }
        }
    }
    if !principal.belongs_to(&session.account_id) {
        return Err(inactive(
            "The identity that delegated this token no longer belongs to its account.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn response_types_in_every_documented_form() {
        let both = ResponseTypes {
            cloud_iam: true,
            delegated: true,
        };
        for v in [
            "cloud_iam delegated_refresh_token",
            "delegated_refresh_token cloud_iam",
            "cloud_iam,delegated_refresh_token",
            "cloud_iam, delegated_refresh_token",
            " delegated_refresh_token,cloud_iam ",
        ] {
            assert_eq!(ResponseTypes::parse(Some(v)).unwrap(), both, "{v}");
        }
        let only = ResponseTypes::parse(Some("delegated_refresh_token")).unwrap();
        assert!(only.delegated_only());
        let plain = ResponseTypes::parse(None).unwrap();
        assert!(plain.cloud_iam && !plain.delegated);
        assert_eq!(ResponseTypes::parse(Some("cloud_iam")).unwrap(), plain);
        for v in [
            "uaa",
            "cloud_iam uaa",
            ",",
            "delegated_refresh_tokens",
            "CLOUD_IAM",
        ] {
            let e = ResponseTypes::parse(Some(v)).unwrap_err();
            assert_eq!(e.code, codes::INVALID_PROPERTY, "{v}");
        }
    }

    #[test]
    fn receivers_and_expiry_are_validated() {
        let both = ResponseTypes::parse(Some("delegated_refresh_token")).unwrap();
        let ok = request(
            &form(&[("receiver_client_ids", " kube, kube ,")]),
            both,
            "g",
            true,
        )
        .unwrap()
        .unwrap();
        assert_eq!(ok.receivers, ["kube"]);
        assert_eq!(ok.expiry, DEFAULT_EXPIRY);
        let e = request(&form(&[]), both, "g", true).unwrap_err();
        assert_eq!(e.code, codes::MISSING_PROPERTY);
        let e = request(&form(&[("receiver_client_ids", " , ")]), both, "g", true).unwrap_err();
        assert_eq!(e.code, codes::MISSING_PROPERTY);
        for bad in ["nope", "kube,nope", "bx", "default"] {
            let e = request(&form(&[("receiver_client_ids", bad)]), both, "g", true).unwrap_err();
            assert_eq!(e.code, codes::INVALID_PROPERTY, "{bad}");
            assert!(e.message.contains("receiver"), "{}", e.message);
        }
        for bad in ["0", "-5", "1.5", "ten", "99999999999999999999", "2592001"] {
            let e = request(
                &form(&[
                    ("receiver_client_ids", "kube"),
                    ("delegated_refresh_token_expiry", bad),
                ]),
                both,
                "g",
                true,
            )
            .unwrap_err();
            assert!(
                e.message.contains("delegated_refresh_token_expiry"),
                "{bad}"
            );
        }
        let e = request(
            &form(&[("receiver_client_ids", "kube")]),
            both,
            "password",
            false,
        )
        .unwrap_err();
        assert!(e.message.contains("password"), "{}", e.message);
        let plain = ResponseTypes::parse(None).unwrap();
        assert_eq!(request(&form(&[]), plain, "password", false).unwrap(), None);
    }
}
