//! Reading the token endpoint's form: decoding and required or optional fields, refused with
//! the token service's `BXNIM0109E` when a required one is missing or empty.

use std::collections::HashMap;

use crate::http::errors::TokenError;

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any body decodes (invalid UTF-8 and `%` escapes included) without a panic.
        #[test]
        fn any_body_decodes(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let form = parse_form(&body);
            for name in form.keys() {
                let _ = field(&form, name);
            }
        }

        /// Fields encoded as a client would encode them come back as they were sent, the
        /// first of a repeated field winning.
        #[test]
        fn encoded_fields_come_back(fields in proptest::collection::vec((any::<String>(), any::<String>()), 0..8)) {
            let mut body = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &fields {
                body.append_pair(k, v);
            }
            let form = parse_form(body.finish().as_bytes());
            for (k, _) in &fields {
                let first = fields.iter().find(|(k2, _)| k2 == k).map(|(_, v)| v);
                prop_assert_eq!(form.get(k), first);
            }
        }
    }
}
