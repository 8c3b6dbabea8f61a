//! `iamctl login`: what the user sees and is asked while the credentials layer logs in
//! (`Credentials::log_in`: the first grant, the account, region and resource group, the
//! login saved in an order a failure cannot turn into a lost or half-saved session), then
//! the summary.

use super::{account_label, print_summary};
use crate::auth::{LoginRequest, LoginUi, Store, Targeted};
use crate::completion_cache;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::iam::Account;
use crate::output::Out;
use crate::prompt;
use crate::regions;
use crate::settings::login::{IamChosen, Login};
use dialoguer::console::Term;

pub fn run(ctx: &Context, s: Login) -> Result<()> {
    let out = &ctx.out;
    let creds = ctx.credentials()?;
    if s.corrupt {
        out.warn(&format!(
            "the session file {} was corrupt; this login replaces it",
            creds.path().display()
        ));
    }
    let term = ctx.terminal();

    // Fail closed if there is nowhere safe to keep the secrets. Connecting to the keyring
    // takes a D-Bus handshake; without a terminal, for reusable credentials (API key,
    // password), it runs alongside the first requests to IAM and is awaited before anything
    // is stored. Whenever the user would type something, or spend a one-time code, the
    // keyring is checked first. Either way it is awaited before `OK` is printed. A workload
    // that keeps no secret (its token file, its metadata service) needs no secret store.
    let opening = creds.open_vault_in_background();
    let store = if term.is_some() || s.plan.spends_one_time_code() {
        Store::Open(opening.wait()?)
    } else {
        Store::Opening(opening)
    };

    out.say(&format!("API endpoint: {}", s.endpoints.api));
    // The credentials go to the IAM endpoint: when it is not the API endpoint's own, say so.
    match s.iam_chosen {
        IamChosen::Implied => {}
        IamChosen::Variable { over_flag } => {
            out.say(&format!("IAM endpoint: {} (IAM_ENDPOINT)", s.endpoints.iam));
            if over_flag {
                out.warn(&format!(
                    "IAM_ENDPOINT sends this login's credentials to {}, not to the IAM of {}",
                    s.endpoints.iam, s.endpoints.api
                ));
            }
        }
        IamChosen::Remembered => out.say(&format!(
            "IAM endpoint: {} (kept from this session's earlier login; -a starts over)",
            s.endpoints.iam
        )),
    }
    if let Some(notice) = &s.plan.notice {
        out.say(notice);
    }
    let client = creds.client_for(s.endpoints.clone(), &s.trust)?;
    let credential = super::login_credential::read(
        s.plan.how,
        ctx,
        &creds,
        &client,
        s.no_browser,
        term.as_ref(),
    )?;
    let ui = Screen {
        out,
        term: term.as_ref(),
    };
    let logged_in = creds.log_in(
        LoginRequest {
            endpoints: s.endpoints,
            trust: s.trust,
            credential,
            account: s.account,
            region: s.region,
            resource_group: s.resource_group,
        },
        &client,
        s.previous.as_ref(),
        store,
        &ui,
    )?;
    completion_cache::remember_targets(
        creds.home(),
        &logged_in.session.iam_endpoint,
        &logged_in.iam_id,
        logged_in.accounts.as_deref(),
        logged_in.groups.as_ref(),
    );
    if !out.json() {
        out.blank();
    }
    print_summary(out, &logged_in.session);
    Ok(())
}

/// The login as the user sees it: IBM's progress lines, and menus on a terminal.
struct Screen<'a> {
    out: &'a Out,
    term: Option<&'a Term>,
}

impl LoginUi for Screen<'_> {
    type Error = CliError;

    fn authenticating(&self) {
        self.out.say("Authenticating...");
    }

    fn authenticated(&self) {
        self.out.ok();
    }

    fn choose_account(&self, accounts: &[Account]) -> Result<Option<Option<usize>>> {
        let Some(t) = self.term else {
            return Ok(None);
        };
        let _ = t.write_line("");
        let items: Vec<String> = accounts.iter().map(account_label).collect();
        Ok(Some(prompt::choose(
            t,
            "Select an account:",
            &items,
            false,
        )?))
    }

    fn choose_region(&self) -> Result<Option<Option<String>>> {
        let Some(t) = self.term else {
            return Ok(None);
        };
        self.out.blank();
        let items: Vec<String> = regions::names().map(str::to_string).collect();
        let chosen = prompt::choose(t, "Select a region (or press enter to skip):", &items, true)?;
        Ok(Some(chosen.map(|i| regions::REGIONS[i].0.to_string())))
    }

    fn targeted(&self, what: Targeted<'_>) {
        let out = self.out;
        out.blank();
        match what {
            Targeted::Account(a) => {
                out.say(&format!("Targeted account {}", out.em(&account_label(a))))
            }
            Targeted::Region(r) => out.say(&format!("Targeted region {}", out.em(r))),
            Targeted::ResourceGroup(g) => {
                out.say(&format!("Targeted resource group {}", out.em(&g.name)))
            }
        }
    }
}
