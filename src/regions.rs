//! IBM Cloud's public regions: the one table that `-r` validation, the login menu and TAB
//! (with each region's city) read.
//!
//! A table compiled into a binary goes stale whenever IBM opens a region, so a name that is
//! not in it but is shaped like IBM's names (`xx-yyy`) is accepted: the command warns
//! instead of refusing, and a new region works before iamctl knows it.

/// In the order of IBM's region menu, with the city that completion shows beside each.
pub const REGIONS: &[(&str, &str)] = &[
    ("au-syd", "Sydney"),
    ("in-che", "Chennai"),
    ("jp-osa", "Osaka"),
    ("jp-tok", "Tokyo"),
    ("kr-seo", "Seoul"),
    ("eu-de", "Frankfurt"),
    ("eu-es", "Madrid"),
    ("eu-gb", "London"),
    ("ca-mon", "Montreal"),
    ("ca-tor", "Toronto"),
    ("us-south", "Dallas"),
    ("us-east", "Washington DC"),
    ("br-sao", "Sao Paulo"),
];

pub fn names() -> impl Iterator<Item = &'static str> {
    REGIONS.iter().map(|(name, _)| *name)
}

/// A region given with a flag: its canonical (lower-case) name, and whether the table
/// knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    pub known: bool,
}

/// A region name that cannot be one of IBM's.
#[derive(Debug)]
pub struct UnknownRegion {
    pub given: String,
}

impl std::fmt::Display for UnknownRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Invalid region '{}': IBM Cloud region names are lower-case words joined by '-', like us-south.",
            self.given
        )
    }
}

impl std::error::Error for UnknownRegion {}

/// Whether a (lower-case) name is shaped like IBM's region names: letters and digits in at
/// least two parts joined by single hyphens, starting with a letter (`us-south`, `eu-de`,
/// `in-che`), at most 32 characters.
fn well_formed(name: &str) -> bool {
    name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.contains('-')
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// The known region a mistyped name most likely meant: one or two letters off (inserted,
/// left out, changed or swapped), and closer than any other.
pub fn nearest(name: &str) -> Option<&'static str> {
    let mut best: Option<(usize, &'static str)> = None;
    for known in names() {
        let d = distance(name, known);
        if d <= 2 && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, known));
        }
    }
    best.map(|(_, r)| r)
}

/// Optimal string alignment distance: edits, adjacent swaps counting one.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The region's canonical (lower-case) name: a known region, or a well-formed name the
/// table does not have yet (`known: false`, for the caller to warn about). Anything else is
/// refused.
pub fn validate(region: &str) -> Result<Region, UnknownRegion> {
    let r = region.trim().to_ascii_lowercase();
    if names().any(|n| n == r) {
        Ok(Region {
            name: r,
            known: true,
        })
    } else if well_formed(&r) {
        Ok(Region {
            name: r,
            known: false,
        })
    } else {
        Err(UnknownRegion {
            given: region.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_region_names_the_one_it_most_likely_meant() {
        assert_eq!(nearest("us-soth"), Some("us-south"));
        assert_eq!(nearest("us-suoth"), Some("us-south"));
        assert_eq!(nearest("eu-dee"), Some("eu-de"));
        assert_eq!(nearest("xx-nowhere"), None);
    }

    #[test]
    fn known_regions_include_madrid_and_montreal() {
        for name in ["eu-es", "ca-mon", "us-south", "EU-DE"] {
            let r = validate(name).unwrap_or_else(|e| panic!("{e}"));
            assert!(r.known, "{name}");
            assert_eq!(r.name, name.to_ascii_lowercase());
        }
    }

    #[test]
    fn well_formed_unknown_names_pass_and_malformed_ones_do_not() {
        for name in ["xx-yyy", "mx-qro", "eu-fr2", "us-south-2"] {
            let r = validate(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!r.known, "{name}");
        }
        for bad in [
            "",
            "us",
            "us south",
            "us_south",
            "-us",
            "us-",
            "us--south",
            "1x-abc",
            "us-söuth",
            "a-b/c",
            "us-south;rm",
        ] {
            assert!(validate(bad).is_err(), "{bad:?} accepted");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Any text is a region or a clear refusal, never a panic; what passes is
            /// lower-case and passes again unchanged.
            #[test]
            fn any_text_is_validated_without_panic(given in any::<String>()) {
                match validate(&given) {
                    Ok(r) => {
                        prop_assert_eq!(r.name.to_ascii_lowercase(), r.name.clone());
                        prop_assert_eq!(validate(&r.name).ok(), Some(r));
                    }
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }

            /// Names shaped like IBM's (`xx-yyy`, any case, padded) are accepted.
            #[test]
            fn names_shaped_like_ibms_pass(name in "[a-z][a-z0-9]{1,5}(-[a-z0-9]{1,6}){1,2}", pad in " {0,2}", upper in any::<bool>()) {
                let given = if upper { name.to_ascii_uppercase() } else { name.clone() };
                let r = validate(&format!("{pad}{given}{pad}"))
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(r.name, name);
            }
        }
    }
}
