/*!
One row of the preflight report: a [`Check`], its [`Status`] (ok, warn or
fail) and one-line reason, and the wording the rules share.
*/

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::id::RegionName;

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        })
    }
}

/// One row of the preflight report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    /// The region it is about; `None` for the cloud as a whole.
    pub region: Option<RegionName>,
    pub status: Status,
    pub reason: String,
}

impl Check {
    pub fn new(name: &str, region: Option<&str>, status: Status, reason: impl Into<String>) -> Check {
        Check { name: name.into(), region: region.map(RegionName::from), status, reason: reason.into() }
    }
}

/// The reason of a check that needs an admin's calls, when the user is none.
pub(crate) const NEEDS_ADMIN: &str = "not checked: needs an admin (see the admin check)";

/// `first; and N more` for a list of problems of one kind.
pub(crate) fn summarize(problems: &[String]) -> String {
    match problems {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first}; and {} more", rest.len()),
    }
}
