//! The Docker credential-helper protocol (docker, podman, skopeo, buildah): `get` reads a
//! registry on stdin and answers `{"ServerURL", "Username": "iambearer", "Secret": <access
//! token>}` for IBM Container Registry (icr.io, *.icr.io) and the hosts added with `iamctl
//! config registries add`. Anything else, or no login, gets the protocol's "credentials not
//! found" answer (on stdout, exit 1), which clients take as "try without". `store` and
//! `erase` accept and keep nothing: the token comes from the session. Clients run the helper
//! as `docker-credential-iamctl`, a link to iamctl that `--install DIR` makes.

use crate::auth::Credentials;
use crate::cli::{DockerAction, DockerArgs};
use crate::error::{CliError, ErrorKind, Result};
use crate::home::{Home, SECRET_FILE_LIMIT};
use crate::output::Out;
use serde_json::json;
use std::io::Read;
use std::path::Path;

/// The name clients call (`credHelpers` / `credsStore` value `iamctl`).
pub const HELPER_NAME: &str = "docker-credential-iamctl";
/// What the protocol's clients recognise as "no credentials for this server".
const NOT_FOUND: &str = "credentials not found in native keychain";
/// IBM Container Registry's username for an IAM access token.
const USERNAME: &str = "iambearer";

pub fn run(args: &DockerArgs, out: &Out) -> Result<()> {
    if let Some(dir) = &args.install {
        return install(dir, args.force, out);
    }
    match args.action {
        Some(action) => serve(action),
        None => Err(CliError::usage("No action given.")
            .hint("iamctl credential docker get|store|erase|list")),
    }
}

/// Runs one protocol action; called directly when iamctl runs as docker-credential-iamctl.
pub fn serve(action: DockerAction) -> Result<()> {
    match action {
        DockerAction::Get => get().inspect_err(|e| {
            // The protocol reads an error on stdout ("credentials not found" above all).
            println!("{}", e.message);
        }),
        // Nothing is kept: the input is read (the client writes it) and dropped.
        DockerAction::Store | DockerAction::Erase => read_stdin().map(|_| ()),
        DockerAction::List => {
            println!("{{}}");
            Ok(())
        }
    }
}

/// The action named by iamctl's own arguments when it runs as docker-credential-iamctl.
pub fn action_from_args(args: &[std::ffi::OsString]) -> Option<DockerAction> {
    use clap::ValueEnum;
    match args {
        [one] => DockerAction::from_str(one.to_str()?, false).ok(),
        _ => None,
    }
}

fn get() -> Result<()> {
    let server = read_stdin()?;
    let server = server.trim();
    let Some(host) = registry_host(server) else {
        return Err(not_found());
    };
    let home = Home::locate()?;
    let known = is_ibm_registry(&host) || crate::config::registries(&home)?.contains(&host);
    if !known {
        return Err(not_found());
    }
    let login = match Credentials::active().and_then(|c| c.fresh()) {
        Ok((_, login)) => login,
        Err(crate::auth::AuthError::NotLoggedIn) => {
            eprintln!("iamctl: not logged in; run 'iamctl login' to give {host} a token");
            return Err(not_found());
        }
        Err(e) => return Err(e.into()),
    };
    println!(
        "{}",
        json!({ "ServerURL": server, "Username": USERNAME, "Secret": login.access_token })
    );
    Ok(())
}

/// The protocol's answer for a server the helper has nothing for: that exact text on stdout.
fn not_found() -> CliError {
    CliError::new(ErrorKind::Failed, NOT_FOUND)
}

/// What the helper was given on stdin, bounded.
fn read_stdin() -> Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(SECRET_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::failed(format!("Could not read stdin: {e}")))?;
    if bytes.len() as u64 > SECRET_FILE_LIMIT {
        return Err(CliError::usage(
            "Too much input on stdin for a credential helper.",
        ));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The host (with its port, if any) of a registry as clients name it: `us.icr.io`,
/// `https://us.icr.io/v2/`, `registry.example.com:5000`. `None` for what is no host.
pub fn registry_host(server: &str) -> Option<String> {
    let s = server.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = s.split('/').next()?.to_ascii_lowercase();
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then_some(host)
}

/// IBM Container Registry: `icr.io` and its regional and private hosts (`us.icr.io`,
/// `private.de.icr.io`), on any port.
pub fn is_ibm_registry(host: &str) -> bool {
    let name = host.split(':').next().unwrap_or(host);
    name == "icr.io" || name.ends_with(".icr.io")
}

/// Makes `DIR/docker-credential-iamctl`, a link to the running iamctl.
fn install(dir: &Path, force: bool, out: &Out) -> Result<()> {
    let link = dir.join(HELPER_NAME);
    let exe = std::env::current_exe()
        .map_err(|e| CliError::failed(format!("Could not find the iamctl binary: {e}")))?;
    if !dir.is_dir() {
        return Err(
            CliError::usage(format!("{} is not a directory.", dir.display()))
                .hint("give a directory on your PATH, such as ~/.local/bin"),
        );
    }
    if std::fs::symlink_metadata(&link).is_ok() {
        if !force {
            return Err(
                CliError::failed(format!("{} already exists.", link.display()))
                    .hint("pass -f to replace it"),
            );
        }
        std::fs::remove_file(&link)
            .map_err(|e| CliError::from(crate::home::FileError::new("remove", &link, e)))?;
    }
    make_link(&exe, &link)
        .map_err(|e| CliError::from(crate::home::FileError::new("create", &link, e)))?;
    out.ok();
    out.say(&format!(
        "{} runs iamctl's Docker credential helper. Make sure {} is on PATH, then add to ~/.docker/config.json (or containers' auth.json):",
        link.display(),
        dir.display()
    ));
    out.data("  \"credHelpers\": { \"icr.io\": \"iamctl\", \"us.icr.io\": \"iamctl\", \"de.icr.io\": \"iamctl\" }\n");
    Ok(())
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(target, link).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_hosts_are_read_as_clients_write_them() {
        assert_eq!(registry_host("us.icr.io").as_deref(), Some("us.icr.io"));
        assert_eq!(
            registry_host("https://US.icr.io/v2/").as_deref(),
            Some("us.icr.io")
        );
        assert_eq!(
            registry_host("127.0.0.1:5000").as_deref(),
            Some("127.0.0.1:5000")
        );
        assert_eq!(registry_host(""), None);
        assert_eq!(registry_host("a b"), None);
    }

    #[test]
    fn ibm_container_registry_is_icr_io_and_its_subdomains_only() {
        assert!(is_ibm_registry("icr.io"));
        assert!(is_ibm_registry("private.de.icr.io:443"));
        assert!(!is_ibm_registry("evilicr.io"));
        assert!(!is_ibm_registry("icr.io.example.com"));
    }
}
