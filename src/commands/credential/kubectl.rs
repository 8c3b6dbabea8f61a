//! kubectl's exec credential plugin: `iamctl credential kubectl` prints a
//! `client.authentication.k8s.io/v1` ExecCredential with the token IBM Cloud Kubernetes
//! Service clusters accept (the `kube` client's, through a delegated refresh token), and
//! `--install` writes the plugin into the one kubeconfig it is pointed at.

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::home::FileError;
use serde_json::json;
use serde_norway::{Mapping, Value};
use std::path::Path;

/// The OAuth client of IBM Cloud Kubernetes Service clusters (OpenID Connect audience).
pub const KUBE_CLIENT: &str = "kube";
const API_VERSION: &str = "client.authentication.k8s.io/v1";

/// The ExecCredential on stdout: kubectl reads nothing else from the plugin.
pub fn print_credential(ctx: &Context) -> Result<()> {
    let creds = ctx.credentials()?;
    let token = creds
        .fresh_for_client(KUBE_CLIENT)
        .map_err(|e| crate::commands::errors::login_needed(ctx, &creds, e))?;
    let expires = jiff::Timestamp::from_second(token.expires_at)
        .map(|t| t.to_string())
        .map_err(|e| CliError::internal(format!("token expiry out of range: {e}")))?;
    let credential = json!({
        "apiVersion": API_VERSION,
        "kind": "ExecCredential",
        "status": { "token": token.token, "expirationTimestamp": expires },
    });
    crate::output::answer(&credential.to_string()).map_err(super::unanswered)
}

/// Adds (or replaces) the user `iamctl-<session>` running this plugin, and points every
/// context of `cluster` at it (making a context named after the cluster if there is none).
/// Everything else in the file stays; YAML comments do not survive the rewrite.
pub fn install(ctx: &Context, cluster: &str, kubeconfig: &Path) -> Result<()> {
    let out = &ctx.out;
    let creds = ctx.credentials()?;
    let text = std::fs::read_to_string(kubeconfig).map_err(|e| {
        CliError::from(FileError::new("read the kubeconfig", kubeconfig, e))
            .hint("--kubeconfig must name an existing kubeconfig that has the cluster")
    })?;
    let user = format!("iamctl-{}", creds.name());
    let exe = std::env::current_exe()
        .map_err(|e| CliError::failed(format!("Could not find the iamctl binary: {e}")))?;
    let (text, pointed) = with_plugin(
        &text,
        kubeconfig,
        cluster,
        &user,
        &exe.to_string_lossy(),
        creds.name(),
    )?;
    let dir = match kubeconfig.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    crate::home::write_atomic(&dir, kubeconfig, text.as_bytes())?;
    out.ok();
    // The absolute path, as written: kubectl runs plugins without the user's shell PATH.
    out.say(&format!(
        "User {user} in {} runs '{} --session {} credential kubectl'; context(s) {} use it.",
        crate::output::shown(&kubeconfig.display().to_string()),
        crate::output::shown(&exe.to_string_lossy()),
        creds.name(),
        crate::output::shown(&pointed.join(", "))
    ));
    Ok(())
}

/// The kubeconfig `text` (read from `kubeconfig`) with the user `user` running `exe` for
/// `session`, and the contexts of `cluster` pointed at it; also their names. Pure, so the
/// fuzz target runs it on any YAML.
pub fn with_plugin(
    text: &str,
    kubeconfig: &Path,
    cluster: &str,
    user: &str,
    exe: &str,
    session: &str,
) -> Result<(String, Vec<String>)> {
    let mut doc: Value = serde_norway::from_str(text).map_err(|e| {
        CliError::failed(format!(
            "{} is not a kubeconfig iamctl can read: {e}",
            kubeconfig.display()
        ))
    })?;
    let root = doc
        .as_mapping_mut()
        .ok_or_else(|| not_kubeconfig(kubeconfig))?;
    let clusters = names(root.get("clusters"));
    if !clusters.iter().any(|c| c == cluster) {
        return Err(CliError::usage(format!(
            "{} has no cluster named '{cluster}'.",
            kubeconfig.display()
        ))
        .hint(if clusters.is_empty() {
            "add the cluster first (ibmcloud ks cluster config, or kubectl config set-cluster)"
                .to_string()
        } else {
            format!("its clusters: {}", clusters.join(", "))
        }));
    }
    let exec: Value = serde_norway::to_value(json!({
        "apiVersion": API_VERSION,
        "command": exe,
        "args": ["--session", session, "credential", "kubectl"],
        "interactiveMode": "Never",
        "provideClusterInfo": false,
    }))
    .map_err(|e| CliError::internal(e.to_string()))?;
    let mut entry = Mapping::new();
    entry.insert("name".into(), user.into());
    let mut body = Mapping::new();
    body.insert("exec".into(), exec);
    entry.insert("user".into(), Value::Mapping(body));
    let users = list(root, "users", kubeconfig)?;
    users.retain(|u| u.get("name").and_then(Value::as_str) != Some(user));
    users.push(Value::Mapping(entry));
    let contexts = list(root, "contexts", kubeconfig)?;
    let mut pointed = Vec::new();
    for ctx in contexts.iter_mut() {
        let name = ctx.get("name").and_then(Value::as_str).map(str::to_string);
        if let Some(body) = ctx.get_mut("context").and_then(Value::as_mapping_mut)
            && body.get("cluster").and_then(Value::as_str) == Some(cluster)
        {
            body.insert("user".into(), user.into());
            pointed.extend(name);
        }
    }
    if pointed.is_empty() {
        let mut body = Mapping::new();
        body.insert("cluster".into(), cluster.into());
        body.insert("user".into(), user.into());
        let mut ctx = Mapping::new();
        ctx.insert("name".into(), cluster.into());
        ctx.insert("context".into(), Value::Mapping(body));
        contexts.push(Value::Mapping(ctx));
        pointed.push(cluster.to_string());
    }
    // What the YAML library reads but cannot write again (a tag on a key, say) is the file's
    // content, not a bug of iamctl's: the file stays as it was.
    let text = serde_norway::to_string(&doc).map_err(|e| {
        CliError::failed(format!(
            "{} holds YAML iamctl can read but not write back ({e}); it was not changed.",
            kubeconfig.display()
        ))
        .hint("remove YAML tags (!name) from its keys, or add the user by hand: iamctl credential kubectl --help")
    })?;
    Ok((text, pointed))
}

fn not_kubeconfig(path: &Path) -> CliError {
    CliError::failed(format!("{} is not a kubeconfig.", path.display()))
}

/// The `name`s of a kubeconfig list.
fn names(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_sequence)
        .map(|s| {
            s.iter()
                .filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A top-level list of the kubeconfig, made empty if it is missing.
fn list<'a>(root: &'a mut Mapping, key: &str, path: &Path) -> Result<&'a mut Vec<Value>> {
    let entry = root
        .entry(key.into())
        .or_insert_with(|| Value::Sequence(Vec::new()));
    if entry.is_null() {
        *entry = Value::Sequence(Vec::new());
    }
    entry.as_sequence_mut().ok_or_else(|| not_kubeconfig(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn a_kubeconfig_that_cannot_be_written_back_is_the_files_fault_not_iamctls() {
        // Found by the kubeconfig fuzz target: a tag that reads but cannot be written again
        // was an internal error (exit 70).
        let text = "clusters:\n- name: test\n  cluster:\n   !server: https://12?context:\n    cluster: test\n";
        let e = match with_plugin(text, Path::new("kc"), "test", "u", "/bin/iamctl", "ci") {
            Err(e) => e,
            Ok((out, _)) => panic!("written: {out}"),
        };
        assert_eq!(e.kind, ErrorKind::Failed, "{}", e.message);
        assert!(e.message.starts_with("kc "), "{}", e.message);
    }
}
