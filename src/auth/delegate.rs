//! Tokens for other OAuth clients through delegated refresh tokens: the session's refresh
//! token asks IAM for a refresh token only the receivers (`kube` for IBM Cloud Kubernetes
//! Service clusters) can redeem; the receiver's token is cached in the session beside the
//! access token and renewed single-flight, so kubectl's frequent calls read one file.

use super::kinds::REFRESH_TOKEN;
use super::record::{CachedToken, Login, Session};
use super::{AuthError, Credentials, Result};
use crate::iam::{Client, Grant, IamError, TokenResponse, jwt};
use crate::session::now;

impl Credentials {
    /// A fresh token issued to the OAuth client `receiver`.
    pub fn fresh_for_client(&self, receiver: &str) -> Result<CachedToken> {
        let (_, login) = self.logged_in()?;
        if let Some(t) = cached(&login, receiver) {
            return Ok(t);
        }
        // The session's own token first: renewing it may replace the refresh token that
        // the delegation is made from.
        self.fresh()?;
        let lock = self.store.lock()?;
        let (mut session, mut login) = self.logged_in()?;
        if let Some(t) = cached(&login, receiver) {
            return Ok(t);
        }
        let client = self.client(&session)?;
        let delegated = self.delegate(&client, &session, &login, receiver)?;
        let tokens = client
            .token(Grant::Redeem {
                delegated_refresh_token: &delegated,
                client: receiver,
            })
            .map_err(|source| AuthError::Iam {
                doing: "Could not redeem the delegated refresh token",
                source,
            })?;
        let token = receiver_token(tokens)?;
        login.delegated.insert(receiver.to_string(), token.clone());
        session.login = Some(login);
        self.store.save(&lock, &session)?;
        Ok(token)
    }

    /// A delegated refresh token for `receivers` (a comma list of OAuth clients), to hand to
    /// another service; never the session's own refresh token.
    pub fn delegated_refresh_token(&self, receivers: &str) -> Result<String> {
        let (session, login) = self.fresh()?;
        let client = self.client(&session)?;
        self.delegate(&client, &session, &login, receivers)
    }

    fn delegate(
        &self,
        client: &Client,
        session: &Session,
        login: &Login,
        receivers: &str,
    ) -> Result<String> {
        let no_delegation = || AuthError::NoDelegation {
            renewal: login.kind.renewal(),
        };
        if !login.kind.own_refresh_token() || !login.secrets.keeps(&REFRESH_TOKEN) {
            return Err(no_delegation());
        }
        let vault = self.vault(login.secrets.store)?;
        let rt = vault
            .of(&session.iam_endpoint, self.name(), login.secrets_iam_id())
            .get(&REFRESH_TOKEN)?
            .ok_or_else(no_delegation)?;
        let tokens = client
            .token(Grant::Delegate {
                refresh_token: &rt,
                receivers,
            })
            .map_err(|e| match e {
                IamError::Rejected(api) if api.is_client_error() => AuthError::Iam {
                    doing: "IAM refused a delegated refresh token",
                    source: IamError::Rejected(api),
                },
                other => AuthError::Unavailable(other),
            })?;
        tokens
            .delegated_refresh_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AuthError::Iam {
                doing: "Could not get a delegated refresh token",
                source: IamError::Unexpected {
                    what: "IAM (token)".into(),
                    detail: "the answer has no delegated_refresh_token".into(),
                },
            })
    }
}

/// The receiver's cached token, while it is outside the refresh window.
fn cached(login: &Login, receiver: &str) -> Option<CachedToken> {
    login
        .delegated
        .get(receiver)
        .filter(|t| !t.needs_refresh(now()))
        .cloned()
}

/// What a receiver presents: its ID token (clusters validate it as OpenID Connect), else its
/// access token; with the times from the token itself.
fn receiver_token(tokens: TokenResponse) -> Result<CachedToken> {
    let token = tokens
        .id_token
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| tokens.access_token.clone());
    let claims = jwt::decode(&token).unwrap_or_default();
    let (issued_at, expires_at) = tokens.times(&claims);
    Ok(CachedToken {
        token,
        issued_at,
        expires_at,
    })
}
