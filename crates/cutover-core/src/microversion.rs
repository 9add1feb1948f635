/*!
API microversions (`2.61`): parsed once at the edge, compared as numbers.
*/

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A `major.minor` API microversion; `2.10` is above `2.9`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Microversion {
    pub major: u16,
    pub minor: u16,
}

impl Microversion {
    pub const fn new(major: u16, minor: u16) -> Microversion {
        Microversion { major, minor }
    }
}

/// A microversion that is not `major.minor`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a microversion: {0:?} (expected major.minor, e.g. 2.61)")]
pub struct BadMicroversion(pub String);

impl FromStr for Microversion {
    type Err = BadMicroversion;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadMicroversion(text.to_string());
        let (major, minor) = text.trim().split_once('.').ok_or_else(bad)?;
        Ok(Microversion { major: major.parse().map_err(|_| bad())?, minor: minor.parse().map_err(|_| bad())? })
    }
}

impl TryFrom<String> for Microversion {
    type Error = BadMicroversion;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Microversion> for String {
    fn from(version: Microversion) -> String {
        version.to_string()
    }
}

impl fmt::Display for Microversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The microversions a service offers, from its version document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRange {
    pub min: Microversion,
    pub max: Microversion,
}

impl VersionRange {
    /// Whether `version` may be asked for.
    pub fn offers(&self, version: Microversion) -> bool {
        self.min <= version && version <= self.max
    }

    /// The highest of `wanted` this range offers, e.g. the best of
    /// `[2.61, 2.1]`: a call that can use a newer shape but has a fallback.
    pub fn best_of(&self, wanted: &[Microversion]) -> Option<Microversion> {
        wanted.iter().copied().filter(|v| self.offers(*v)).max()
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.min, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_numerically() {
        let v29: Microversion = "2.9".parse().unwrap();
        let v210: Microversion = "2.10".parse().unwrap();
        assert!(v29 < v210);
        assert_eq!(v210.to_string(), "2.10");
    }

    #[test]
    fn rejects_what_is_not_a_version() {
        for text in ["", "2", "2.x", "v2.1", "2.1.3"] {
            assert!(text.parse::<Microversion>().is_err(), "{text}");
        }
    }

    #[test]
    fn picks_the_best_offered() {
        let range = VersionRange { min: Microversion::new(2, 1), max: Microversion::new(2, 53) };
        assert_eq!(range.best_of(&[Microversion::new(2, 61), Microversion::new(2, 1)]), Some(Microversion::new(2, 1)));
        let old = VersionRange { min: Microversion::new(2, 1), max: Microversion::new(2, 1) };
        assert_eq!(old.best_of(&[Microversion::new(2, 10)]), None);
    }
}
