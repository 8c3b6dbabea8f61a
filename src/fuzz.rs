//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz): one per parser of outside data,
//! each taking the raw bytes a file, an IAM answer, stdin or the environment would bring and
//! running iamctl's own code on them. Hidden from the docs: no API, it changes with the
//! targets.
//!
//! A function panics only when it finds a bug: a panic in iamctl's code (the fuzzer reports
//! it as a crash) or a broken promise, checked cheaply where there is one: what parses
//! survives being written and read again, a rejected input gets a one-line error.

use crate::commands::credential::{docker, kubectl};
use crate::commands::token;
use crate::iam::errors::ApiError;
use crate::iam::{self, identity, jwt, trace};
use crate::session;
use crate::{completion_cache, config, endpoints, regions, secrets};
use serde_json::Value;
use std::ffi::OsString;
use std::path::Path;

/// A fixed "now", so the same input always takes the same path.
const NOW: i64 = 1_767_225_600;

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The promise every error iamctl prints keeps: one line, something to read.
fn one_line(what: &str, message: &str) {
    assert!(!message.trim().is_empty(), "{what}: empty error");
    assert!(
        !message.contains(['\n', '\r']),
        "{what}: error of more than one line: {message:?}"
    );
}

/// Splits the input in two at the first NUL (for parsers that take two values).
fn two(data: &[u8]) -> (String, String) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (text(&data[..i]), text(&data[i + 1..])),
        None => (text(data), String::new()),
    }
}

/// `sessions/<name>.json`: parsed as `SessionStore::load` does, then everything `sessions`,
/// `target` and the token hot path compute from it. What parses must read back the same
/// after `save`'s encoding.
pub fn session_file(data: &[u8]) {
    let s = match crate::auth::record::parse(data) {
        Ok(s) => s,
        Err(source) => {
            let e = session::SessionError::Corrupt {
                path: "sessions/default.json".into(),
                source,
            };
            return one_line("session", &e.to_string());
        }
    };
    let _ = s.endpoints();
    let _ = crate::commands::summary(&s);
    let _ = crate::commands::target_json(&s);
    if let Some(l) = &s.login {
        let _ = (l.needs_refresh(NOW), l.expired(NOW));
        let _ = crate::commands::login_json(l);
        let _ = l.secrets.slots().count();
        for t in l.delegated.values() {
            let _ = t.needs_refresh(NOW);
        }
    }
    let bytes = match crate::home::json_bytes(&s) {
        Ok(b) => b,
        Err(e) => panic!("a parsed session does not encode: {e}"),
    };
    match crate::auth::record::parse(&bytes) {
        Ok(back) => assert_eq!(back, s, "the session changed on its way through the file"),
        Err(e) => panic!("a saved session does not read back: {e}"),
    }
}

/// `secrets.json`, the explicit file store: what parses writes back the same.
pub fn secrets_file(data: &[u8]) {
    match secrets::parse_file_store(data) {
        Ok(entries) => {
            let bytes = secrets::encode_file_store(entries.clone())
                .unwrap_or_else(|e| panic!("parsed secrets do not encode: {e}"));
            let back = secrets::parse_file_store(&bytes)
                .unwrap_or_else(|e| panic!("written secrets do not read back: {e}"));
            assert_eq!(back, entries);
        }
        Err(source) => {
            let e = secrets::SecretError::Corrupt {
                path: "secrets.json".into(),
                source,
            };
            one_line("secrets", &e.to_string());
        }
    }
}

/// `completion-cache.json`: a corrupt cache is no cache (TAB offers nothing); one that
/// parses writes back the same.
pub fn completion_cache(data: &[u8]) {
    if let Some(cache) = completion_cache::parse(data) {
        let bytes = completion_cache::encode(&cache)
            .unwrap_or_else(|| panic!("a parsed cache does not encode"));
        assert_eq!(completion_cache::parse(&bytes).as_ref(), Some(&cache));
    }
}

/// `stored-keys.json`: what parses writes back the same.
pub fn stored_keys(data: &[u8]) {
    use crate::auth::stored_keys;
    match stored_keys::parse(data) {
        Ok(keys) => {
            for k in &keys {
                let _ = stored_keys::validate_name(&k.name);
            }
            let bytes = stored_keys::encode(keys.clone())
                .unwrap_or_else(|e| panic!("parsed stored keys do not encode: {e}"));
            let mut sorted = keys;
            sorted.sort_by(|a, b| a.name.cmp(&b.name));
            match stored_keys::parse(&bytes) {
                Ok(back) => assert_eq!(back, sorted),
                Err(e) => panic!("written stored keys do not read back: {e}"),
            }
        }
        Err(source) => {
            let e = stored_keys::StoredKeyError::Corrupt {
                path: "stored-keys.json".into(),
                source,
            };
            one_line("stored keys", &e.to_string());
        }
    }
}

/// `config.json`: the secret store and registries settings, and a change to it keeping
/// every other setting.
pub fn config_file(data: &[u8]) {
    let path = Path::new("config.json");
    match config::parse(path, data) {
        Ok(cfg) => {
            if let Err(e) = config::store_setting(&cfg, path) {
                one_line("config secret_store", &e.to_string());
            }
            let _ = config::registries_setting(&cfg);
            match config::changed(path, Some(data), |c| {
                c.insert("secret_store".into(), Value::String("file".into()));
            }) {
                Ok(bytes) => {
                    let after = config::parse(path, &bytes)
                        .unwrap_or_else(|e| panic!("a changed config does not read back: {e}"));
                    assert!(matches!(
                        config::store_setting(&after, path),
                        Ok(secrets::StoreKind::File)
                    ));
                    if let (Value::Object(before), Value::Object(after)) = (&cfg, &after) {
                        for (k, v) in before.iter().filter(|(k, _)| *k != "secret_store") {
                            assert_eq!(after.get(k), Some(v), "setting {k} lost");
                        }
                    }
                }
                Err(e) => one_line("config change", &e.to_string()),
            }
        }
        Err(e) => one_line("config", &e.to_string()),
    }
}

/// JWT claims as iamctl reads them (`iam::jwt`, for a login's identity and times) and as
/// `token decode` shows them, including the times it renders.
pub fn jwt(data: &[u8]) {
    let t = text(data);
    if let Some(claims) = jwt::decode(&t) {
        let _ = claims.display_user();
        let _ = claims.account_bss();
        let tokens = iam::TokenResponse::default();
        let (iat, exp) = tokens.times(&claims);
        assert!(iat <= exp, "issued after it expires");
    }
    match token::claims_of(&t) {
        Ok(claims) => {
            let _ = token::render(&claims, NOW, &token::LocalTime);
        }
        Err(why) => one_line("token decode", why),
    }
}

/// IAM's error bodies (status in the first two bytes): always one readable line.
pub fn iam_error(data: &[u8]) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
        _ => (500, data),
    };
    let e = ApiError::parse(status, body);
    one_line("IAM error", &e.line());
    let _ = (e.is_client_error(), e.has_code("BXNIM0415E"));
}

/// The success bodies iamctl reads from IAM, the platform APIs and the VPC metadata service
/// (which one: the first byte). Entities keep every field, so reading what iamctl would
/// print again gives the same.
pub fn iam_body(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 8 {
        0 => {
            if let Ok(t) = serde_json::from_slice::<iam::TokenResponse>(body) {
                let _ = t.usable_refresh_token();
                let claims = jwt::decode(&t.access_token).unwrap_or_default();
                let (iat, exp) = t.times(&claims);
                assert!(iat <= exp, "issued after it expires");
            }
        }
        1 => {
            if let Ok(p) = serde_json::from_slice::<iam::AccountsPage>(body) {
                let _ = p.accounts();
            }
        }
        2 => {
            if let Ok(p) = serde_json::from_slice::<iam::GroupsPage>(body) {
                let _ = p.groups();
            }
        }
        3 => page::<identity::ServiceId>(body, "serviceids"),
        4 => page::<identity::ApiKey>(body, "apikeys"),
        5 => page::<identity::TrustedProfile>(body, "profiles"),
        6 => {
            if let Ok(v) = serde_json::from_slice::<Value>(body) {
                if let Err(e) = identity::items::<identity::ProfileLink>(&v, "links") {
                    one_line("links", &e.to_string());
                }
                if let Err(e) = identity::items::<identity::ProfileIdentity>(&v, "identities") {
                    one_line("identities", &e.to_string());
                }
            }
        }
        _ => {
            use iam::metadata::{IamToken, IdentityToken};
            let _ = serde_json::from_slice::<IdentityToken>(body);
            if let Ok(t) = serde_json::from_slice::<IamToken>(body) {
                match t.into_response("http://169.254.169.254") {
                    Ok(t) => {
                        let (iat, exp) = t.times(&jwt::Claims::default());
                        assert!(iat <= exp, "issued after it expires");
                    }
                    Err(e) => one_line("metadata", &e.to_string()),
                }
            }
        }
    }
}

/// One page of an IAM Identity listing; its items encode and read back the same.
fn page<T>(body: &[u8], field: &str)
where
    T: serde::Serialize + for<'de> serde::Deserialize<'de>,
{
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    match identity::read_page::<T>(&v, field) {
        Ok((items, _next)) => {
            for item in items {
                let once = serde_json::to_value(&item)
                    .unwrap_or_else(|e| panic!("an entity does not encode: {e}"));
                let back: T = serde_json::from_value(once.clone())
                    .unwrap_or_else(|e| panic!("an encoded entity does not read back: {e}"));
                let twice = serde_json::to_value(&back)
                    .unwrap_or_else(|e| panic!("an entity does not encode: {e}"));
                assert_eq!(once, twice, "an entity changed when read again");
            }
        }
        Err(e) => one_line(field, &e.to_string()),
    }
}

/// `--apikey @FILE`: the key in any of IBM's key files, or the bare key. A key found is
/// trimmed and not empty, and JSON is never taken for the key itself.
pub fn key_file(data: &[u8]) {
    match crate::settings::login::key_in_file(&text(data)) {
        Ok(key) => {
            assert!(!key.is_empty() && key.trim() == key, "key {key:?}");
        }
        Err(why) => one_line("key file", why),
    }
}

/// The Docker credential helper's stdin: the registry a client asks about.
pub fn docker_stdin(data: &[u8]) {
    let server = text(data);
    if let Some(host) = crate::settings::session::registry_host(server.trim()) {
        assert!(!host.is_empty() && !host.contains('/'), "host {host:?}");
        assert_eq!(host, host.to_ascii_lowercase());
        // The host as iamctl stores it (`config registries add`) must name itself.
        assert_eq!(
            crate::settings::session::registry_host(&host).as_deref(),
            Some(host.as_str())
        );
        let _ = docker::is_ibm_registry(&host);
    }
}

/// `credential kubectl --install`: the kubeconfig (YAML) with iamctl's user added. The
/// result reads back, and installing again changes nothing.
pub fn kubeconfig(data: &[u8]) {
    let (cluster, yaml) = two(data);
    let path = Path::new("kubeconfig");
    let install =
        |text: &str| kubectl::with_plugin(text, path, &cluster, "iamctl-ci", "/bin/iamctl", "ci");
    match install(&yaml) {
        Ok((once, _contexts)) => match install(&once) {
            Ok((twice, _)) => assert_eq!(once, twice, "a second install changed the file"),
            Err(e) => panic!("an installed kubeconfig is refused: {e:?}"),
        },
        // The cluster's name is the user's own, and may hold anything; the file's faults
        // are never iamctl's own (exit 70).
        Err(e) => {
            assert!(!e.message.trim().is_empty(), "kubeconfig: empty error");
            assert!(
                e.kind != crate::error::ErrorKind::Internal,
                "kubeconfig: {}",
                e.message
            );
        }
    }
}

/// What the environment and flags give as text (endpoints, the metadata URL, regions,
/// session and stored-key names, the secret store). Normalised values stay as they are
/// when given again.
pub fn env_values(data: &[u8]) {
    let (a, b) = two(data);
    let iam = (!b.is_empty()).then_some(b.as_str());
    if let Ok(e) = endpoints::Endpoints::resolve(&a, iam) {
        for url in [&e.iam, &e.accounts, &e.resource_controller] {
            assert!(
                url.starts_with("https://") || url.starts_with("http://"),
                "{url}"
            );
        }
        let again = endpoints::Endpoints::resolve(&e.api, iam)
            .unwrap_or_else(|err| panic!("{} refused when given again: {err}", e.api));
        assert_eq!(again, e);
    }
    if let Ok(u) = endpoints::metadata_url(&a) {
        assert_eq!(
            endpoints::metadata_url(&u).ok().as_deref(),
            Some(u.as_str())
        );
    }
    if let Ok(r) = regions::validate(&a) {
        assert_eq!(regions::validate(&r.name).ok(), Some(r));
    }
    if let Ok(name) = session::validate_name(a.trim(), "the 'current' file") {
        assert!(!name.contains(['/', '\\']) && name != "." && name != "..");
    }
    if crate::auth::stored_keys::validate_name(&a).is_ok() {
        assert!(!a.contains(['/', '\\', '|']));
    }
    if let Err(e) = config::parse_store(&a, config::STORE_VAR) {
        assert!(!e.to_string().is_empty());
    }
}

/// HTTP trace redaction of bodies and query strings iamctl did not write (IAM's answers):
/// no JWT survives it, and hiding twice hides nothing more.
pub fn trace(data: &[u8]) {
    let t = text(data);
    let body = trace::redact_body(&t);
    assert_eq!(trace::hide_jwts(&body), body, "a JWT survived redaction");
    let form = trace::redact_form(&t);
    let _ = trace::hide_jwts(&form);
}

/// The command line of the commands answered past clap: whenever the shortcut answers,
/// clap reads the same command.
pub fn argv(data: &[u8]) {
    let args: Vec<OsString> = data
        .split(|&b| b == 0)
        .map(|a| OsString::from(text(a)))
        .collect();
    if let Some(fast) = crate::cli::fast_path(&args) {
        let strs: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
        assert_eq!(
            crate::cli::clap_fast(&strs),
            Some(fast),
            "the shortcut and clap disagree on {strs:?}"
        );
    }
}
