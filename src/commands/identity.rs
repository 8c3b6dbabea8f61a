//! What every IAM Identity command (service IDs, API keys, trusted profiles) shares: the logged-in context,
//! telling IDs from names, and the errors for ambiguous names, missing entities and refused
//! changes.

use super::errors::login_needed;
use crate::auth::{AuthError, Login, Services, Session};
use crate::completion_cache::{self, Learnt};
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::home::Home;
use crate::iam::identity::{ApiKey, Identity, ServiceId, TrustedProfile};
use crate::iam::{Account, Bearer, Client, IamError};
use crate::output::Out;
use std::cell::{Cell, RefCell};

/// A logged-in session with a fresh token, the targeted account and an HTTP client.
pub struct IamCtx {
    pub out: Out,
    services: Services,
    pub session: Session,
    pub login: Login,
    pub account: Account,
    client: Client,
    home: Home,
    bearer: RenewOnce<'static>,
}

impl IamCtx {
    /// Exit 3 when not logged in; the token is refreshed first if it is near expiry.
    pub fn open(cx: &Context) -> Result<IamCtx> {
        let creds = cx.credentials()?;
        let (session, login) = creds.fresh().map_err(|e| login_needed(cx, &creds, e))?;
        let account = login.account.clone().ok_or_else(|| {
            CliError::failed("No account is targeted, and service IDs and API keys live in one.")
                .hint("target one: 'iamctl target -c ACCOUNT_ID'")
        })?;
        let client: Client = creds.client(&session)?;
        let home = creds.home().clone();
        let bearer = RenewOnce::new(login.access_token.clone(), move |rejected| {
            let (_, login) = creds.renewed_after_rejection(rejected)?;
            Ok(login.access_token)
        });
        Ok(IamCtx {
            out: cx.out,
            services: cx.services().clone(),
            session,
            login,
            account,
            client,
            home,
            bearer,
        })
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    /// What the credentials layer is given, for a key kept with `--keyring`.
    pub fn services(&self) -> &Services {
        &self.services
    }

    pub fn api(&self) -> Identity<'_> {
        Identity::new(&self.client, &self.bearer)
    }

    /// IAM Policy Management, Access Groups and the account's users, with the same token.
    pub fn access(&self) -> crate::iam::access::Access<'_> {
        crate::iam::access::Access::new(&self.client, &self.bearer)
    }

    pub fn user(&self) -> &str {
        &self.login.user
    }

    pub fn account_id(&self) -> &str {
        &self.account.guid
    }

    /// Updates what TAB offers for service IDs (best effort, after the command succeeded).
    pub fn remember_service_ids(&self, what: Learnt<ServiceId>) {
        completion_cache::remember_service_ids(
            &self.home,
            &self.session.iam_endpoint,
            self.account_id(),
            what,
        );
    }

    /// Updates what TAB offers for trusted profiles.
    pub fn remember_profiles(&self, what: Learnt<TrustedProfile>) {
        completion_cache::remember_profiles(
            &self.home,
            &self.session.iam_endpoint,
            self.account_id(),
            what,
        );
    }

    /// Updates what TAB offers for the user's own API keys.
    pub fn remember_own_api_keys(&self, what: Learnt<ApiKey>) {
        completion_cache::remember_api_keys(
            &self.home,
            &self.session.iam_endpoint,
            self.account_id(),
            &self.login.iam_id,
            what,
        );
    }
}

/// A session's token for the requests of one command, renewed by `renew` at most once when
/// IAM refuses it: a token refused right after its renewal will not do better the next time.
/// When renewing fails, the 401 stands and a warning says why.
pub struct RenewOnce<'a> {
    token: RefCell<String>,
    tried: Cell<bool>,
    renew: RefCell<Renew<'a>>,
}

/// Renews a refused token: the new token, or why not.
type Renew<'a> = Box<dyn FnMut(&str) -> std::result::Result<String, AuthError> + 'a>;

impl<'a> RenewOnce<'a> {
    pub fn new(
        token: String,
        renew: impl FnMut(&str) -> std::result::Result<String, AuthError> + 'a,
    ) -> RenewOnce<'a> {
        RenewOnce {
            token: RefCell::new(token),
            tried: Cell::new(false),
            renew: RefCell::new(Box::new(renew)),
        }
    }
}

impl Bearer for RenewOnce<'_> {
    fn token(&self) -> String {
        self.token.borrow().clone()
    }

    fn renewed(&self, rejected: &str) -> Option<String> {
        if self.tried.replace(true) {
            return None;
        }
        match (self.renew.borrow_mut())(rejected) {
            Ok(token) => {
                self.token.replace(token.clone());
                Some(token)
            }
            Err(e) => {
                crate::output::warn(&format!("could not renew the token IAM refused: {e}"));
                None
            }
        }
    }
}

/// An IAM refusal of a change, with the hint that fixes it: unlock a locked entity (`locked`:
/// IAM refused it and the entity is locked), retry after a concurrent change.
pub fn change_error(e: IamError, what: &str, locked: bool, unlock_cmd: &str) -> CliError {
    let conflict = matches!(&e, IamError::Rejected(api) if matches!(api.status, 409 | 412));
    let err = e.into_cli(what);
    if locked {
        err.hint(format!("it is locked; unlock it first: '{unlock_cmd}'"))
    } else if conflict {
        err.hint("it was changed by someone else since iamctl read it; run the command again to apply your change to the current version")
    } else {
        err
    }
}

/// Whether an argument is an ID of this kind (`ServiceId-...`, `ApiKey-...`) rather than a
/// name.
pub fn is_id(arg: &str, prefix: &str) -> bool {
    arg.len() > prefix.len() && arg.starts_with(prefix)
}

/// The error for a name several entities share: exit 2, with the IDs to choose from.
pub fn ambiguous(kind: &str, name: &str, where_: &str, ids: &[&str]) -> CliError {
    CliError::usage(format!(
        "The {kind} name '{name}' is ambiguous: {} {kind}s {where_} have it.",
        ids.len()
    ))
    .hint(format!("name one by its ID instead: {}", ids.join(", ")))
}

pub fn not_found(kind: &str, arg: &str, ctx: &IamCtx) -> CliError {
    CliError::failed(format!(
        "{kind} '{arg}' was not found in account {}.",
        ctx.account_id()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::errors::ApiError;

    fn rejected(status: u16, message: &str) -> IamError {
        IamError::Rejected(ApiError {
            status,
            code: Some("x".into()),
            message: message.into(),
            details: None,
        })
    }

    #[test]
    fn ids_are_told_from_names() {
        assert!(is_id("ServiceId-1234", "ServiceId-"));
        assert!(!is_id("ServiceId-", "ServiceId-"));
        assert!(!is_id("my-service", "ServiceId-"));
        assert!(is_id("ApiKey-abc", "ApiKey-"));
    }

    #[test]
    fn locked_refusals_name_the_unlock_command() {
        let e = change_error(
            rejected(409, "Service ID 'S' is locked."),
            "Could not delete service ID s",
            true,
            "iamctl service-id-unlock S -f",
        );
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.render()
                .contains("Tip: it is locked; unlock it first: 'iamctl service-id-unlock S -f'")
        );
        let e = change_error(
            rejected(409, "The entity tag does not match."),
            "Could not update service ID s",
            false,
            "iamctl service-id-unlock S",
        );
        assert!(
            e.render().contains("changed by someone else"),
            "{}",
            e.render()
        );
        let e = change_error(rejected(404, "not found"), "x", false, "u");
        assert!(e.hints.is_empty());
        // What IAM's message says is not read: only the entity's state names the lock.
        let e = change_error(rejected(400, "The entity is locked."), "x", false, "u");
        assert!(e.hints.is_empty(), "{}", e.render());
    }

    #[test]
    fn ambiguous_names_are_usage_errors_listing_the_ids() {
        let e = ambiguous(
            "service ID",
            "dup",
            "in account A",
            &["ServiceId-1", "ServiceId-2"],
        );
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.render(),
            "The service ID name 'dup' is ambiguous: 2 service IDs in account A have it.\n\
             Tip: name one by its ID instead: ServiceId-1, ServiceId-2\n"
        );
    }
}
