/*!
Keystone's records: domains, projects, users, roles and their assignments,
the catalog (regions, services, endpoints) and issued tokens.
*/

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    pub id: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub description: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    #[serde(skip)]
    pub password: String,
    pub enabled: bool,
    pub email: Option<String>,
    pub default_project_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub id: String,
    pub name: String,
}

/// What a role assignment or a token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Project(String),
    Domain(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub user_id: String,
    pub role_id: String,
    pub scope: Scope,
}

#[derive(Debug, Clone, Serialize)]
pub struct Region {
    pub id: String,
    pub description: String,
    pub parent_region_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub id: String,
    pub service_id: String,
    pub region_id: Option<String>,
    pub interface: String,
    pub url: String,
    pub enabled: bool,
}

/// An issued token. The id is the secret itself, so tokens are never dumped.
#[derive(Debug, Clone)]
pub struct Token {
    pub id: String,
    pub user_id: String,
    pub scope: Option<Scope>,
    pub methods: Vec<String>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub audit_id: String,
    pub revoked: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct Identity {
    pub domains: BTreeMap<String, Domain>,
    pub projects: BTreeMap<String, Project>,
    pub users: BTreeMap<String, User>,
    pub roles: BTreeMap<String, Role>,
    pub assignments: Vec<Assignment>,
    /// Role inference rules `(prior, implied)`: an assignment of the prior
    /// role also gives the implied one (Keystone's implied roles).
    pub inferences: Vec<(String, String)>,
    pub regions: BTreeMap<String, Region>,
    pub services: BTreeMap<String, Service>,
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Issued tokens by id; never dumped, as the ids are secrets.
    #[serde(skip)]
    pub tokens: HashMap<String, Token>,
}

impl Identity {
    pub fn domain_by_name(&self, name: &str) -> Option<&Domain> {
        self.domains.values().find(|d| d.name == name)
    }

    pub fn project_by_name(&self, name: &str, domain_id: &str) -> Option<&Project> {
        self.projects.values().find(|p| p.name == name && p.domain_id == domain_id)
    }

    pub fn user_by_name(&self, name: &str, domain_id: &str) -> Option<&User> {
        self.users.values().find(|u| u.name == name && u.domain_id == domain_id)
    }

    pub fn role_by_name(&self, name: &str) -> Option<&Role> {
        self.roles.values().find(|r| r.name == name)
    }

    /// Role ids the user holds on `scope`.
    pub fn roles_on(&self, user_id: &str, scope: &Scope) -> Vec<&Role> {
        self.assignments
            .iter()
            .filter(|a| a.user_id == user_id && &a.scope == scope)
            .filter_map(|a| self.roles.get(&a.role_id))
            .collect()
    }

    /// The roles the user holds on `scope` with the implied ones added, as
    /// Keystone puts them in a token and in `effective` assignment lists.
    pub fn effective_roles_on(&self, user_id: &str, scope: &Scope) -> Vec<&Role> {
        let mut ids: Vec<&str> = self
            .assignments
            .iter()
            .filter(|a| a.user_id == user_id && &a.scope == scope)
            .map(|a| a.role_id.as_str())
            .collect();
        let mut next = 0;
        // Breadth first; a rule cycle ends because each role is added once.
        while next < ids.len() {
            let prior = ids[next];
            for (p, implied) in &self.inferences {
                if p == prior && !ids.contains(&implied.as_str()) {
                    ids.push(implied);
                }
            }
            next += 1;
        }
        ids.into_iter().filter_map(|id| self.roles.get(id)).collect()
    }

    /// The roles `prior` implies directly.
    pub fn implied_by(&self, prior: &str) -> Vec<&Role> {
        self.inferences.iter().filter(|(p, _)| p == prior).filter_map(|(_, i)| self.roles.get(i)).collect()
    }

    pub fn assign(&mut self, user_id: &str, role_id: &str, scope: Scope) {
        let a = Assignment { user_id: user_id.into(), role_id: role_id.into(), scope };
        if !self.assignments.contains(&a) {
            self.assignments.push(a);
        }
    }

    pub fn service_by_type(&self, kind: &str) -> Option<&Service> {
        self.services.values().find(|s| s.kind == kind)
    }
}
