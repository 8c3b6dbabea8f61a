//! A logged-in session acting as a trusted profile, and back (`trusted-profile-assume`,
//! `trusted-profile-leave`).
//!
//! Assuming turns the session's login into an assumed profile (`kinds::assume`) whose
//! caller is the login the session had, and records what the caller targeted; leaving turns
//! it back into the caller's login with a fresh caller token. Neither moves a secret: the
//! caller's refresh token and API key stay in the store under the caller's name, which the
//! login's `Kept` records while the session is another identity. Each is one write of the
//! session file under its lock, done only once IAM has answered: a profile IAM refuses
//! leaves the session as it was.
//!
//! While a profile is assumed, assuming another one switches to it: the caller stays the
//! login the session first had (IAM lets no profile assume another). A session that logged
//! in as a profile (`login --profile`) leaves it for its caller too; one that is a workload's
//! profile (compute-resource token, VPC instance) has no caller to return to.

use super::kinds::assume::{self, Assume, Caller};
use super::kinds::{LoginKind, Renewal, Renewed, Stop};
use super::record::{Login, Session};
use super::vault::{Slots, Vault};
use super::{AuthError, Credentials, Result, Warning, apply_tokens};
use crate::iam::{Account, Client, ProfileRef, ResourceGroup, TokenResponse, jwt};
use crate::session::{SessionLock, now};

impl Credentials {
    /// The session acts as `profile` from now on: IAM's assume grant with the caller's
    /// token (the session's own, or, while a profile is assumed, a fresh one of that
    /// profile's caller). A name is looked up in the session's account.
    pub fn assume(&self, profile: &ProfileRef) -> Result<Session> {
        let lock = self.store.lock()?;
        let (session, before) = self.logged_in()?;
        let client = self.client(&session)?;
        // The secret store is opened only for a renewal: a fresh token of the session's own
        // login needs none.
        let renews = matches!(before.kind, LoginKind::Assume(_)) || before.needs_refresh(now());
        let vault = match renews {
            true => self.vault_of(&before)?,
            false => None,
        };
        let slots = self.slots(vault.as_ref(), &session, &before);
        let mut secrets = before.secrets.clone();
        let (caller, returns_to, token) = match &before.kind {
            // Switching profiles: the caller stays the one the session first had.
            LoginKind::Assume(a) => {
                let renewed = renew(&a.caller, &client, &slots, None)?;
                let marked = self.keep_caller_refresh_token(&slots, &session, &before, &renewed);
                secrets = marked.unwrap_or(secrets);
                let token = renewed.tokens.access_token;
                ((*a.caller).clone(), a.returns_to.clone(), token)
            }
            kind => {
                let token = match before.needs_refresh(now()) {
                    false => before.access_token.clone(),
                    true => {
                        let renewed = renew(kind, &client, &slots, before.account.as_ref())?;
                        let marked =
                            self.keep_caller_refresh_token(&slots, &session, &before, &renewed);
                        secrets = marked.unwrap_or(secrets);
                        renewed.tokens.access_token
                    }
                };
                let caller = Caller {
                    user: before.user.clone(),
                    iam_id: before.iam_id.clone(),
                    account: before.account.clone(),
                    resource_group: before.resource_group.clone(),
                };
                (kind.clone(), Some(Box::new(caller)), token)
            }
        };
        // A name is looked up in the account the session targets (else its token's).
        let name_account = match profile {
            ProfileRef::Name(_) => before.account.as_ref().map(|a| a.guid.clone()).or_else(|| {
                jwt::decode(&before.access_token).and_then(|c| c.account_bss().map(str::to_string))
            }),
            _ => None,
        };
        let tokens = match assume::assume(&client, &token, profile, name_account.as_deref()) {
            Ok(t) => t,
            Err(e) => {
                // Refused: the session stays as it was, but for a refresh token the caller's
                // renewal stored in a slot the file did not name yet.
                if secrets != before.secrets {
                    let mut kept = session.clone();
                    if let Some(l) = kept.login.as_mut() {
                        l.secrets = secrets;
                    }
                    self.store.save(&lock, &kept)?;
                }
                return Err(e);
            }
        };
        let claims = claims_of(&tokens)?;
        // The profile is assumed again by ID: a name given now could name another profile
        // later.
        let (recorded, account) = match profile_id(&claims) {
            Some(id) => (ProfileRef::Id(id), None),
            None => (profile.clone(), name_account),
        };
        let kind = LoginKind::Assume(Assume {
            profile: recorded,
            account,
            caller: Box::new(caller),
            returns_to,
        });
        let keep = (before.account.clone(), before.resource_group.clone());
        let targets = self.targets(&client, &tokens.access_token, &claims, keep)?;
        self.switch(
            lock, session, before, secrets, kind, &tokens, &claims, targets,
        )
    }

    /// The session returns to the caller of the profile it acts as: a fresh token by the
    /// caller's rule, and what the caller targeted before it assumed the profile.
    pub fn leave(&self) -> Result<Session> {
        let lock = self.store.lock()?;
        let (session, before) = self.logged_in()?;
        let LoginKind::Assume(a) = &before.kind else {
            return Err(AuthError::NotAssumed {
                acts_as: before.kind.profile().cloned(),
                how: before.kind.describe(),
            });
        };
        let client = self.client(&session)?;
        let vault = self.vault_of(&before)?;
        let slots = self.slots(vault.as_ref(), &session, &before);
        let back = a.returns_to.as_deref();
        let account = back.and_then(|c| c.account.as_ref());
        let renewed = renew(&a.caller, &client, &slots, account)?;
        let secrets = self
            .keep_caller_refresh_token(&slots, &session, &before, &renewed)
            .unwrap_or_else(|| before.secrets.clone());
        let claims = claims_of(&renewed.tokens)?;
        let keep = match back {
            Some(c) => (c.account.clone(), c.resource_group.clone()),
            None => (before.account.clone(), before.resource_group.clone()),
        };
        let targets = self.targets(&client, &renewed.tokens.access_token, &claims, keep)?;
        let kind = (*a.caller).clone();
        self.switch(
            lock,
            session,
            before,
            secrets,
            kind,
            &renewed.tokens,
            &claims,
            targets,
        )
    }

    /// Saves the session as the identity of `tokens`, of this `kind`, with the previous
    /// login's secrets where they are.
    #[allow(clippy::too_many_arguments)]
    fn switch(
        &self,
        lock: SessionLock,
        mut session: Session,
        before: Login,
        secrets: super::record::Kept,
        kind: LoginKind,
        tokens: &TokenResponse,
        claims: &jwt::Claims,
        (account, resource_group): (Option<Account>, Option<ResourceGroup>),
    ) -> Result<Session> {
        let mut login = Login {
            kind,
            user: claims.display_user(),
            iam_id: claims.iam_id.clone(),
            sub_type: claims.sub_type.clone(),
            account,
            resource_group,
            access_token: String::new(),
            token_issued_at: 0,
            token_expires_at: 0,
            refresh_token_expires_at: before.refresh_token_expires_at,
            login_at: before.login_at,
            secrets: secrets.moved_to(before.secrets_iam_id(), &claims.iam_id),
            // Tokens delegated to other clients were the previous identity's.
            delegated: Default::default(),
        };
        apply_tokens(&mut login, tokens);
        session.login = Some(login);
        self.store.save(&lock, &session)?;
        Ok(session)
    }

    /// The store of the login's secrets, if it keeps any.
    fn vault_of(&self, login: &Login) -> Result<Option<Vault>> {
        match login.secrets.is_empty() {
            true => Ok(None),
            false => self.vault(login.secrets.store).map(Some),
        }
    }

    fn slots<'a>(&self, vault: Option<&'a Vault>, session: &Session, login: &Login) -> Slots<'a> {
        Slots::in_store(
            vault,
            &session.iam_endpoint,
            self.name(),
            login.secrets_iam_id(),
        )
    }

    /// Keeps the refresh token the caller's renewal got; the login's secrets as they are
    /// now, when that changed what they name.
    fn keep_caller_refresh_token(
        &self,
        slots: &Slots<'_>,
        session: &Session,
        login: &Login,
        renewed: &Renewed,
    ) -> Option<super::record::Kept> {
        let rt = renewed.refresh_token.as_deref()?;
        let mut kept = login.secrets.clone();
        self.keep_refresh_token(slots, session, login.secrets_iam_id(), &mut kept, rt)
            .then_some(kept)
    }

    /// The account and resource group of a token: `keep` when it is the token's account,
    /// else the token's account as IAM lists it and its default resource group.
    fn targets(
        &self,
        client: &Client,
        token: &String,
        claims: &jwt::Claims,
        keep: (Option<Account>, Option<ResourceGroup>),
    ) -> Result<(Option<Account>, Option<ResourceGroup>)> {
        let Some(bss) = claims.account_bss() else {
            return Ok((None, None));
        };
        if keep.0.as_ref().is_some_and(|a| a.guid == bss) {
            return Ok(keep);
        }
        let accounts = client.accounts(token).map_err(|source| AuthError::Iam {
            doing: "Could not list the accounts of the new identity",
            source,
        })?;
        // Listed by IAM for a token of it; should it not be, it is still the account.
        let account = accounts
            .into_iter()
            .find(|a| a.guid == bss)
            .unwrap_or_else(|| Account {
                guid: bss.to_string(),
                name: String::new(),
                owner: String::new(),
                ims: None,
            });
        let group = match client.resource_groups(token, bss) {
            Ok(groups) => groups.into_iter().find(|g| g.default),
            Err(e) => {
                self.warn(Warning::NoResourceGroup(e));
                None
            }
        };
        Ok((Some(account), group))
    }
}

/// A token by `kind`'s rule: the caller of an assumed profile, or the session's own login.
fn renew(
    kind: &LoginKind,
    client: &Client,
    slots: &Slots<'_>,
    account: Option<&Account>,
) -> Result<Renewed> {
    kind.renew(&Renewal {
        client,
        slots,
        account,
    })
    .map_err(|stop| match stop {
        Stop::Dead(expired) => AuthError::Expired(expired),
        Stop::Failed(e) => e,
        Stop::Unavailable(e) => AuthError::Unavailable(e),
    })
}

fn claims_of(tokens: &TokenResponse) -> Result<jwt::Claims> {
    let claims = jwt::decode(&tokens.access_token).ok_or(AuthError::UnusableToken(
        "IAM returned an access token that is not a JWT; iamctl cannot use it.",
    ))?;
    if claims.iam_id.is_empty() {
        return Err(AuthError::UnusableToken(
            "IAM returned an access token without an iam_id claim.",
        ));
    }
    Ok(claims)
}

/// The ID of the trusted profile a token is of (`iam-Profile-...` is `Profile-...`'s).
pub fn profile_id(claims: &jwt::Claims) -> Option<String> {
    claims
        .iam_id
        .strip_prefix("iam-")
        .filter(|id| id.starts_with("Profile-"))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::kinds::{REFRESH_TOKEN, apikey, vpc};
    use crate::auth::tests::{World, access_token, locked, ok};
    use crate::auth::{AccountChoice, Credential, Expired};
    use crate::iam::identity::{Identity, ProfileIdentity};
    use std::collections::BTreeMap;

    /// The store as it is: every secret's name and value.
    fn store(w: &World) -> BTreeMap<String, String> {
        locked(&w.memory.entries).clone()
    }

    fn login_of(s: &Session) -> Login {
        s.login.clone().unwrap_or_else(|| panic!("logged out"))
    }

    /// Another profile of the session's account that trusts `iam_id` (a user).
    fn profile_trusting(w: &World, iam_id: &str) -> (String, String) {
        let (session, login) = ok(w.creds().fresh());
        let client = ok(w.creds().client(&session));
        let bearer = login.access_token.clone();
        let api = Identity::new(&client, &bearer);
        let account = login.account.map(|a| a.guid).unwrap_or_default();
        let p = ok(api.create_profile(&account, "second-profile", None, None));
        ok(api.add_identity(
            &p.id,
            &ProfileIdentity {
                iam_id: String::new(),
                identifier: iam_id.to_string(),
                kind: "user".into(),
                accounts: vec![account],
                description: None,
                rest: Default::default(),
            },
        ));
        (p.id, p.name)
    }

    #[test]
    fn an_assumed_profile_keeps_the_callers_secrets_where_they_are_and_leaving_returns_to_it() {
        let w = World::new();
        let user = login_of(&ok(w.log_in(w.api_key())));
        let secrets = store(&w);
        let profile = ProfileRef::parse(&w.info().profile_name);

        let switched = ok(w.creds().assume(&profile));
        let assumed = login_of(&switched);
        assert_eq!(w.on_disk(), switched);
        assert_eq!(assumed.iam_id, format!("iam-{}", w.info().profile_id));
        assert_eq!(assumed.sub_type.as_deref(), Some("Profile"));
        assert_eq!(
            assumed.account, user.account,
            "the profile's account is the user's"
        );
        assert_eq!(assumed.resource_group, user.resource_group);
        match &assumed.kind {
            LoginKind::Assume(a) => {
                // Assumed again by ID, by the API key login, returning to the user.
                assert_eq!(a.profile, ProfileRef::Id(w.info().profile_id.clone()));
                assert_eq!(*a.caller, user.kind);
                let back = a.returns_to.as_deref().unwrap_or_else(|| panic!("{a:?}"));
                assert_eq!(back.iam_id, user.iam_id);
                assert_eq!(back.account, user.account);
            }
            other => panic!("{other:?}"),
        }
        // Nothing moved in the store: the secrets are the user's, named after the user.
        assert_eq!(store(&w), secrets);
        assert_eq!(assumed.secrets_iam_id(), user.iam_id);

        // Renewed while assumed: the caller's refresh token, then the profile again.
        w.age_token();
        let (_, renewed) = ok(w.creds().fresh());
        assert_ne!(renewed.access_token, assumed.access_token);
        assert_eq!(renewed.iam_id, assumed.iam_id);
        assert_eq!(
            store(&w).keys().collect::<Vec<_>>(),
            secrets.keys().collect::<Vec<_>>()
        );

        let left = ok(w.creds().leave());
        let back = login_of(&left);
        assert_eq!(w.on_disk(), left);
        assert_eq!(back.kind, user.kind);
        assert_eq!(back.iam_id, user.iam_id);
        assert_eq!(back.user, user.user);
        assert_eq!(back.account, user.account);
        assert_eq!(back.resource_group, user.resource_group);
        assert_eq!(
            back.secrets, user.secrets,
            "named after the login's own identity again"
        );
        assert_ne!(back.access_token, renewed.access_token);
        assert_eq!(
            crate::iam::jwt::decode(&back.access_token).map(|c| c.iam_id),
            Some(user.iam_id.clone())
        );
        // The caller's secrets still work: a refresh token to delegate, and to renew.
        assert!(ok(w.creds().delegated_refresh_token("kube")).len() > 10);
        w.age_token();
        ok(w.creds().fresh());
        // And none is lost or left behind: logout deletes every one.
        ok(w.creds().logout());
        assert!(store(&w).is_empty(), "{:?}", store(&w));
    }

    #[test]
    fn a_profile_iam_refuses_leaves_the_session_byte_identical() {
        let w = World::new();
        ok(w.log_in(w.api_key()));
        let before = w.file_bytes();
        let secrets = store(&w);
        let opens = w.memory.opens.load(std::sync::atomic::Ordering::SeqCst);
        match w.creds().assume(&ProfileRef::parse("no-such-profile")) {
            Err(AuthError::ProfileRefused { profile, .. }) => {
                assert_eq!(profile, "no-such-profile")
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(w.file_bytes(), before);
        assert_eq!(store(&w), secrets);
        // A fresh token of the session's own login is the caller's: no secret was needed.
        assert_eq!(
            w.memory.opens.load(std::sync::atomic::Ordering::SeqCst),
            opens
        );

        // Refused while another profile is assumed: that one stays.
        ok(w.creds().assume(&ProfileRef::parse(&w.info().profile_name)));
        let assumed = w.file_bytes();
        let names: Vec<String> = store(&w).into_keys().collect();
        match w.creds().assume(&ProfileRef::parse(
            "Profile-00000000-0000-0000-0000-000000000000",
        )) {
            Err(AuthError::ProfileRefused { .. }) => {}
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(w.file_bytes(), assumed);
        // The caller's refresh token was renewed on the way (IAM may retire the old one):
        // the same secrets, under the same names.
        assert_eq!(store(&w).into_keys().collect::<Vec<_>>(), names);
        let (_, still) = ok(w.creds().fresh());
        assert_eq!(still.iam_id, format!("iam-{}", w.info().profile_id));
    }

    #[test]
    fn assuming_while_assumed_switches_profiles_and_keeps_the_first_caller() {
        let w = World::new();
        let user = login_of(&ok(w.log_in(w.api_key())));
        let (id, name) = profile_trusting(&w, &user.iam_id);
        let secrets: Vec<String> = store(&w).into_keys().collect();
        let first = login_of(&ok(w
            .creds()
            .assume(&ProfileRef::parse(&w.info().profile_name))));
        let second = login_of(&ok(w.creds().assume(&ProfileRef::parse(&name))));
        assert_eq!(second.iam_id, format!("iam-{id}"));
        match (&first.kind, &second.kind) {
            (LoginKind::Assume(a), LoginKind::Assume(b)) => {
                // Not nested: the caller is still the API key, returning to the user.
                assert_eq!(b.caller, a.caller);
                assert_eq!(*b.caller, user.kind);
                assert_eq!(b.returns_to, a.returns_to);
                assert_eq!(b.profile, ProfileRef::Id(id.clone()));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(second.secrets_iam_id(), user.iam_id);
        assert_eq!(store(&w).into_keys().collect::<Vec<_>>(), secrets);
        // One leave returns to the user.
        let back = login_of(&ok(w.creds().leave()));
        assert_eq!(back.iam_id, user.iam_id);
        assert_eq!(back.secrets, user.secrets);
        assert!(matches!(
            w.creds().leave(),
            Err(AuthError::NotAssumed { acts_as: None, .. })
        ));
    }

    #[test]
    fn leaving_what_was_not_assumed_is_refused_and_changes_nothing() {
        let w = World::new();
        assert!(matches!(w.creds().leave(), Err(AuthError::NotLoggedIn)));
        assert!(matches!(
            w.creds().assume(&ProfileRef::parse("x")),
            Err(AuthError::NotLoggedIn)
        ));
        ok(w.log_in(w.api_key()));
        let before = w.file_bytes();
        assert!(matches!(
            w.creds().leave(),
            Err(AuthError::NotAssumed { acts_as: None, .. })
        ));
        assert_eq!(w.file_bytes(), before);
        // A workload's profile is the session's own identity: no caller to go back to.
        ok(w.log_in(Credential::VpcCri(vpc::VpcCri {
            profile: Some(ProfileRef::parse(&w.info().profile_id)),
            metadata_url: w.emu.url().to_string(),
        })));
        let before = w.file_bytes();
        match w.creds().leave() {
            Err(AuthError::NotAssumed {
                acts_as: Some(p),
                how,
            }) => {
                assert_eq!(p, ProfileRef::parse(&w.info().profile_id));
                assert_eq!(how, "VPC instance identity");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(w.file_bytes(), before);
    }

    #[test]
    fn a_workloads_profile_may_assume_another_only_if_iam_lets_it() {
        let w = World::new();
        ok(w.log_in(Credential::VpcCri(vpc::VpcCri {
            profile: Some(ProfileRef::parse(&w.info().profile_id)),
            metadata_url: w.emu.url().to_string(),
        })));
        let before = w.file_bytes();
        // IAM lets no trusted profile assume another: its refusal is passed on.
        match w.creds().assume(&ProfileRef::parse(&w.info().profile_name)) {
            Err(AuthError::ProfileRefused { .. }) => {}
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(w.file_bytes(), before);
        assert!(store(&w).is_empty());
    }

    #[test]
    fn a_session_that_logged_in_as_a_profile_leaves_it_for_its_caller() {
        let w = World::new();
        let s = ok(w.log_in(Credential::Assume(assume::Given {
            caller: Box::new(w.api_key()),
            profile: ProfileRef::parse(&w.info().profile_name),
            account: None,
        })));
        let profile = login_of(&s);
        // Its secrets were stored when it logged in, named after the profile.
        assert_eq!(profile.secrets_iam_id(), profile.iam_id);
        let secrets = store(&w);
        let back = login_of(&ok(w.creds().leave()));
        assert_eq!(back.kind, LoginKind::Apikey(apikey::ApiKey {}));
        assert!(back.iam_id.starts_with("IBMid-"), "{}", back.iam_id);
        assert_eq!(back.account, profile.account);
        // They stay where they are, and the file says where.
        assert_eq!(back.secrets_iam_id(), profile.iam_id);
        assert_eq!(
            store(&w).into_keys().collect::<Vec<_>>(),
            secrets.into_keys().collect::<Vec<_>>()
        );
        w.admin("/emulator/refresh-tokens/revoke", serde_json::json!({}));
        w.age_token();
        // The API key, found under that name, logs in again.
        let (_, renewed) = ok(w.creds().fresh());
        assert_eq!(renewed.iam_id, back.iam_id);
        // Assumed again, then left again: still found.
        ok(w.creds().assume(&ProfileRef::parse(&w.info().profile_id)));
        ok(w.creds().leave());
        ok(w.creds().logout());
        assert!(store(&w).is_empty(), "{:?}", store(&w));
    }

    #[test]
    fn a_password_caller_returns_to_the_account_it_targeted() {
        let w = World::new();
        let demo = w.info().accounts[0].id.clone();
        let user = login_of(&ok(
            w.log_in_to(w.password(), AccountChoice::Given(demo.clone()))
        ));
        assert!(user.secrets.keeps(&REFRESH_TOKEN));
        let assumed = login_of(&ok(w
            .creds()
            .assume(&ProfileRef::parse(&w.info().profile_id))));
        assert_eq!(
            assumed.account.as_ref().map(|a| a.guid.as_str()),
            Some(demo.as_str())
        );
        let back = login_of(&ok(w.creds().leave()));
        assert_eq!(back.account, user.account);
        assert_eq!(back.iam_id, user.iam_id);
        // Its refresh token was renewed by leaving and still renews.
        w.age_token();
        let (_, renewed) = ok(w.creds().fresh());
        assert_ne!(renewed.access_token, back.access_token);
    }

    #[test]
    fn a_caller_whose_login_died_cannot_leave_and_stays_assumed() {
        let w = World::new();
        ok(w.log_in_to(
            w.password(),
            AccountChoice::Given(w.info().accounts[0].id.clone()),
        ));
        ok(w.creds().assume(&ProfileRef::parse(&w.info().profile_id)));
        let assumed = w.file_bytes();
        w.admin("/emulator/refresh-tokens/revoke", serde_json::json!({}));
        match w.creds().leave() {
            Err(AuthError::Expired(e)) => {
                assert!(matches!(*e, Expired::RefreshRefused(_)), "{e:?}")
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(w.file_bytes(), assumed);
        let _ = access_token;
    }

    #[test]
    fn an_assumed_profile_stays_in_its_account() {
        let w = World::new();
        let user = login_of(&ok(w.log_in(w.api_key())));
        ok(w.creds().assume(&ProfileRef::parse(&w.info().profile_name)));
        let assumed = w.file_bytes();
        let mut edit = ok(w.creds().edit());
        let client = ok(w.creds().client(&edit.session));
        let own = user.account.clone().unwrap_or_else(|| panic!("no account"));
        // The caller's refresh token would re-scope the caller, not the profile.
        let other = Account {
            guid: "another-account".into(),
            ..own.clone()
        };
        assert!(matches!(
            edit.switch_account(&client, &other),
            Err(AuthError::ProfileInOtherAccount { .. })
        ));
        ok(edit.switch_account(&client, &own));
        assert!(edit.login.iam_id.starts_with("iam-Profile-"));
        ok(edit.save());
        assert_eq!(w.file_bytes(), assumed);
    }

    #[test]
    fn a_new_login_while_assumed_takes_over_or_deletes_the_callers_secrets() {
        let w = World::new();
        ok(w.log_in(w.api_key()));
        ok(w.creds().assume(&ProfileRef::parse(&w.info().profile_name)));
        let names: Vec<String> = store(&w).into_keys().collect();
        // The same user again: its secrets are overwritten where they are.
        let again = login_of(&ok(w.log_in(w.api_key())));
        assert_eq!(store(&w).into_keys().collect::<Vec<_>>(), names);
        assert_eq!(again.secrets_iam_id(), again.iam_id);
        assert!(w.on_disk().pending_deletes.is_empty());
        // Assumed again, then another identity logs in: the user's secrets go.
        ok(w.creds().assume(&ProfileRef::parse(&w.info().profile_name)));
        let service = login_of(&ok(w.log_in(Credential::ApiKey(apikey::Given {
            key: w.info().service_apikey.clone(),
        }))));
        let left: Vec<String> = store(&w).into_keys().collect();
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left.iter().all(|k| k.contains(&service.iam_id)), "{left:?}");
    }
}
