//! `iamctl login`: API key, password or SSO one-time code; then account, region and
//! resource group. The credentials layer (`auth`) saves the login: secrets into the secret
//! store, the session file written last, so a failed login leaves the previous session
//! byte-identical.

use super::login_credential::{self, Plan, Source};
use super::{account_label, print_summary};
use crate::auth::{self, Credential, Credentials, NewLogin, stored_keys};
use crate::cli::LoginArgs;
use crate::completion_cache;
use crate::endpoints::{DEFAULT_API_ENDPOINT, Endpoints};
use crate::error::{CliError, Result};
use crate::iam::{Client, jwt};
use crate::output::Out;
use crate::prompt;
use crate::regions;
use crate::session::Account;
use dialoguer::console::Term;

pub fn run(args: &LoginArgs, out: &Out) -> Result<()> {
    let creds = Credentials::active()?;
    let (previous, corrupt) = creds.previous()?;
    if corrupt {
        out.warn(&format!(
            "the session file {} was corrupt; this login replaces it",
            creds.path().display()
        ));
    }
    let term = prompt::terminal();

    // Everything that can be a usage error is checked before IAM is contacted.
    let stored = match &args.keyring {
        Some(name) => Some(stored_keys::find(creds.home(), name)?),
        None => None,
    };
    let api_input = args
        .api_endpoint
        .clone()
        .or_else(|| stored.as_ref().map(|k| k.api_endpoint.clone()))
        .or_else(|| previous.as_ref().map(|s| s.api_endpoint.clone()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_API_ENDPOINT.to_string());
    // IAM_ENDPOINT is remembered by the session: a later login that leaves out -a (and
    // IAM_ENDPOINT) keeps talking to the same IAM; -a starts over from the IAM it implies.
    let remembered_iam = previous
        .as_ref()
        .filter(|_| args.api_endpoint.is_none() && stored.is_none())
        .map(|s| s.iam_endpoint.clone())
        .filter(|s| !s.is_empty());
    let iam_override = std::env::var("IAM_ENDPOINT")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or(remembered_iam);
    let endpoints = Endpoints::resolve(&api_input, iam_override.as_deref())?;
    let skip_ssl = args.skip_ssl_validation
        || (args.api_endpoint.is_none()
            && previous.as_ref().is_some_and(|s| s.skip_ssl_validation));
    let region_flag = match &args.region {
        Some(r) => Some(super::region_flag(r, out)?),
        None => None,
    };
    if args.no_account && args.resource_group.is_some() {
        return Err(CliError::usage(
            "-g needs an account, but --no-account was given.",
        ));
    }
    // A stored key (--keyring) is a credential source of its own.
    if stored.is_none() && term.is_none() && !login_credential::has_credential_source(args) {
        return Err(login_credential::no_credentials_error());
    }

    // Fail closed if there is nowhere safe to keep the secrets. Connecting to the keyring
    // takes a D-Bus handshake; without a terminal, for reusable credentials (API key,
    // password), it runs alongside the first requests to IAM and is awaited before anything
    // is stored. Whenever the user would type something, or spend a one-time code, the
    // keyring is checked first. Either way it is awaited before `OK` is printed. A workload
    // that keeps no secret (its token file, its metadata service) needs no secret store.
    let opening = auth::open_vault_in_background(creds.home());
    let (vault, opening) = if term.is_some() || login_credential::uses_one_time_code(args) {
        (Some(opening.wait()?), None)
    } else {
        (None, Some(opening))
    };

    out.say(&format!("API endpoint: {}", endpoints.api));
    let stored_secret = match &stored {
        Some(k) => Some(stored_keys::secret_for_login(
            creds.home(),
            k,
            &endpoints.iam,
        )?),
        None => None,
    };
    let plan = login_credential::decide(args, stored_secret, term.as_ref(), out)?;
    let client = Client::new(endpoints.clone(), skip_ssl)?;
    let keeps_secrets = plan.keeps_secrets();
    let credential = match plan {
        Plan::Workload(c) => c,
        Plan::User { source, assume } => {
            let caller = match source {
                Source::Given(c) => c,
                Source::Sso => Credential::Passcode(login_credential::sso_code(
                    args,
                    &client,
                    term.as_ref(),
                    out,
                )?),
            };
            match assume {
                Some(profile) => Credential::Assume {
                    caller: Box::new(caller),
                    account: args.account.clone(),
                    profile,
                },
                None => caller,
            }
        }
    };
    out.say("Authenticating...");
    let mut authed = auth::authenticate(&client, &credential)?;
    // Before saying OK: a login that cannot keep its secrets must not look like a success.
    let vault = match (vault, opening) {
        (Some(v), _) => Some(v),
        (None, Some(opening)) if keeps_secrets => Some(opening.wait()?),
        (None, _) => None,
    };
    out.ok();
    let mut claims = jwt::decode(&authed.tokens.access_token).ok_or_else(|| {
        CliError::failed("IAM returned an access token that is not a JWT; iamctl cannot use it.")
    })?;
    if claims.iam_id.is_empty() {
        return Err(CliError::failed(
            "IAM returned an access token without an iam_id claim.",
        ));
    }

    // Account: -c, the API key's own account, the only one, or the user's choice. The token's
    // own account's resource groups are fetched alongside the account list: it is usually
    // the account that ends up targeted.
    let mut prefetched_groups = None;
    // What TAB offers later (-c, -g), remembered once the login has succeeded.
    let mut seen_accounts = None;
    let mut seen_groups = None;
    let account = if args.no_account {
        None
    } else {
        let token_account = claims.account_bss().map(str::to_string);
        let (accounts, groups) = std::thread::scope(|scope| {
            let groups = token_account.as_deref().map(|bss| {
                let token = &authed.tokens.access_token;
                let client = &client;
                scope.spawn(move || client.resource_groups(token, bss).ok())
            });
            let accounts = client.accounts(&authed.tokens.access_token);
            let groups = groups.and_then(|h| h.join().ok().flatten());
            (accounts, groups)
        });
        if let (Some(bss), Some(groups)) = (token_account, groups) {
            prefetched_groups = Some((bss, groups));
        }
        let accounts = accounts.map_err(|e| e.into_cli("Could not list your accounts"))?;
        seen_accounts = Some(accounts.clone());
        choose_account(args, &credential, &claims, accounts, term.as_ref(), out)?
    };
    if let Some(acct) = &account {
        authed.tokens = auth::rescope(&client, authed.tokens, acct)?;
        claims = jwt::decode(&authed.tokens.access_token).unwrap_or(claims);
        out.blank();
        out.say(&format!(
            "Targeted account {}",
            out.em(&account_label(acct))
        ));
    }

    // Region: -r, --no-region, a choice on a terminal, else the remembered one.
    let region = if args.no_region {
        None
    } else if region_flag.is_some() {
        region_flag
    } else if let Some(term) = term.as_ref() {
        out.blank();
        let items: Vec<String> = regions::names().map(str::to_string).collect();
        prompt::choose(
            term,
            "Select a region (or press enter to skip):",
            &items,
            true,
        )?
        .map(|i| regions::REGIONS[i].0.to_string())
    } else {
        previous.as_ref().and_then(|s| s.region.clone())
    };
    if let Some(r) = &region {
        out.blank();
        out.say(&format!("Targeted region {}", out.em(r)));
    }

    // Resource group: -g, else the account's default.
    let resource_group = match &account {
        Some(acct) => match prefetched_groups
            .take()
            .filter(|(bss, _)| bss == &acct.guid)
            .map(|(_, groups)| Ok(groups))
            .unwrap_or_else(|| client.resource_groups(&authed.tokens.access_token, &acct.guid))
        {
            Ok(groups) => {
                let chosen = match &args.resource_group {
                    Some(want) => Some(super::find_resource_group(&groups, want, &acct.guid)?),
                    None => groups.iter().find(|g| g.default).cloned(),
                };
                seen_groups = Some((acct.guid.clone(), groups));
                chosen
            }
            Err(e) if args.resource_group.is_some() => {
                return Err(e.into_cli("Could not list resource groups"));
            }
            Err(e) => {
                out.warn(&format!(
                    "no resource group targeted: {}",
                    e.into_cli("could not list resource groups").message
                ));
                None
            }
        },
        None => None,
    };
    if let Some(g) = &resource_group {
        out.blank();
        out.say(&format!("Targeted resource group {}", out.em(&g.name)));
    }

    let session = creds.start(
        previous.as_ref(),
        NewLogin {
            endpoints,
            skip_ssl_validation: skip_ssl,
            region,
            credential: &credential,
            claims: &claims,
            tokens: &authed,
            account,
            resource_group,
        },
        vault.as_ref(),
    )?;
    completion_cache::remember_targets(
        creds.home(),
        &session.iam_endpoint,
        &claims.iam_id,
        seen_accounts.as_deref(),
        seen_groups.as_ref(),
    );

    if !out.json() {
        out.blank();
    }
    print_summary(out, &session);
    Ok(())
}

fn choose_account(
    args: &LoginArgs,
    credential: &Credential,
    claims: &jwt::Claims,
    accounts: Vec<Account>,
    term: Option<&Term>,
    out: &Out,
) -> Result<Option<Account>> {
    // An API key and a trusted profile belong to one account, which their token names.
    let own = match credential {
        Credential::Password { .. } | Credential::Passcode(_) => None,
        _ => claims.account_bss(),
    };
    if let Some(want) = &args.account {
        let found = super::find_account(&accounts, want)?;
        if credential.kind().profile().is_some()
            && let Some(own) = own
            && own != found.guid
        {
            return Err(CliError::usage(format!(
                "The trusted profile belongs to account {own}; -c {want} cannot move its session to another account."
            ))
            .hint(format!("leave -c out, or use a profile of account {want}")));
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
        _ => match term {
            Some(t) => {
                let _ = t.write_line("");
                let items: Vec<String> = accounts.iter().map(account_label).collect();
                let idx = prompt::choose(t, "Select an account:", &items, false)?;
                Ok(idx.and_then(|i| accounts.get(i).cloned()))
            }
            // A one-time code is spent by now, and failing here would waste it (the user
            // must fetch another): target the account IAM issued the token for, and say
            // how to switch. A password or key can simply be given again, so those fail.
            None if matches!(credential, Credential::Passcode(_)) => {
                Ok(one_time_code_fallback(claims, &accounts, out))
            }
            None => Err(CliError::usage(format!(
                "This user can use {} accounts; without a terminal iamctl cannot ask which one.",
                accounts.len()
            ))
            .hint("choose one with -c ACCOUNT_ID (or --no-account)")
            .hint(super::accounts_hint(&accounts))),
        },
    }
}

/// The account of a headless one-time-code login among several: the token's own (else
/// none), with a warning naming the way to switch.
fn one_time_code_fallback(
    claims: &jwt::Claims,
    accounts: &[Account],
    out: &Out,
) -> Option<Account> {
    let own = claims
        .account_bss()
        .and_then(|bss| accounts.iter().find(|a| a.guid == bss))
        .cloned();
    let chose = match &own {
        Some(a) => format!(
            "targeted {}, the account the one-time code was issued for",
            account_label(a)
        ),
        None => "targeted no account".to_string(),
    };
    out.warn(&format!(
        "this user can use {} accounts, and without a terminal iamctl cannot ask which one: {chose}. \
         Switch with 'iamctl target -c ACCOUNT_ID' ({}), or name it with -c next time.",
        accounts.len(),
        super::accounts_hint(accounts)
    ));
    own
}
