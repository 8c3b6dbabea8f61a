//! Logging in, once the credential is known: the first grant, the account (given, the
//! identity's own, the only one, or chosen), the token re-scoped to it, the region and the
//! resource group, then the login saved (`start.rs`). What the user sees and is asked goes
//! through [`LoginUi`], which the command layer implements.

use super::kinds::{Authenticated, Credential};
use super::record::Session;
use super::start::NewLogin;
use super::vault::{Vault, VaultOpening};
use super::{AuthError, Credentials, Warning};
use crate::endpoints::Endpoints;
use crate::iam::{Account, Client, ResourceGroup, jwt};

/// What `login` asks for.
pub struct LoginRequest {
    pub endpoints: Endpoints,
    pub trust: crate::iam::trust::Trust,
    pub credential: Credential,
    pub account: AccountChoice,
    pub region: RegionChoice,
    /// By name or ID; `None`: the account's default group.
    pub resource_group: Option<String>,
}

pub enum AccountChoice {
    /// Target no account.
    None,
    /// This account ID.
    Given(String),
    /// The identity's own account, the only one, or the user's choice.
    Choose,
}

pub enum RegionChoice {
    /// Target no region.
    None,
    Given(String),
    /// The user's choice, else `otherwise` (the region the session had).
    Ask {
        otherwise: Option<String>,
    },
}

/// What was targeted, as it happens.
pub enum Targeted<'a> {
    Account(&'a Account),
    Region(&'a str),
    ResourceGroup(&'a ResourceGroup),
}

/// Where the secret store is: open already, or still opening (awaited before IAM's
/// answer is called a success).
pub enum Store {
    Open(Vault),
    Opening(VaultOpening),
}

/// What a login shows and asks. Its errors are the command layer's (an interrupted
/// prompt), and the layer's own errors become them.
pub trait LoginUi {
    type Error: From<AuthError>;
    /// The first grant is about to be asked for.
    fn authenticating(&self);
    /// IAM accepted the credential and the login can be kept.
    fn authenticated(&self);
    /// The index of the account to target among several (`None`: none), or `Ok(None)`
    /// outright when there is nobody to ask.
    #[allow(clippy::type_complexity)]
    fn choose_account(&self, accounts: &[Account]) -> Result<Option<Option<usize>>, Self::Error>;
    /// The region to target (`None`: none), or `Ok(None)` outright when there is nobody to
    /// ask.
    #[allow(clippy::type_complexity)]
    fn choose_region(&self) -> Result<Option<Option<String>>, Self::Error>;
    fn targeted(&self, what: Targeted<'_>);
}

/// A saved login, and what IAM listed on the way (for what TAB offers).
pub struct LoggedIn {
    pub session: Session,
    pub iam_id: String,
    pub accounts: Option<Vec<Account>>,
    /// The resource groups of the targeted account: (account ID, groups).
    pub groups: Option<(String, Vec<ResourceGroup>)>,
}

impl Credentials {
    /// Logs in with `req.credential` and saves the login in place of `previous`.
    pub fn log_in<U: LoginUi>(
        &self,
        req: LoginRequest,
        client: &Client,
        previous: Option<&Session>,
        store: Store,
        ui: &U,
    ) -> Result<LoggedIn, U::Error> {
        ui.authenticating();
        let mut authed = req.credential.authenticate(client)?;
        // Before saying OK: a login that cannot keep its secrets must not look like a success.
        let vault = match store {
            Store::Open(v) => Some(v),
            Store::Opening(opening) if req.credential.keeps_secrets() => Some(opening.wait()?),
            Store::Opening(_) => None,
        };
        ui.authenticated();
        let mut claims =
            jwt::decode(&authed.tokens.access_token).ok_or(AuthError::UnusableToken(
                "IAM returned an access token that is not a JWT; iamctl cannot use it.",
            ))?;
        if claims.iam_id.is_empty() {
            return Err(AuthError::UnusableToken(
                "IAM returned an access token without an iam_id claim.",
            )
            .into());
        }

        let mut listed = Listed::default();
        let account = match &req.account {
            AccountChoice::None => None,
            choice => {
                self.target_account(client, &req, choice, &authed, &claims, &mut listed, ui)?
            }
        };
        if let Some(acct) = &account {
            authed.tokens = super::rescope(client, authed.tokens, acct)?;
            claims = jwt::decode(&authed.tokens.access_token).unwrap_or(claims);
            ui.targeted(Targeted::Account(acct));
        }

        let region = match req.region {
            RegionChoice::None => None,
            RegionChoice::Given(r) => Some(r),
            RegionChoice::Ask { otherwise } => ui.choose_region()?.unwrap_or(otherwise),
        };
        if let Some(r) = &region {
            ui.targeted(Targeted::Region(r));
        }

        let resource_group = match &account {
            Some(acct) => self.target_group(
                client,
                &authed,
                acct,
                req.resource_group.as_deref(),
                &mut listed,
            )?,
            None => None,
        };
        if let Some(g) = &resource_group {
            ui.targeted(Targeted::ResourceGroup(g));
        }

        let session = self.start(
            previous,
            NewLogin {
                endpoints: req.endpoints,
                trust: req.trust,
                region,
                credential: &req.credential,
                claims: &claims,
                tokens: &authed,
                account,
                resource_group,
            },
            vault.as_ref(),
        )?;
        Ok(LoggedIn {
            session,
            iam_id: claims.iam_id,
            accounts: listed.accounts,
            groups: listed.groups,
        })
    }

    /// The account to target: the token's own account's resource groups are fetched
    /// alongside the account list, since it is usually the account that ends up targeted.
    #[allow(clippy::too_many_arguments)]
    fn target_account<U: LoginUi>(
        &self,
        client: &Client,
        req: &LoginRequest,
        choice: &AccountChoice,
        authed: &Authenticated,
        claims: &jwt::Claims,
        listed: &mut Listed,
        ui: &U,
    ) -> Result<Option<Account>, U::Error> {
        let token = &authed.tokens.access_token;
        let token_account = claims.account_bss().map(str::to_string);
        let (accounts, groups) = std::thread::scope(|scope| {
            let groups = token_account
                .as_deref()
                .map(|bss| scope.spawn(move || client.resource_groups(token, bss).ok()));
            let accounts = client.accounts(token);
            let groups = groups.and_then(|h| h.join().ok().flatten());
            (accounts, groups)
        });
        if let (Some(bss), Some(groups)) = (token_account, groups) {
            listed.prefetched = Some((bss, groups));
        }
        let accounts = accounts.map_err(|source| AuthError::Iam {
            doing: "Could not list your accounts",
            source,
        })?;
        listed.accounts = Some(accounts.clone());
        choose_account(&req.credential, choice, claims, accounts, ui, self)
    }

    /// The `want`ed group (by name or ID), else the account's default one.
    fn target_group(
        &self,
        client: &Client,
        authed: &Authenticated,
        acct: &Account,
        want: Option<&str>,
        listed: &mut Listed,
    ) -> Result<Option<ResourceGroup>, AuthError> {
        let groups = match listed
            .prefetched
            .take()
            .filter(|(bss, _)| bss == &acct.guid)
        {
            Some((_, groups)) => Ok(groups),
            None => client.resource_groups(&authed.tokens.access_token, &acct.guid),
        };
        match groups {
            Ok(groups) => {
                let chosen = match want {
                    Some(want) => Some(find_resource_group(&groups, want, &acct.guid)?),
                    None => groups.iter().find(|g| g.default).cloned(),
                };
                listed.groups = Some((acct.guid.clone(), groups));
                Ok(chosen)
            }
            Err(source) if want.is_some() => Err(AuthError::Iam {
                doing: "Could not list resource groups",
                source,
            }),
            Err(e) => {
                self.warn(Warning::NoResourceGroup(e));
                Ok(None)
            }
        }
    }
}

/// What IAM listed during the login.
#[derive(Default)]
struct Listed {
    accounts: Option<Vec<Account>>,
    groups: Option<(String, Vec<ResourceGroup>)>,
    /// The groups of the token's own account, fetched early: (account ID, groups).
    prefetched: Option<(String, Vec<ResourceGroup>)>,
}

fn choose_account<U: LoginUi>(
    credential: &Credential,
    choice: &AccountChoice,
    claims: &jwt::Claims,
    accounts: Vec<Account>,
    ui: &U,
    creds: &Credentials,
) -> Result<Option<Account>, U::Error> {
    // An API key and a trusted profile belong to one account, which their token names.
    let own = claims
        .account_bss()
        .filter(|_| credential.bound_to_token_account());
    if let AccountChoice::Given(want) = choice {
        let found = find_account(&accounts, want)?;
        if credential.profile().is_some()
            && let Some(own) = own
            && own != found.guid
        {
            return Err(AuthError::ProfileInOtherAccount {
                own: own.to_string(),
                want: want.clone(),
            }
            .into());
        }
        return Ok(Some(found));
    }
    if let Some(bss) = own
        && let Some(a) = accounts.iter().find(|a| a.guid == bss)
    {
        return Ok(Some(a.clone()));
    }
    match accounts.len() {
        0 => Ok(None),
        1 => Ok(accounts.into_iter().next()),
        _ => match ui.choose_account(&accounts)? {
            Some(index) => Ok(index.and_then(|i| accounts.get(i).cloned())),
            // A one-time code is spent by now, and failing here would waste it (the user
            // must fetch another): target the account IAM issued the token for, and say
            // how to switch. A password or key can simply be given again, so those fail.
            None if credential.spends_one_time_code() => {
                let chosen = claims
                    .account_bss()
                    .and_then(|bss| accounts.iter().find(|a| a.guid == bss))
                    .cloned();
                creds.warn(Warning::AccountGuessed {
                    chosen: chosen.clone(),
                    accounts,
                });
                Ok(chosen)
            }
            None => Err(AuthError::AccountChoiceNeeded { accounts }.into()),
        },
    }
}

/// The account `want` among `accounts`.
pub fn find_account(accounts: &[Account], want: &str) -> Result<Account, AuthError> {
    accounts
        .iter()
        .find(|a| a.guid == want)
        .cloned()
        .ok_or_else(|| AuthError::NoSuchAccount {
            want: want.to_string(),
            accounts: accounts.to_vec(),
        })
}

/// The group `want` (by name or ID) among the account's `groups`.
pub fn find_resource_group(
    groups: &[ResourceGroup],
    want: &str,
    account: &str,
) -> Result<ResourceGroup, AuthError> {
    groups
        .iter()
        .find(|g| g.name == want || g.guid == want)
        .cloned()
        .ok_or_else(|| AuthError::NoSuchResourceGroup {
            want: want.to_string(),
            account: account.to_string(),
            groups: groups.to_vec(),
        })
}
