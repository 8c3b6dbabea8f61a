//! `config.json` in the iamctl home: the settings a user makes once (where secrets are kept,
//! which extra registries the Docker credential helper answers for), and
//! `IAMCTL_SECRET_STORE`, which overrides the first for one run.

use crate::home::{FileError, Home, create_private_dir, read_if_exists, write_atomic};
use crate::secrets::StoreKind;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

const FILE: &str = "config.json";
pub const STORE_VAR: &str = "IAMCTL_SECRET_STORE";

#[derive(Debug)]
pub enum ConfigError {
    File(FileError),
    /// The file is not JSON (reading) or not a JSON object (changing it).
    Invalid {
        path: PathBuf,
        source: Option<serde_json::Error>,
    },
    /// A store name that is neither `keyring` nor `file`, and where it was found.
    UnknownStore {
        value: String,
        place: String,
    },
    Encode(serde_json::Error),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::File(e) => e.fmt(f),
            ConfigError::Invalid {
                path,
                source: Some(e),
            } => write!(
                f,
                "{} is not valid JSON: {}",
                path.display(),
                crate::error::one_line(e)
            ),
            ConfigError::Invalid { path, source: None } => {
                write!(f, "{} is not a JSON object.", path.display())
            }
            ConfigError::UnknownStore { value, place } => write!(
                f,
                "Unknown secret store '{}' in {place}: use 'keyring' or 'file'.",
                crate::error::one_line(value)
            ),
            ConfigError::Encode(e) => write!(f, "Could not encode the configuration: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::File(e) => Some(e),
            ConfigError::Invalid { source, .. } => source
                .as_ref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
            ConfigError::Encode(e) => Some(e),
            ConfigError::UnknownStore { .. } => None,
        }
    }
}

impl From<FileError> for ConfigError {
    fn from(e: FileError) -> Self {
        ConfigError::File(e)
    }
}

fn path(home: &Home) -> PathBuf {
    home.file(FILE)
}

/// The store the user asked for: `IAMCTL_SECRET_STORE` (`keyring`|`file`), else
/// `secret_store` in `config.json`, else the keyring.
pub fn secret_store(home: &Home) -> Result<StoreKind, ConfigError> {
    if let Ok(v) = std::env::var(STORE_VAR)
        && !v.is_empty()
    {
        return parse_store(&v, STORE_VAR);
    }
    let path = path(home);
    let Some(bytes) = read_if_exists(&path)? else {
        return Ok(StoreKind::Keyring);
    };
    store_setting(&parse(&path, &bytes)?, &path)
}

/// `config.json`'s bytes (read from `path`) as JSON.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Value, ConfigError> {
    serde_json::from_slice(bytes).map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        source: Some(e),
    })
}

/// `secret_store` in the configuration read from `path`; the keyring when it is not set.
pub fn store_setting(cfg: &Value, path: &Path) -> Result<StoreKind, ConfigError> {
    match cfg.get("secret_store").and_then(|v| v.as_str()) {
        Some(v) => parse_store(v, &path.display().to_string()),
        None => Ok(StoreKind::Keyring),
    }
}

pub fn parse_store(v: &str, place: &str) -> Result<StoreKind, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "keyring" | "os" => Ok(StoreKind::Keyring),
        "file" => Ok(StoreKind::File),
        other => Err(ConfigError::UnknownStore {
            value: other.to_string(),
            place: place.to_string(),
        }),
    }
}

/// Saves `secret_store` in `config.json`, keeping every other setting in it.
pub fn set_secret_store(home: &Home, kind: StoreKind) -> Result<(), ConfigError> {
    let value = match kind {
        StoreKind::Keyring => "keyring",
        StoreKind::File => "file",
    };
    change(home, |config| {
        config.insert("secret_store".into(), Value::String(value.to_string()));
    })
}

/// The registry hosts the Docker credential helper answers for besides IBM's.
pub fn registries(home: &Home) -> Result<Vec<String>, ConfigError> {
    let path = path(home);
    let Some(bytes) = read_if_exists(&path)? else {
        return Ok(Vec::new());
    };
    Ok(registries_setting(&parse(&path, &bytes)?))
}

/// The `registries` setting: its strings, in order.
pub fn registries_setting(cfg: &Value) -> Vec<String> {
    cfg.get("registries")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Adds (`true`) or removes a registry host; `false` when nothing changed.
pub fn set_registry(home: &Home, host: &str, add: bool) -> Result<bool, ConfigError> {
    let mut hosts = registries(home)?;
    let had = hosts.iter().any(|h| h == host);
    if had == add {
        return Ok(false);
    }
    if add {
        hosts.push(host.to_string());
        hosts.sort();
    } else {
        hosts.retain(|h| h != host);
    }
    change(home, |config| {
        config.insert("registries".into(), serde_json::json!(hosts));
    })?;
    Ok(true)
}

/// Read-modify-write of `config.json`, keeping every setting the change does not touch.
fn change(home: &Home, f: impl FnOnce(&mut Map<String, Value>)) -> Result<(), ConfigError> {
    let path = path(home);
    create_private_dir(&home.dir)?;
    let _lock = crate::home::lock_exclusive(&home.file("config.lock"))?;
    let bytes = changed(&path, read_if_exists(&path)?.as_deref(), f)?;
    Ok(write_atomic(&home.dir, &path, &bytes)?)
}

/// What `change` writes: the file's settings (`bytes`, if there is a file) changed by `f`.
pub fn changed(
    path: &Path,
    bytes: Option<&[u8]>,
    f: impl FnOnce(&mut Map<String, Value>),
) -> Result<Vec<u8>, ConfigError> {
    let mut config = match bytes {
        Some(bytes) => match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    source: None,
                });
            }
        },
        None => Map::new(),
    };
    f(&mut config);
    crate::home::json_bytes(&config).map_err(ConfigError::Encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_store_is_named_on_one_line() {
        // Found by the config fuzz target: a secret_store value with a line break.
        let path = Path::new("config.json");
        let cfg = parse(path, br#"{"secret_store":"key\nring"}"#).unwrap_or_else(|e| panic!("{e}"));
        let e = match store_setting(&cfg, path) {
            Err(e) => e,
            Ok(k) => panic!("{k:?} accepted"),
        };
        let text = e.to_string();
        assert!(
            !text.contains('\n') && text.contains(r"key\nring"),
            "{text}"
        );
    }

    #[test]
    fn a_change_keeps_other_numbers_exactly() {
        // Found by the config fuzz target: without exact float parsing a setting iamctl does
        // not know came back one unit in the last place off after `config secret-store file`.
        let path = Path::new("config.json");
        let before =
            br#"{"secret_": -9223372036854775007965.09, "n": 0.1, "big": 18446744073709551615}"#;
        let bytes = changed(path, Some(before), |c| {
            c.insert("secret_store".into(), Value::String("file".into()));
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let (before, after) = (
            parse(path, before).unwrap_or_else(|e| panic!("{e}")),
            parse(path, &bytes).unwrap_or_else(|e| panic!("{e}")),
        );
        for key in ["secret_", "n", "big"] {
            assert_eq!(before[key], after[key], "{key}");
        }
    }
}
