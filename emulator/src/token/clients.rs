//! The registered OAuth clients of the token service: who may present Basic credentials, and
//! what the tokens issued to each look like (scope, ID token). Adding a client is adding a
//! row to `CLIENTS`.

use serde::Serialize;

use crate::app::App;
use crate::crypto::jwt::SignError;

/// One OAuth client, as IAM knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OAuthClient {
    pub id: &'static str,
    pub secret: &'static str,
    /// The `scope` of its tokens (claim and answer field).
    pub scope: &'static str,
    /// Its answers carry an OpenID Connect `id_token` whose `aud` is the client.
    pub id_token: bool,
    /// It may be named in `receiver_client_ids` and redeem delegated refresh tokens.
    pub receiver: bool,
}

/// The scope of tokens issued without client credentials (client `default`).
pub const DEFAULT_SCOPE: &str = "ibm openid";

/// The client id of requests without client credentials.
pub const DEFAULT_CLIENT: &str = "default";

pub const CLIENTS: &[OAuthClient] = &[
    // The `ibmcloud` CLI's client, which iamctl and IBM's SDKs use for refresh tokens.
    OAuthClient {
        id: "bx",
        secret: "bx",
        scope: DEFAULT_SCOPE,
        id_token: false,
        receiver: false,
    },
    // IBM Cloud Kubernetes Service: its clusters accept the ID token IAM issues to `kube`.
    OAuthClient {
        id: "kube",
        secret: "kube",
        scope: "ibm openid containers-kubernetes",
        id_token: true,
        receiver: true,
    },
];

/// The client with this id.
pub fn find(id: &str) -> Option<&'static OAuthClient> {
    CLIENTS.iter().find(|c| c.id == id)
}

/// The client whose id and secret these are.
pub fn authenticate(id: &str, secret: &str) -> Option<&'static OAuthClient> {
    find(id).filter(|c| c.secret == secret)
}

/// The scope of tokens issued to `client_id` (`default` included).
pub fn scope(client_id: &str) -> &'static str {
    find(client_id).map_or(DEFAULT_SCOPE, |c| c.scope)
}

/// Whether tokens issued to `client_id` come with an ID token.
pub fn issues_id_token(client_id: &str) -> bool {
    find(client_id).is_some_and(|c| c.id_token)
}

/// An OpenID Connect ID token for `client_id`: the access token's claims (the identity, its
/// account, `iat`, `exp`, `iss`), its own `jti`, and `aud` naming the client, signed with the
/// emulator's key so a relying party verifies it with `GET /identity/keys`.
pub fn id_token<T: Serialize>(app: &App, claims: &T, client_id: &str) -> Result<String, SignError> {
    let mut value = serde_json::to_value(claims).map_err(SignError::Claims)?;
    let object = value.as_object_mut().ok_or(SignError::NotAnObject)?;
    object.insert("aud".into(), client_id.into());
    object.insert("jti".into(), uuid::Uuid::new_v4().to_string().into());
    app.signer.sign(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_unique_and_authenticate_by_secret() {
        for (i, c) in CLIENTS.iter().enumerate() {
            assert!(CLIENTS[i + 1..].iter().all(|o| o.id != c.id), "{}", c.id);
            assert_ne!(c.id, "default", "the id of callers without credentials");
        }
        assert_eq!(authenticate("bx", "bx").map(|c| c.id), Some("bx"));
        assert_eq!(authenticate("kube", "kube").map(|c| c.id), Some("kube"));
        assert!(authenticate("kube", "bx").is_none());
        assert!(authenticate("default", "").is_none());
        assert_eq!(scope("default"), "ibm openid");
        assert_eq!(scope("kube"), "ibm openid containers-kubernetes");
        assert!(issues_id_token("kube") && !issues_id_token("bx"));
    }
}
