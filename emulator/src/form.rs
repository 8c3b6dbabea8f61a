//! Reading the token endpoint's form: decoding and required or optional fields, refused with
//! the token service's `BXNIM0109E` when a required one is missing or empty.

use std::collections::HashMap;

use crate::errors::TokenError;

/// A proper form decoder: raw `:` and `%3A` both decode, `+` is a space; the first of
/// repeated fields wins.
pub fn parse_form(body: &[u8]) -> HashMap<String, String> {
    let mut form: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        form.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    form
}

pub fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, TokenError> {
    match form.get(name).map(|v| v.trim()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(TokenError::missing(name)),
    }
}

pub fn optional<'a>(form: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}
