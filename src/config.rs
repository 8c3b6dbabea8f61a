//! `config.json` in the iamctl home: the settings a user makes once (where secrets are kept,
//! which extra registries the Docker credential helper answers for), and
//! `IAMCTL_SECRET_STORE`, which overrides the first for one run.

use crate::home::{FileError, Home, create_private_dir, read_if_exists, write_atomic};
use crate::secrets::StoreKind;
use serde_json::{Map, Value};
use std::path::PathBuf;

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
            } => write!(f, "{} is not valid JSON: {e}", path.display()),
            ConfigError::Invalid { path, source: None } => {
                write!(f, "{} is not a JSON object.", path.display())
            }
            ConfigError::UnknownStore { value, place } => write!(
                f,
                "Unknown secret store '{value}' in {place}: use 'keyring' or 'file'."
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
    let cfg: Value = serde_json::from_slice(&bytes).map_err(|e| ConfigError::Invalid {
        path: path.clone(),
        source: Some(e),
    })?;
    match cfg.get("secret_store").and_then(|v| v.as_str()) {
        Some(v) => parse_store(v, &path.display().to_string()),
        None => Ok(StoreKind::Keyring),
    }
}

fn parse_store(v: &str, place: &str) -> Result<StoreKind, ConfigError> {
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
    let cfg: Value = serde_json::from_slice(&bytes).map_err(|e| ConfigError::Invalid {
        path: path.clone(),
        source: Some(e),
    })?;
    Ok(cfg
        .get("registries")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default())
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
    let mut config = match read_if_exists(&path)? {
        Some(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => map,
            _ => return Err(ConfigError::Invalid { path, source: None }),
        },
        None => Map::new(),
    };
    f(&mut config);
    let bytes = crate::home::json_bytes(&config).map_err(ConfigError::Encode)?;
    Ok(write_atomic(&home.dir, &path, &bytes)?)
}
