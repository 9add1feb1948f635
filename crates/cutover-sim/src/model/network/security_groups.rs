/*!
Neutron's security groups and their rules, as a new group starts with
them (the `default` group's ingress rule included).
*/

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SecurityGroupRule {
    pub id: String,
    pub security_group_id: String,
    pub project_id: String,
    /// `ingress` or `egress`.
    pub direction: String,
    pub ethertype: String,
    pub protocol: Option<String>,
    pub port_range_min: Option<u16>,
    pub port_range_max: Option<u16>,
    pub remote_ip_prefix: Option<String>,
    pub remote_group_id: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub description: String,
    pub stateful: bool,
    pub rules: Vec<SecurityGroupRule>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revision_number: u64,
}

impl SecurityGroup {
    /// A new group with Neutron's default rules: egress to anywhere over
    /// IPv4 and IPv6 and, for a project's `default` group, ingress from
    /// members of the group itself. Ids come from `new_id` (the world's
    /// seeded generator), the group's first.
    pub fn new(
        now: DateTime<Utc>,
        mut new_id: impl FnMut() -> String,
        project_id: &str,
        name: &str,
        description: &str,
    ) -> SecurityGroup {
        let id = new_id();
        let mut rules = Vec::new();
        let directions: &[&str] = if name == "default" { &["egress", "ingress"] } else { &["egress"] };
        for direction in directions {
            for ethertype in ["IPv4", "IPv6"] {
                let remote_group_id = (*direction == "ingress").then(|| id.clone());
                rules.push(SecurityGroupRule {
                    id: new_id(),
                    security_group_id: id.clone(),
                    project_id: project_id.to_string(),
                    direction: direction.to_string(),
                    ethertype: ethertype.into(),
                    protocol: None,
                    port_range_min: None,
                    port_range_max: None,
                    remote_ip_prefix: None,
                    remote_group_id,
                    description: String::new(),
                });
            }
        }
        SecurityGroup {
            id,
            name: name.into(),
            project_id: project_id.into(),
            description: description.into(),
            stateful: true,
            rules,
            created_at: now,
            updated_at: now,
            revision_number: 1,
        }
    }
}
