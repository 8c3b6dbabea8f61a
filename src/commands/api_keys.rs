//! API keys of service IDs (`service-api-key*`) and of the logged-in identity (`api-key*`):
//! one implementation, two scopes.
//!
//! Creating a key is the one step whose result cannot be fetched again, so every destination
//! for the secret (`--file`, `--keyring`) is made ready before IAM is asked for the key. If
//! the secret still cannot be saved afterwards, it is shown once rather than lost.

use super::entity::{self, Disableable, Kind, Lockable};
use super::identity::{IamCtx, ambiguous, is_id};
use super::service_ids::resolve_service_id;
use crate::auth::stored_keys;
use crate::completion_cache::Learnt;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::home::Beside;
use crate::iam::IamError;
use crate::iam::identity::{ApiKey, Changes, NewApiKey, Tagged};
use crate::output::Out;
use crate::settings::identity::{Change, KeyCreate, List, Owner, Show, Update};
use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Whose keys a command works on.
struct Scope {
    /// The owner's IAM ID: `iam-ServiceId-...` or the user's.
    iam_id: String,
    /// The service ID as the user named it; `None` for the user's own keys.
    service: Option<String>,
}

impl Scope {
    fn service(ctx: &IamCtx, arg: &str) -> Result<Scope> {
        let sid = resolve_service_id(ctx, arg)?;
        Ok(Scope {
            iam_id: sid.iam_id,
            service: Some(arg.to_string()),
        })
    }

    fn user(ctx: &IamCtx) -> Scope {
        Scope {
            iam_id: ctx.login.iam_id.clone(),
            service: None,
        }
    }

    /// `API key NAME of service ID SID under account ACCT` / `API key NAME under account ACCT`.
    fn subject(&self, out: &Out, key: &str, ctx: &IamCtx) -> String {
        match &self.service {
            Some(s) => format!(
                "API key {} of service ID {} under account {}",
                out.em(key),
                out.em(s),
                out.em(ctx.account_id())
            ),
            None => format!(
                "API key {} under account {}",
                out.em(key),
                out.em(ctx.account_id())
            ),
        }
    }

    /// What the success lines call the key.
    fn label(&self) -> &'static str {
        if self.service.is_some() {
            "Service ID API key"
        } else {
            "API key"
        }
    }

    fn owner_phrase(&self) -> String {
        match &self.service {
            Some(s) => format!("of service ID {s}"),
            None => "of yours".to_string(),
        }
    }

    /// Updates what TAB offers for `api-key NAME`. Only the user's own keys: the NAME of
    /// `service-api-key NAME SERVICE_ID` comes before its owner, so TAB cannot know whose.
    fn remember(&self, ctx: &IamCtx, what: Learnt<ApiKey>) {
        if self.service.is_none() {
            ctx.remember_own_api_keys(what);
        }
    }

    fn command(&self, verb: &str, key_id: &str) -> String {
        match &self.service {
            Some(s) => format!("iamctl service-api-key-{verb} {key_id} {}", shell_word(s)),
            None => format!("iamctl api-key-{verb} {key_id}"),
        }
    }
}

impl Kind for Scope {
    type Item = ApiKey;

    fn noun(&self) -> &'static str {
        "API key"
    }

    fn label(&self) -> &'static str {
        Scope::label(self)
    }

    fn subject(&self, ctx: &IamCtx, out: &Out, arg: &str) -> String {
        Scope::subject(self, out, arg, ctx)
    }

    fn question_tail(&self, _verb: &str) -> String {
        format!(" {}", self.owner_phrase())
    }

    fn unlock_command(&self, id: &str) -> String {
        // With -f, so that it also works pasted into a script (no terminal to confirm on).
        format!("{} -f", self.command("unlock", id))
    }

    fn table(&self, out: &Out, item: &ApiKey) -> String {
        key_table(out, item, None, &[])
    }

    fn resolve(&self, ctx: &IamCtx, arg: &str) -> Result<ApiKey> {
        resolve_key(ctx, self, arg)
    }

    fn get(&self, ctx: &IamCtx, id: &str) -> Result<Tagged<ApiKey>, IamError> {
        ctx.api().get_api_key(id)
    }

    fn put(
        &self,
        ctx: &IamCtx,
        id: &str,
        etag: &str,
        changes: &Changes<'_>,
    ) -> Result<ApiKey, IamError> {
        ctx.api().update_api_key(id, etag, changes)
    }

    fn delete(&self, ctx: &IamCtx, id: &str) -> Result<(), IamError> {
        ctx.api().delete_api_key(id)
    }

    fn remember(&self, ctx: &IamCtx, what: Learnt<ApiKey>) {
        Scope::remember(self, ctx, what);
    }
}

impl Lockable for Scope {
    fn set_lock(&self, ctx: &IamCtx, id: &str, lock: bool) -> Result<(), IamError> {
        ctx.api().set_api_key_lock(id, lock)
    }
}

impl Disableable for Scope {
    fn set_disabled(&self, ctx: &IamCtx, id: &str, disabled: bool) -> Result<(), IamError> {
        ctx.api().set_api_key_disabled(id, disabled)
    }
}

/// Quotes a word for a copy-and-paste hint when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// One key of the scope by name or ID; a key of another identity is refused.
fn resolve_key(ctx: &IamCtx, scope: &Scope, arg: &str) -> Result<ApiKey> {
    if is_id(arg, "ApiKey-") {
        let key = ctx
            .api()
            .get_api_key(arg)
            .map_err(|e| e.into_cli(&format!("Could not get API key {arg}")))?
            .value;
        if key.iam_id != scope.iam_id {
            let mut err = CliError::failed(format!(
                "API key {arg} is not an API key {}.",
                scope.owner_phrase()
            ));
            if scope.service.is_none() && key.iam_id.starts_with("iam-ServiceId-") {
                err = err.hint("for a service ID's key use the service-api-key-* commands");
            }
            return Err(err);
        }
        scope.remember(ctx, Learnt::Seen(std::slice::from_ref(&key)));
        return Ok(key);
    }
    let mut found: Vec<ApiKey> = list_keys(ctx, scope)?
        .into_iter()
        .filter(|k| k.name == arg)
        .collect();
    match found.len() {
        0 => Err(CliError::failed(format!(
            "API key '{arg}' {} was not found in account {}.",
            scope.owner_phrase(),
            ctx.account_id()
        ))),
        1 => Ok(found.remove(0)),
        _ => {
            let ids: Vec<&str> = found.iter().map(|k| k.id.as_str()).collect();
            Err(ambiguous("API key", arg, &scope.owner_phrase(), &ids))
        }
    }
}

fn list_keys(ctx: &IamCtx, scope: &Scope) -> Result<Vec<ApiKey>> {
    let keys = ctx
        .api()
        .list_api_keys(ctx.account_id(), &scope.iam_id)
        .map_err(|e| e.into_cli("Could not list API keys"))?;
    scope.remember(ctx, Learnt::All(&keys));
    Ok(keys)
}

/// The table for one key; `secret` adds the `API Key` row (only ever for a new key).
fn key_table(out: &Out, key: &ApiKey, secret: Option<&str>, extra: &[(&str, String)]) -> String {
    let mut rows = vec![
        ("ID", key.id.clone()),
        ("Name", key.name.clone()),
        ("Description", key.description.clone().unwrap_or_default()),
        ("Created At", key.created_at.clone()),
    ];
    if let Some(s) = secret {
        rows.push(("API Key", s.to_string()));
    }
    rows.push(("Locked", key.locked.to_string()));
    // Only when it is: IBM's table has no such row, and scripts read it by position.
    if key.disabled {
        rows.push(("Disabled", "true".to_string()));
    }
    rows.extend(extra.iter().cloned());
    out.key_values(&rows)
}

// ---- where a new key's secret goes ----------------------------------------------------------

/// A `--file` destination, made ready before the key exists: a 0600 file beside the path
/// (`home::Beside`) that takes its place only once the key is written in full.
enum KeyFile {
    /// A path nothing is at yet: linked into place only if the path is still free (never
    /// replacing what appeared meanwhile). The path is not reserved up front, because a
    /// reservation is an empty file at the user's path until the key arrives, and a process
    /// killed in between (the IAM request is most of a create) would leave it there: a key
    /// file is complete or absent.
    New(Beside),
    /// `--replace` over an existing file, renamed over it at the end, so the old file stays
    /// intact until the new content is complete.
    Replace(Beside),
}

const KEY_TEMP_PREFIX: &str = ".iamctl-key-";

impl KeyFile {
    /// Refuses (before any key exists) what cannot be written: an existing file without
    /// `--replace`, anything but a regular file, a missing or unwritable directory.
    fn prepare(path: &Path, replace: bool) -> Result<KeyFile> {
        let shown = path.display();
        let dir = key_dir(path);
        match std::fs::symlink_metadata(path) {
            Ok(meta) => {
                if !replace {
                    return Err(CliError::failed(format!(
                        "The file {shown} already exists; iamctl does not overwrite key files."
                    ))
                    .hint("pass --replace to replace it, or choose another --file"));
                }
                if !(meta.is_file() || meta.file_type().is_symlink()) {
                    return Err(CliError::failed(format!(
                        "{shown} is not a regular file; iamctl replaces only files."
                    ))
                    .hint(
                        "no API key was created; choose a --file path for a new or existing file",
                    ));
                }
                let beside = Beside::create(&dir, path, KEY_TEMP_PREFIX).map_err(|e| {
                    CliError::failed(format!(
                        "Cannot write the key file {shown}: cannot create a file in {}: {}",
                        dir.display(),
                        crate::home::without_temp_path(e)
                    ))
                    .hint("no API key was created; choose a --file in a writable directory")
                })?;
                Ok(KeyFile::Replace(beside))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let beside = Beside::create(&dir, path, KEY_TEMP_PREFIX).map_err(|e| {
                    let e = crate::home::without_temp_path(e);
                    CliError::failed(format!("Cannot create the key file {shown}: {e}"))
                        .hint("no API key was created; choose a --file in an existing, writable directory")
                })?;
                Ok(KeyFile::New(beside))
            }
            Err(e) => Err(
                CliError::failed(format!("Cannot use the key file {shown}: {e}"))
                    .hint("no API key was created"),
            ),
        }
    }

    fn path(&self) -> &Path {
        match self {
            KeyFile::New(f) | KeyFile::Replace(f) => f.path(),
        }
    }

    /// The key was never made: leave no trace (only files this command created go).
    fn abandon(self) {
        match self {
            KeyFile::New(f) | KeyFile::Replace(f) => drop(f),
        }
    }

    /// On any error the file beside goes with it: a half-written key file is worse than none.
    fn commit(self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            KeyFile::New(mut f) => {
                f.write(bytes)?;
                f.link_new()
            }
            KeyFile::Replace(mut f) => {
                f.write(bytes)?;
                f.replace()
            }
        }
    }
}

/// The directory a key file goes in (its temp file is made there, so the final link or
/// rename stays within one file system).
fn key_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What `--file` writes: the key file of IBM's CLI (its fields, in its order, tab-indented
/// like `ibmcloud iam api-key-create --file`), so that tools reading IBM's files read ours;
/// then the fields earlier iamctl files had (`id` and `created_at` repeat `uuid` and
/// `createdAt`, for scripts written against them), and the IAM ID and account.
#[derive(Serialize)]
struct KeyFileContent<'a> {
    name: &'a str,
    description: &'a str,
    apikey: &'a str,
    #[serde(rename = "createdAt")]
    created_at_ibm: &'a str,
    locked: bool,
    uuid: &'a str,
    id: &'a str,
    created_at: &'a str,
    iam_id: &'a str,
    account_id: &'a str,
}

fn key_file_bytes(key: &ApiKey, secret: &str) -> std::io::Result<Vec<u8>> {
    let content = KeyFileContent {
        name: &key.name,
        description: key.description.as_deref().unwrap_or_default(),
        apikey: secret,
        created_at_ibm: &key.created_at,
        locked: key.locked,
        uuid: &key.id,
        id: &key.id,
        created_at: &key.created_at,
        iam_id: &key.iam_id,
        account_id: &key.account_id,
    };
    let mut bytes = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut bytes,
        serde_json::ser::PrettyFormatter::with_indent(b"\t"),
    );
    content.serialize(&mut ser).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    Ok(bytes)
}

enum Destination {
    /// Shown on stdout (text table or JSON).
    Show,
    File(KeyFile),
    Keyring(Box<stored_keys::Pending>),
}

fn create_key(ctx: &IamCtx, scope: &Scope, args: &KeyCreate) -> Result<()> {
    let out = &ctx.out;
    let dest = if let Some(path) = &args.file {
        Destination::File(KeyFile::prepare(path, args.replace)?)
    } else if let Some(name) = &args.keyring {
        Destination::Keyring(Box::new(stored_keys::Pending::prepare(
            ctx.home(),
            ctx.services(),
            name,
            args.replace,
            &ctx.session,
        )?))
    } else {
        Destination::Show
    };
    match &scope.service {
        Some(_) => out.say(&format!(
            "Creating {} as {}...",
            scope.subject(out, &args.name, ctx),
            out.em(ctx.user())
        )),
        None => out.say(&format!(
            "Creating API key {} under {} as {}...",
            out.em(&args.name),
            out.em(ctx.account_id()),
            out.em(ctx.user())
        )),
    }
    let new = NewApiKey {
        name: &args.name,
        description: args.description.as_deref(),
        iam_id: &scope.iam_id,
        account_id: ctx.account_id(),
        action_when_leaked: args.action_if_leaked,
        lock: args.lock,
    };
    let key = match ctx.api().create_api_key(&new) {
        Ok(k) => k,
        Err(e) => {
            match dest {
                Destination::File(f) => f.abandon(),
                Destination::Keyring(_) | Destination::Show => {}
            }
            return Err(e.into_cli(&format!("Could not create API key {}", args.name)));
        }
    };
    scope.remember(ctx, Learnt::Seen(std::slice::from_ref(&key)));
    let Some(secret) = key.secret().map(str::to_string) else {
        return Err(CliError::failed(format!(
            "IAM created API key {} but did not return its secret.",
            key.id
        ))
        .hint(format!(
            "delete it, since nobody can use it: '{}'",
            scope.command("delete", &key.id)
        )));
    };
    let created_line = if scope.service.is_some() {
        format!("Service ID API key {} is created", out.em(&key.name))
    } else {
        format!("API key {} was created", out.em(&key.name))
    };

    // Where the secret went, as an extra table row and JSON field; or the reason it could
    // not go there, in which case it is shown once instead.
    let saved: std::result::Result<(&str, String), CliError> = match dest {
        Destination::Show => {
            show_new_key(out, &key, &secret, &created_line);
            return Ok(());
        }
        Destination::File(f) => {
            let path = f.path().display().to_string();
            match key_file_bytes(&key, &secret).and_then(|bytes| f.commit(&bytes)) {
                Ok(()) => Ok(("file", path)),
                Err(e) => Err(CliError::failed(format!(
                    "API key {} was created, but the key file {path} could not be written: {e}",
                    key.id
                ))),
            }
        }
        Destination::Keyring(pending) => {
            let name = pending.name().to_string();
            match pending.commit(&key, &secret).map_err(CliError::from) {
                Ok(()) => Ok(("keyring", name)),
                // The cause's own tips (a full disk, a used-up quota) still apply.
                Err(e) => Err(CliError {
                    message: format!(
                        "API key {} was created, but it could not be stored as '{name}': {}",
                        key.id, e.message
                    ),
                    ..e
                }),
            }
        }
    };
    match saved {
        Ok((field, place)) => {
            if out.json() {
                let mut v = serde_json::to_value(&key).unwrap_or(Value::Null);
                if let Some(obj) = v.as_object_mut() {
                    obj.remove("apikey");
                    obj.insert(field.to_string(), json!(place));
                }
                out.print_json(&v);
                return Ok(());
            }
            out.ok();
            out.say(&created_line);
            if field == "file" {
                // IBM's words, its typo included ("save"), and like IBM no table: scripts
                // written for ibmcloud match this line.
                out.say(&format!("Successfully save API key information to {place}"));
                return Ok(());
            }
            out.say(&format!(
                "The API key is kept in the secret store as '{place}' and is not shown; log in with it: iamctl login --keyring {place}"
            ));
            out.blank();
            out.data(&key_table(out, &key, None, &[("Keyring", place)]));
            Ok(())
        }
        Err(err) => {
            out.warn("the API key is shown below ONCE; save it now, it cannot be retrieved again");
            show_new_key(out, &key, &secret, &created_line);
            Err(err.hint(format!(
                "if you cannot save it, delete the key: '{}'",
                scope.command("delete", &key.id)
            )))
        }
    }
}

/// A new key with its secret: JSON (the API object) or IBM's text.
fn show_new_key(out: &Out, key: &ApiKey, secret: &str, created_line: &str) {
    if out.json() {
        out.print_json(key);
        return;
    }
    out.ok();
    out.say(created_line);
    out.blank();
    out.say("Please preserve the API key! It cannot be retrieved after it's created.");
    out.blank();
    out.data(&key_table(out, key, Some(secret), &[]));
}

/// `ids_only` (`--uuid`): the keys' IDs alone, one per line.
fn list_scope(ctx: &IamCtx, scope: &Scope, args: &List) -> Result<()> {
    let out = &ctx.out;
    let ids_only = args.ids_only;
    match &scope.service {
        _ if ids_only => {}
        Some(s) => out.say(&format!(
            "Getting all API keys of service ID {} under account {} as {}...",
            out.em(s),
            out.em(ctx.account_id()),
            out.em(ctx.user())
        )),
        None => out.say(&format!(
            "Getting all API keys of current user under account {} as {}...",
            out.em(ctx.account_id()),
            out.em(ctx.user())
        )),
    }
    let mut keys = list_keys(ctx, scope)?;
    keys.retain(|k| args.filter.keeps(&k.name, k.description.as_deref()));
    print_keys(out, &keys, ids_only, false);
    Ok(())
}

/// `service-api-keys --all`: the keys of every service ID of the account.
fn list_all_service_keys(ctx: &IamCtx, args: &List) -> Result<()> {
    let out = &ctx.out;
    out.say(&format!(
        "Getting all API keys of all service IDs under account {} as {}...",
        out.em(ctx.account_id()),
        out.em(ctx.user())
    ));
    let mut keys = ctx
        .api()
        .list_service_id_api_keys(ctx.account_id())
        .map_err(|e| e.into_cli("Could not list API keys"))?;
    keys.retain(|k| args.filter.keeps(&k.name, k.description.as_deref()));
    print_keys(out, &keys, args.ids_only, true);
    Ok(())
}

/// A list of keys as IDs, JSON or a table; `owners` adds the column of whose each key is.
fn print_keys(out: &Out, keys: &[ApiKey], ids_only: bool, owners: bool) {
    if ids_only {
        out.ids(keys.iter().map(|k| k.id.as_str()));
        return;
    }
    if out.json() {
        out.print_json(&keys);
        return;
    }
    out.ok();
    if keys.is_empty() {
        out.say("No API keys found.");
        return;
    }
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let mut row = vec![
                k.id.clone(),
                k.name.clone(),
                k.description.clone().unwrap_or_default(),
                k.created_at.clone(),
                k.locked.to_string(),
            ];
            if owners {
                row.push(k.iam_id.clone());
            }
            row
        })
        .collect();
    let mut headers = vec!["ID", "Name", "Description", "Created At", "Locked"];
    if owners {
        headers.push("Owner");
    }
    out.data(&out.table(&headers, &rows));
}

/// `ids_only` (`--uuid`): the key's ID alone.
fn show_key(ctx: &IamCtx, scope: &Scope, arg: &str, ids_only: bool) -> Result<()> {
    let out = &ctx.out;
    if !ids_only {
        out.say(&format!(
            "Getting {} as {}...",
            scope.subject(out, arg, ctx),
            out.em(ctx.user())
        ));
    }
    let key = resolve_key(ctx, scope, arg)?;
    if ids_only {
        out.ids([key.id.as_str()]);
        return Ok(());
    }
    if out.json() {
        out.print_json(&key);
        return Ok(());
    }
    out.ok();
    out.blank();
    out.data(&key_table(
        out,
        &key,
        None,
        &[("Last Updated", key.modified_at.clone())],
    ));
    Ok(())
}

// ---- the commands ---------------------------------------------------------------------------

/// The IAM context and the scope of `owner`'s keys.
fn open(cx: &Context, owner: &Owner) -> Result<(IamCtx, Scope)> {
    let ctx = IamCtx::open(cx)?;
    let scope = match owner {
        Owner::User => Scope::user(&ctx),
        Owner::ServiceId(sid) => Scope::service(&ctx, sid)?,
        Owner::AllServiceIds => {
            return Err(CliError::internal(
                "only listing takes the keys of every service ID",
            ));
        }
    };
    Ok((ctx, scope))
}

pub fn create(cx: &Context, owner: Owner, args: KeyCreate) -> Result<()> {
    let (ctx, scope) = open(cx, &owner)?;
    create_key(&ctx, &scope, &args)
}

pub fn list(cx: &Context, owner: Owner, args: List) -> Result<()> {
    if let Owner::AllServiceIds = owner {
        return list_all_service_keys(&IamCtx::open(cx)?, &args);
    }
    let (ctx, scope) = open(cx, &owner)?;
    list_scope(&ctx, &scope, &args)
}

pub fn show(cx: &Context, owner: Owner, args: Show) -> Result<()> {
    let (ctx, scope) = open(cx, &owner)?;
    show_key(&ctx, &scope, &args.target, args.ids_only)
}

pub fn update(cx: &Context, owner: Owner, args: Update) -> Result<()> {
    let (ctx, scope) = open(cx, &owner)?;
    entity::update(&scope, &ctx, &args)
}

pub fn delete(cx: &Context, owner: Owner, args: Change) -> Result<()> {
    let (ctx, scope) = open(cx, &owner)?;
    entity::delete(&scope, &ctx, &args)
}

pub fn set_lock(cx: &Context, owner: Owner, args: Change, lock: bool) -> Result<()> {
    let (ctx, scope) = open(cx, &owner)?;
    entity::set_lock(&scope, &ctx, &args, lock)
}

pub fn set_disabled(cx: &Context, owner: Owner, args: Change, disabled: bool) -> Result<()> {
    let (ctx, scope) = open(cx, &owner)?;
    entity::set_disabled(&scope, &ctx, &args, disabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    #[test]
    fn new_key_files_are_exclusive_and_private() {
        let dir = tmp();
        let path = dir.path().join("key.json");
        let f = KeyFile::prepare(&path, false).unwrap_or_else(|e| panic!("{}", e.message));
        // Nothing is at the path until the key is complete: a process killed while IAM
        // creates the key leaves no empty key file behind.
        assert!(!path.exists());
        let second = KeyFile::prepare(&path, false).unwrap_or_else(|e| panic!("{}", e.message));
        f.commit(b"{}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&path).ok(), Some(b"{}".to_vec()));
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        // A second writer that finishes later never replaces the first one's file.
        assert!(second.commit(b"second").is_err());
        assert_eq!(std::fs::read(&path).ok(), Some(b"{}".to_vec()));
        // Nor a symlink someone placed at the path.
        #[cfg(unix)]
        {
            let target = dir.path().join("elsewhere");
            let link = dir.path().join("link.json");
            let f = KeyFile::prepare(&link, false).unwrap_or_else(|e| panic!("{}", e.message));
            std::os::unix::fs::symlink(&target, &link).unwrap_or_else(|e| panic!("{e}"));
            assert!(f.commit(b"{}").is_err());
            assert!(!target.exists());
        }
        assert_eq!(
            std::fs::read_dir(dir.path())
                .map(|d| d
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(".iamctl-key-"))
                    .count())
                .ok(),
            Some(0),
            "temp files left behind"
        );
        let err = match KeyFile::prepare(&path, false) {
            Err(e) => e,
            Ok(_) => panic!("existing file accepted"),
        };
        assert!(err.render().contains("pass --replace"), "{}", err.render());
    }

    #[test]
    fn abandoning_removes_only_what_was_created() {
        let dir = tmp();
        let path = dir.path().join("key.json");
        KeyFile::prepare(&path, false)
            .unwrap_or_else(|e| panic!("{}", e.message))
            .abandon();
        assert!(!path.exists());
        std::fs::write(&path, b"old").unwrap_or_else(|e| panic!("{e}"));
        KeyFile::prepare(&path, true)
            .unwrap_or_else(|e| panic!("{}", e.message))
            .abandon();
        assert_eq!(std::fs::read(&path).ok(), Some(b"old".to_vec()));
        assert_eq!(
            std::fs::read_dir(dir.path()).map(|d| d.count()).ok(),
            Some(1)
        );
    }

    #[test]
    fn force_replaces_atomically_with_a_private_file() {
        let dir = tmp();
        let path = dir.path().join("key.json");
        std::fs::write(&path, b"old").unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644));
        }
        let f = KeyFile::prepare(&path, true).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(std::fs::read(&path).ok(), Some(b"old".to_vec()));
        f.commit(b"new").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&path).ok(), Some(b"new".to_vec()));
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn unwritable_destinations_are_refused_up_front() {
        let dir = tmp();
        assert!(KeyFile::prepare(&dir.path().join("missing/key.json"), false).is_err());
        assert!(KeyFile::prepare(&dir.path().join("missing/key.json"), true).is_err());
        // A directory is never replaced, even with -f.
        assert!(KeyFile::prepare(dir.path(), true).is_err());
        let file = dir.path().join("plain");
        std::fs::write(&file, b"x").unwrap_or_else(|e| panic!("{e}"));
        assert!(KeyFile::prepare(&file.join("key.json"), false).is_err());
    }

    #[test]
    fn a_failed_write_after_creation_removes_the_partial_file() {
        let dir = tmp();
        let path = dir.path().join("key.json");
        std::fs::write(&path, b"old").unwrap_or_else(|e| panic!("{e}"));
        let f = KeyFile::prepare(&path, true).unwrap_or_else(|e| panic!("{}", e.message));
        // The directory vanishing between preparation and writing makes the write fail.
        let _ = std::fs::remove_dir_all(dir.path());
        assert!(f.commit(b"{}").is_err());
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("ServiceId-1"), "ServiceId-1");
        assert_eq!(shell_word("my sid"), "'my sid'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
