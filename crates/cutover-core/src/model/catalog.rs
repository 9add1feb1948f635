/*!
Keystone's catalog as cutover sees it: regions, services and endpoints, as
the admin API (`/v3/regions`, `/v3/services`, `/v3/endpoints`) lists them,
with URL templates such as `%(tenant_id)s` left unfilled.
*/

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::id::RegionName;

/// A Keystone region; its id is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub id: RegionName,
    pub description: String,
}

/// A catalog service: `compute` (nova), `image` (glance), ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogService {
    pub id: String,
    /// The service type, e.g. `compute`, `volumev3`.
    pub kind: String,
    pub name: String,
    pub enabled: bool,
}

/// Which network an endpoint serves; every service has up to one of each
/// per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interface {
    Public,
    Internal,
    Admin,
}

impl Interface {
    pub const ALL: [Interface; 3] = [Interface::Public, Interface::Internal, Interface::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Public => "public",
            Interface::Internal => "internal",
            Interface::Admin => "admin",
        }
    }

    /// Keystone's spelling; anything else is not an interface.
    pub fn parse(text: &str) -> Option<Interface> {
        Interface::ALL.into_iter().find(|i| i.as_str() == text)
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: String,
    pub service_id: String,
    /// `None` for an endpoint of no region (Keystone allows it).
    pub region: Option<RegionName>,
    pub interface: Interface,
    /// As registered, templates unfilled.
    pub url: String,
    pub enabled: bool,
}

/// The whole catalog at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub regions: Vec<Region>,
    pub services: Vec<CatalogService>,
    pub endpoints: Vec<Endpoint>,
}

impl Catalog {
    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.id == id)
    }

    pub fn service(&self, id: &str) -> Option<&CatalogService> {
        self.services.iter().find(|s| s.id == id)
    }

    /// The endpoints of `region`.
    pub fn endpoints_in<'a>(&'a self, region: &'a str) -> impl Iterator<Item = &'a Endpoint> + 'a {
        self.endpoints.iter().filter(move |e| e.region.as_deref() == Some(region))
    }
}
