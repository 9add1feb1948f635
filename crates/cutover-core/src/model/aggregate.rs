/*!
A host aggregate: named, with metadata and hosts; its `availability_zone`
metadata makes it an availability zone.
*/

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::id::HostName;

/// A Nova host aggregate. Its name identifies it across regions (ids are
/// per database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    /// The region's own id, for calls on it.
    pub id: u64,
    pub name: String,
    pub availability_zone: Option<String>,
    pub hosts: BTreeSet<HostName>,
    /// Every metadata key, `availability_zone` included (as Nova shows it).
    pub metadata: BTreeMap<String, String>,
}

/// A zone as `os-availability-zone` lists it: Nova derives zones from its
/// services (a compute host's aggregate zone, else the default zone), so a
/// zone of an aggregate without hosts is not listed, and a zone whose
/// services are all disabled is listed unavailable. A boot may name only an
/// available zone (else 400 "The requested availability zone is not
/// available").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityZone {
    pub name: String,
    pub available: bool,
}
