//! Shell completion: the TAB-time engine, the registration scripts and the candidates for
//! values.
//!
//! Structure and values both come from the clap definition in `cli.rs` through clap_complete's
//! dynamic engine: the shell's script calls `IAMCTL_COMPLETE=<shell> iamctl -- <words>` on
//! every TAB, and `answer_tab_if_asked` (the first thing `main` does) prints the candidates and
//! exits. Without that variable it costs one environment lookup. Values come from files only
//! (`completion_cache`, the session files, the stored-key index): never the network, never the
//! keyring.

use crate::auth::stored_keys;
use crate::auth::{Login, Session};
use crate::completion_cache::{self, Entry, InAccount};
use crate::home::Home;
use crate::iam::policy::{PolicyType, SORT_FIELDS, SubjectKind};
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::EnvCompleter;
use std::ffi::OsString;

/// The variable the registration scripts set to ask for candidates. Not clap's default
/// `COMPLETE`, so a stray `COMPLETE=...` in someone's environment cannot hijack iamctl.
pub const ENV_VAR: &str = "IAMCTL_COMPLETE";
/// What the scripts call: `iamctl` as found on PATH, so the committed scripts are portable.
const BIN: &str = "iamctl";

/// The shells iamctl has completion scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

/// Answers a completion request and exits when `IAMCTL_COMPLETE` is set; otherwise returns
/// at once without building the clap tree (`command` builds it).
pub fn answer_tab_if_asked(command: fn() -> clap::Command) {
    if std::env::var_os(ENV_VAR).is_none() {
        return;
    }
    use clap_complete::env::{Elvish, Fish, Shells, Zsh};
    // zsh (compadd), fish and elvish quote what they insert; bash's COMPREPLY and
    // PowerShell's CompletionResult take the value as typed, so those two get it quoted.
    const SHELLS: Shells<'static> = Shells(&[
        &Quoted(Quoting::Bash),
        &Elvish,
        &Fish,
        &Quoted(Quoting::PowerShell),
        &Zsh,
    ]);
    clap_complete::CompleteEnv::with_factory(command)
        .var(ENV_VAR)
        .bin(BIN)
        .completer(BIN)
        .shells(SHELLS)
        .complete();
}

/// How a shell that inserts candidates as typed must be given a value that holds its
/// special characters (a name someone else chose: `x$(touch ~/pwned)`).
#[derive(Debug, Clone, Copy)]
enum Quoting {
    Bash,
    PowerShell,
}

impl Quoting {
    /// The value as one literal word: unchanged when it holds nothing the shell treats
    /// specially, else single-quoted.
    fn quote(self, value: &str) -> String {
        let plain = |c: char| c.is_ascii_alphanumeric() || "_-.,:/@%+=".contains(c);
        if !value.is_empty() && value.chars().all(plain) {
            return value.to_string();
        }
        match self {
            Quoting::Bash => format!("'{}'", value.replace('\'', r"'\''")),
            Quoting::PowerShell => format!("'{}'", value.replace('\'', "''")),
        }
    }
}

/// clap_complete's adapter for a shell, with each value quoted for it.
struct Quoted(Quoting);

impl Quoted {
    fn inner(&self) -> &'static dyn EnvCompleter {
        match self.0 {
            Quoting::Bash => &clap_complete::env::Bash,
            Quoting::PowerShell => &clap_complete::env::Powershell,
        }
    }
}

impl EnvCompleter for Quoted {
    fn name(&self) -> &'static str {
        self.inner().name()
    }

    fn is(&self, name: &str) -> bool {
        self.inner().is(name)
    }

    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        self.inner()
            .write_registration(var, name, bin, completer, buf)
    }

    /// What clap's adapter answers (bash: values joined by `_CLAP_IFS`; PowerShell: a
    /// `value<TAB>help` line each), with the values quoted.
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let mut raw = Vec::new();
        self.inner()
            .write_complete(cmd, args, current_dir, &mut raw)?;
        let raw = String::from_utf8_lossy(&raw);
        if raw.is_empty() {
            return Ok(());
        }
        let text = match self.0 {
            Quoting::Bash => {
                let ifs = std::env::var("_CLAP_IFS").unwrap_or_else(|_| "\n".into());
                raw.split(ifs.as_str())
                    .map(|v| self.0.quote(v))
                    .collect::<Vec<_>>()
                    .join(&ifs)
            }
            Quoting::PowerShell => raw
                .lines()
                .map(|line| match line.split_once('\t') {
                    Some((v, help)) => format!("{}\t{help}\n", self.0.quote(v)),
                    None => format!("{}\n", self.0.quote(line)),
                })
                .collect(),
        };
        buf.write_all(text.as_bytes())
    }
}

/// The registration script for a shell: what `iamctl completion SHELL` prints and what
/// `completions/` holds.
pub fn registration(shell: CompletionShell) -> Vec<u8> {
    use clap_complete::env::{Bash, Elvish, Fish, Powershell, Zsh};
    let adapter: &dyn EnvCompleter = match shell {
        CompletionShell::Bash => &Bash,
        CompletionShell::Zsh => &Zsh,
        CompletionShell::Fish => &Fish,
        CompletionShell::Powershell => &Powershell,
        CompletionShell::Elvish => &Elvish,
    };
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = adapter.write_registration(ENV_VAR, BIN, BIN, BIN, &mut buf);
    buf
}

/// What TAB knows: the home and the session the completed command would use.
struct Context {
    home: Home,
    session: Option<Session>,
}

/// `--session NAME` / `--session=NAME` among the words being completed (the shell passes
/// them after `--`), so `iamctl --session prod target -c <TAB>` offers prod's accounts.
fn session_in_words(words: &[OsString]) -> Option<String> {
    let words: Vec<&str> = words.iter().filter_map(|w| w.to_str()).collect();
    let start = words.iter().position(|w| *w == "--").map_or(0, |i| i + 1);
    let words = &words[start..];
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        if *w == "--session" {
            found = words.get(i + 1).map(|s| s.to_string());
        } else if let Some(v) = w.strip_prefix("--session=") {
            found = Some(v.to_string());
        }
    }
    found.filter(|s| !s.is_empty())
}

fn context() -> Option<Context> {
    let home = Home::locate().ok()?;
    let args: Vec<OsString> = std::env::args_os().collect();
    let name = match session_in_words(&args) {
        Some(n) => n,
        None => {
            let named = crate::session::named(None, false).ok()?;
            home.active_session(named.as_ref()).ok()?.0
        }
    };
    let session = home.store(&name).ok()?.load::<Session>().ok().flatten();
    Some(Context { home, session })
}

impl Context {
    fn login(&self) -> Option<&Login> {
        self.session.as_ref()?.login.as_ref()
    }

    fn account_id(&self) -> Option<&str> {
        self.login()?.account.as_ref().map(|a| a.guid.as_str())
    }

    fn iam_endpoint(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.iam_endpoint.as_str())
    }

    fn iam_id(&self) -> Option<&str> {
        self.login().map(|l| l.iam_id.as_str())
    }
}

/// By ID (help: the name), or by name (help: the ID). Names need not be unique (service IDs):
/// a name several entries share would be an ambiguous argument, so those are offered by ID.
///
/// Names are chosen by whoever may create entities in the account: one with a control
/// character (a line break that would forge another candidate, a terminal escape) is offered
/// by its ID, and every help text is shown with control characters escaped.
fn candidates(list: &[Entry], by_name: bool) -> Vec<CompletionCandidate> {
    let shared = |name: &str| list.iter().filter(|e| e.name == name).count() > 1;
    let typeable = |name: &str| !name.is_empty() && !name.chars().any(char::is_control);
    list.iter()
        .map(|e| {
            if by_name && !shared(&e.name) && typeable(&e.name) {
                CompletionCandidate::new(&e.name).help(Some(shown(&e.id).into()))
            } else {
                CompletionCandidate::new(&e.id).help(Some(shown(&e.name).into()))
            }
        })
        .collect()
}

/// Text from outside as a help line may show it.
fn shown(text: &str) -> String {
    crate::error::one_line(text)
}

/// `-c ACCOUNT_ID`: the accounts of the session's identity (after a logout, of every
/// identity cached for the session's IAM endpoint), with the account name as help.
pub fn account_candidates() -> Vec<CompletionCandidate> {
    let Some(ctx) = context() else {
        return Vec::new();
    };
    let Some(iam) = ctx.iam_endpoint() else {
        return Vec::new();
    };
    candidates(
        &completion_cache::accounts(&ctx.home, iam, ctx.iam_id()),
        false,
    )
}

/// `-g RESOURCE_GROUP`: the targeted account's resource groups, by name, with the ID as help.
pub fn resource_group_candidates() -> Vec<CompletionCandidate> {
    account_scoped(InAccount::ResourceGroups)
}

/// Every `SERVICE_ID` / service-ID `NAME|ID`: the targeted account's service IDs, by name,
/// with the ID as help.
pub fn service_id_candidates() -> Vec<CompletionCandidate> {
    account_scoped(InAccount::ServiceIds)
}

/// `api-key NAME|ID` and its siblings: the logged-in identity's own API keys in the targeted
/// account, by name, with the ID as help.
pub fn api_key_candidates() -> Vec<CompletionCandidate> {
    account_scoped(InAccount::ApiKeys)
}

/// Every trusted-profile `NAME|ID` and `PROFILE`: the targeted account's trusted profiles,
/// by name, with the ID as help.
pub fn profile_candidates() -> Vec<CompletionCandidate> {
    account_scoped(InAccount::TrustedProfiles)
}

// ---- access: groups, policies, roles, services -------------------------------------------

/// IBM's platform roles, offered for `--roles` before any role list was seen.
const PLATFORM_ROLES: [&str; 4] = ["Administrator", "Editor", "Operator", "Viewer"];
/// IAM-enabled services offered for `--service-name` besides those seen.
const WELL_KNOWN_SERVICES: [&str; 12] = [
    "cloud-object-storage",
    "containers-kubernetes",
    "codeengine",
    "databases-for-postgresql",
    "hs-crypto",
    "iam-access-management",
    "iam-groups",
    "iam-identity",
    "is",
    "kms",
    "resource-controller",
    "secrets-manager",
];

/// Every access-group `GROUP_NAME`: the targeted account's access groups, by name.
pub fn access_group_candidates() -> Vec<CompletionCandidate> {
    account_scoped(InAccount::AccessGroups)
}

/// The words of the command line being completed, after the `--` the scripts put first.
fn words() -> Vec<String> {
    let args: Vec<String> = std::env::args_os()
        .filter_map(|a| a.into_string().ok())
        .collect();
    let start = args.iter().position(|w| w == "--").map_or(0, |i| i + 1);
    args[start..].to_vec()
}

/// The value of `--flag VALUE` or `--flag=VALUE` among the words (the last one given).
fn flag_value(words: &[String], flag: &str) -> Option<String> {
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        if w == flag {
            found = words.get(i + 1).cloned();
        } else if let Some(v) = w.strip_prefix(&format!("{flag}=")) {
            found = Some(v.to_string());
        }
    }
    found.filter(|v| !v.is_empty())
}

/// `--service-name`, `--service`: the services seen in this account, and well-known ones.
pub fn service_name_candidates() -> Vec<CompletionCandidate> {
    let mut names: Vec<String> = context()
        .and_then(|ctx| {
            let (iam, account) = (ctx.iam_endpoint()?, ctx.account_id()?);
            Some(completion_cache::services(&ctx.home, iam, account))
        })
        .unwrap_or_default();
    names.extend(WELL_KNOWN_SERVICES.iter().map(|s| s.to_string()));
    names.sort();
    names.dedup();
    names.into_iter().map(CompletionCandidate::new).collect()
}

/// `--roles`: the roles of the service named on the command line (`--service-name`, or
/// `--service` for `roles`) as a role listing or a policy command last saw them; else the
/// platform's roles.
pub fn role_candidates() -> Vec<CompletionCandidate> {
    let words = words();
    let service = flag_value(&words, "--service-name")
        .or_else(|| flag_value(&words, "--service"))
        .unwrap_or_default();
    let cached = context()
        .and_then(|ctx| {
            let (iam, account) = (ctx.iam_endpoint()?, ctx.account_id()?);
            Some(completion_cache::roles(&ctx.home, iam, account, &service))
        })
        .unwrap_or_default();
    if cached.is_empty() {
        return PLATFORM_ROLES
            .iter()
            .map(|r| CompletionCandidate::new(*r))
            .collect();
    }
    cached
        .into_iter()
        .map(|e| CompletionCandidate::new(e.name).help(Some(e.id.into())))
        .collect()
}

/// `POLICY_ID`: the policies seen in the targeted account; those of the subject on the
/// command line (the word after the command) when it names one that was seen.
pub fn policy_candidates() -> Vec<CompletionCandidate> {
    let Some(ctx) = context() else {
        return Vec::new();
    };
    let (Some(iam), Some(account)) = (ctx.iam_endpoint(), ctx.account_id()) else {
        return Vec::new();
    };
    let all = completion_cache::policies(&ctx.home, iam, account);
    let words = words();
    let subject = words
        .iter()
        .position(|w| w.contains("polic"))
        .and_then(|i| words.get(i + 1))
        .filter(|w| !w.starts_with('-'));
    let mine: Vec<_> = match subject {
        Some(s) => all.iter().filter(|p| p.subject.contains(s)).collect(),
        None => Vec::new(),
    };
    let chosen = if mine.is_empty() {
        all.iter().collect()
    } else {
        mine
    };
    chosen
        .into_iter()
        .map(|p| CompletionCandidate::new(&p.id).help(Some(p.summary.clone().into())))
        .collect()
}

/// `access-policies --type`: the kinds of subject, as IBM's CLI names them.
pub fn subject_kind_candidates() -> Vec<CompletionCandidate> {
    SubjectKind::ALL
        .iter()
        .map(|k| CompletionCandidate::new(k.as_str()))
        .collect()
}

/// `access-policies --sort-by`: the fields, ascending, then each reversed (`-field`).
pub fn policy_sort_candidates() -> Vec<CompletionCandidate> {
    let up = SORT_FIELDS.iter().map(|f| (f.to_string(), "ascending"));
    let down = SORT_FIELDS.iter().map(|f| (format!("-{f}"), "descending"));
    up.chain(down)
        .map(|(f, order)| CompletionCandidate::new(f).help(Some(order.into())))
        .collect()
}

/// `account-policies --type`: `access` and `auth`.
pub fn policy_type_candidates() -> Vec<CompletionCandidate> {
    PolicyType::ALL
        .iter()
        .map(|t| CompletionCandidate::new(t.short_name()).help(Some(t.as_str().into())))
        .collect()
}

/// A cached list of the targeted account, for the session's identity.
fn account_scoped(what: InAccount) -> Vec<CompletionCandidate> {
    let Some(ctx) = context() else {
        return Vec::new();
    };
    let (Some(iam), Some(account), Some(iam_id)) =
        (ctx.iam_endpoint(), ctx.account_id(), ctx.iam_id())
    else {
        return Vec::new();
    };
    let list = completion_cache::in_account(&ctx.home, what, iam, account, iam_id);
    candidates(&list, true)
}

/// `-r REGION`: IBM Cloud's public regions (the only ones `-r` accepts), with their city.
pub fn region_candidates() -> Vec<CompletionCandidate> {
    crate::regions::REGIONS
        .iter()
        .map(|(name, city)| CompletionCandidate::new(*name).help(Some((*city).into())))
        .collect()
}

/// `--session NAME`, `session-switch NAME`, `session-delete NAME`: the sessions on disk, with
/// who is logged in to which account as help.
pub fn session_candidates() -> Vec<CompletionCandidate> {
    let Ok(home) = Home::locate() else {
        return Vec::new();
    };
    let Ok(names) = home.session_names() else {
        return Vec::new();
    };
    names
        .into_iter()
        .map(|name| {
            let session = home
                .store(&name)
                .ok()
                .and_then(|s| s.load::<Session>().ok().flatten());
            let help = match session.as_ref().and_then(|s| s.login.as_ref()) {
                Some(l) => match &l.account {
                    Some(a) => format!("{}, {}", l.user, a.name),
                    None => l.user.clone(),
                },
                None => "logged out".to_string(),
            };
            CompletionCandidate::new(name).help(Some(shown(&help).into()))
        })
        .collect()
}

/// `login --keyring NAME`, `stored-key-delete NAME`: the names in `stored-keys.json` (the
/// index, never the keyring), with the key's IAM name and account as help.
pub fn stored_key_candidates() -> Vec<CompletionCandidate> {
    let Ok(home) = Home::locate() else {
        return Vec::new();
    };
    stored_keys::load(&home)
        .unwrap_or_default()
        .into_iter()
        .map(|k| {
            let help = if k.key_name.is_empty() {
                format!("account {}", k.account_id)
            } else {
                format!("{}, account {}", k.key_name, k.account_id)
            };
            CompletionCandidate::new(k.name).help(Some(shown(&help).into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_shell_syntax_are_quoted_for_shells_that_insert_them_as_typed() {
        assert_eq!(Quoting::Bash.quote("demo-service"), "demo-service");
        assert_eq!(
            Quoting::Bash.quote("ServiceId-1:a/b@c"),
            "ServiceId-1:a/b@c"
        );
        assert_eq!(Quoting::Bash.quote("x$(touch ~/p)"), "'x$(touch ~/p)'");
        assert_eq!(Quoting::Bash.quote("it's"), r"'it'\''s'");
        assert_eq!(Quoting::Bash.quote("a b"), "'a b'");
        assert_eq!(Quoting::PowerShell.quote("x$(calc)`;y"), "'x$(calc)`;y'");
        assert_eq!(Quoting::PowerShell.quote("it's"), "'it''s'");
        assert_eq!(Quoting::PowerShell.quote("plain"), "plain");
    }

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_session_flag_is_found_among_the_completed_words() {
        let w = os(&[
            "iamctl",
            "--",
            "iamctl",
            "--session",
            "prod",
            "target",
            "-c",
            "",
        ]);
        assert_eq!(session_in_words(&w).as_deref(), Some("prod"));
        let w = os(&["iamctl", "--", "iamctl", "--session=ci", "service-id", ""]);
        assert_eq!(session_in_words(&w).as_deref(), Some("ci"));
        let w = os(&["iamctl", "--", "iamctl", "--session", ""]);
        assert_eq!(session_in_words(&w), None);
        let w = os(&["iamctl", "--", "iamctl", "service-id", ""]);
        assert_eq!(session_in_words(&w), None);
    }

    #[test]
    fn every_region_has_a_city() {
        let offered = region_candidates();
        assert_eq!(offered.len(), crate::regions::REGIONS.len());
        for c in offered {
            assert!(
                c.get_help().is_some_and(|h| !h.to_string().is_empty()),
                "{c:?}"
            );
        }
    }

    #[test]
    fn shared_names_are_offered_by_id() {
        let e = |id: &str, name: &str| Entry {
            id: id.into(),
            name: name.into(),
        };
        let list = vec![
            e("ServiceId-1", "dup"),
            e("ServiceId-2", "dup"),
            e("ServiceId-3", "one"),
        ];
        let values = |c: Vec<CompletionCandidate>| {
            c.iter()
                .map(|c| c.get_value().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            values(candidates(&list, true)),
            ["ServiceId-1", "ServiceId-2", "one"]
        );
        assert_eq!(
            values(candidates(&list, false)),
            ["ServiceId-1", "ServiceId-2", "ServiceId-3"]
        );
    }

    #[test]
    fn every_shell_has_a_registration_naming_the_variable() {
        use clap::ValueEnum;
        for shell in CompletionShell::value_variants() {
            let script = String::from_utf8(registration(*shell)).unwrap_or_default();
            assert!(script.contains(ENV_VAR), "{shell:?}:\n{script}");
        }
    }
}
