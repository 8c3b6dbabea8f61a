//! IBM Cloud's public regions: the one table that `-r` validation, the login menu and TAB
//! (with each region's city) read.

/// In the order of IBM's region menu, with the city that completion shows beside each.
pub const REGIONS: &[(&str, &str)] = &[
    ("au-syd", "Sydney"),
    ("in-che", "Chennai"),
    ("jp-osa", "Osaka"),
    ("jp-tok", "Tokyo"),
    ("kr-seo", "Seoul"),
    ("eu-de", "Frankfurt"),
    ("eu-gb", "London"),
    ("ca-tor", "Toronto"),
    ("us-south", "Dallas"),
    ("us-east", "Washington DC"),
    ("br-sao", "Sao Paulo"),
];

pub fn names() -> impl Iterator<Item = &'static str> {
    REGIONS.iter().map(|(name, _)| *name)
}

/// A region iamctl does not know, and the flag it came with.
#[derive(Debug)]
pub struct UnknownRegion {
    pub given: String,
    pub flag: &'static str,
}

impl std::fmt::Display for UnknownRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Unknown region '{}' given with {}.",
            self.given, self.flag
        )
    }
}

impl std::error::Error for UnknownRegion {}

/// The region's canonical (lower-case) name.
pub fn validate(region: &str, flag: &'static str) -> Result<String, UnknownRegion> {
    let r = region.trim().to_ascii_lowercase();
    if names().any(|n| n == r) {
        Ok(r)
    } else {
        Err(UnknownRegion {
            given: region.to_string(),
            flag,
        })
    }
}
