//! Starting a login: the first grant for each kind of credential, re-scoping a token to an
//! account, and saving the new login (its secrets first, the session file last, so a failed
//! login leaves the previous session byte-identical).

use super::vault::Vault;
use super::{AuthError, Credentials, Edit, Result, apply_tokens};
use crate::endpoints::Endpoints;
use crate::iam::{Client, Grant, IamError, TokenResponse, jwt};
use crate::secrets::SecretKind;
use crate::session::{Account, Login, LoginKind, ResourceGroup, SecretsMeta, Session, now};

/// What the user logs in with.
pub enum Credential {
    ApiKey(String),
    Password {
        username: String,
        password: String,
    },
    /// An SSO one-time code.
    Passcode(String),
}

impl Credential {
    pub fn kind(&self) -> LoginKind {
        match self {
            Credential::ApiKey(_) => LoginKind::Apikey,
            Credential::Password { .. } => LoginKind::Password,
            Credential::Passcode(_) => LoginKind::Sso,
        }
    }

    fn grant(&self) -> Grant<'_> {
        match self {
            Credential::ApiKey(key) => Grant::ApiKey(key),
            Credential::Password { username, password } => Grant::Password { username, password },
            Credential::Passcode(code) => Grant::Passcode(code),
        }
    }

    /// The secret kept beside the refresh token, so the session can log in again by itself.
    fn kept(&self) -> Option<(SecretKind, &str)> {
        match self {
            Credential::ApiKey(key) => Some((SecretKind::ApiKey, key)),
            Credential::Password { .. } | Credential::Passcode(_) => None,
        }
    }
}

/// The first grant: IAM refusing the credential is `Refused` (the user's to fix), a server
/// error or no answer is `Unavailable`.
pub fn authenticate(client: &Client, credential: &Credential) -> Result<TokenResponse> {
    client.token(credential.grant()).map_err(|e| match e {
        IamError::Rejected(api) if api.is_client_error() => AuthError::Refused(api),
        other => AuthError::Unavailable(other),
    })
}

/// The tokens scoped to `account` (a refresh grant naming it), unless they already are.
pub fn rescope(client: &Client, tokens: TokenResponse, account: &Account) -> Result<TokenResponse> {
    let claims = jwt::decode(&tokens.access_token).unwrap_or_default();
    if claims.account_bss() == Some(account.guid.as_str()) {
        return Ok(tokens);
    }
    let rt = tokens
        .usable_refresh_token()
        .ok_or(AuthError::NoRefreshToken)?;
    rescope_with(client, rt, account)
}

/// A refresh grant that moves the session to `account` (and its linked IMS account).
pub(super) fn rescope_with(
    client: &Client,
    refresh_token: &str,
    account: &Account,
) -> Result<TokenResponse> {
    client
        .token(Grant::Refresh {
            refresh_token,
            account: Some(&account.guid),
            ims_account: account.ims.as_deref(),
        })
        .map_err(|e| match e {
            IamError::Rejected(api) if api.is_client_error() => AuthError::AccountRefused {
                account: account.guid.clone(),
                source: api,
            },
            other => AuthError::Iam {
                doing: "Could not switch to the account",
                source: other,
            },
        })
}

/// Everything a new login is made of, once IAM has accepted the credential.
pub struct NewLogin<'a> {
    pub endpoints: Endpoints,
    pub skip_ssl_validation: bool,
    pub region: Option<String>,
    pub credential: &'a Credential,
    pub claims: &'a jwt::Claims,
    pub tokens: &'a TokenResponse,
    pub account: Option<Account>,
    pub resource_group: Option<ResourceGroup>,
}

impl Credentials {
    /// Saves a new login in place of `previous`: the previous login's stale secrets go, the
    /// new secrets are stored, and the session file is written last.
    pub fn start(
        &self,
        previous: Option<&Session>,
        new: NewLogin<'_>,
        vault: &Vault,
    ) -> Result<Session> {
        let mut session = Session {
            version: 0,
            api_endpoint: new.endpoints.api.clone(),
            iam_endpoint: new.endpoints.iam.clone(),
            accounts_endpoint: new.endpoints.accounts.clone(),
            resource_controller_endpoint: new.endpoints.resource_controller.clone(),
            skip_ssl_validation: new.skip_ssl_validation,
            region: new.region,
            login: None,
            // Secrets an earlier logout could not delete stay listed for the next logout.
            pending_deletes: previous
                .map(|s| s.pending_deletes.clone())
                .unwrap_or_default(),
        };
        let mut login = Login {
            kind: new.credential.kind(),
            user: new.claims.display_user(),
            iam_id: new.claims.iam_id.clone(),
            sub_type: new.claims.sub_type.clone(),
            account: new.account,
            resource_group: new.resource_group,
            access_token: String::new(),
            token_issued_at: 0,
            token_expires_at: 0,
            refresh_token_expires_at: None,
            login_at: now(),
            secrets: SecretsMeta::none(vault.kind()),
        };
        apply_tokens(&mut login, new.tokens);
        self.forget_previous_secrets(previous, &session, &login, vault);
        let slots = vault.of(&session.iam_endpoint, self.name(), &login.iam_id);
        if let Some(rt) = new.tokens.usable_refresh_token() {
            slots.set(SecretKind::RefreshToken, rt)?;
            login.secrets.mark(SecretKind::RefreshToken);
        }
        if let Some((kind, value)) = new.credential.kept() {
            slots.set(kind, value)?;
            login.secrets.mark(kind);
        }
        session.login = Some(login);
        let lock = self.store.lock()?;
        self.store.save(&lock, &session)?;
        Ok(session)
    }

    /// Secrets of the previous login that the new one does not overwrite: another identity or
    /// IAM endpoint, or an API key no longer needed. Best effort: a failure only warns.
    fn forget_previous_secrets(
        &self,
        previous: Option<&Session>,
        new_session: &Session,
        new_login: &Login,
        vault: &Vault,
    ) {
        let Some(prev) = previous else { return };
        let Some(old) = prev.login.as_ref() else {
            return;
        };
        let same_identity = old.iam_id == new_login.iam_id
            && prev.iam_endpoint == new_session.iam_endpoint
            && old.secrets.store == vault.kind();
        let stale: Vec<SecretKind> = old
            .secrets
            .kinds()
            .into_iter()
            .filter(|kind| match kind {
                // Overwritten by the new login when the identity is the same.
                SecretKind::RefreshToken => !same_identity,
                SecretKind::ApiKey => !same_identity || new_login.kind != LoginKind::Apikey,
                SecretKind::StoredKey => false,
            })
            .collect();
        if stale.is_empty() {
            return;
        }
        let delete_all = |v: &Vault| {
            let slots = v.of(&prev.iam_endpoint, self.name(), &old.iam_id);
            stale.iter().try_for_each(|k| slots.delete(*k))
        };
        let result = if old.secrets.store == vault.kind() {
            delete_all(vault)
        } else {
            Vault::open(old.secrets.store, self.home()).and_then(|v| delete_all(&v))
        };
        if let Err(e) = result {
            crate::output::warn(&format!(
                "could not delete the previous login's secrets: {e}"
            ));
        }
    }
}

impl Edit {
    /// Re-scopes the session's token to another account with its refresh token (`target -c`).
    pub fn switch_account(&mut self, client: &Client, account: &Account) -> Result<()> {
        let vault = Vault::open(self.login.secrets.store, self.creds.home())?;
        let slots = vault.of(
            &self.session.iam_endpoint,
            self.creds.name(),
            &self.login.iam_id,
        );
        let rt = slots.get(SecretKind::RefreshToken)?.ok_or_else(|| {
            AuthError::Expired("no refresh token is stored to switch accounts with".into())
        })?;
        let tokens = rescope_with(client, &rt, account)?;
        apply_tokens(&mut self.login, &tokens);
        if let Some(new_rt) = tokens.usable_refresh_token() {
            slots.set(SecretKind::RefreshToken, new_rt)?;
            self.login.secrets.mark(SecretKind::RefreshToken);
        }
        Ok(())
    }
}
