/*!
Neutron's security groups and their rules, and the `default` group Neutron
creates for a project on first use.
*/

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::World;

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
    /// members of the group itself.
    pub fn new(w: &mut World, project_id: &str, name: &str, description: &str) -> SecurityGroup {
        let id = w.new_uuid();
        let mut rules = Vec::new();
        let directions: &[&str] = if name == "default" { &["egress", "ingress"] } else { &["egress"] };
        for direction in directions {
            for ethertype in ["IPv4", "IPv6"] {
                let remote_group_id = (*direction == "ingress").then(|| id.clone());
                rules.push(SecurityGroupRule {
                    id: w.new_uuid(),
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
            created_at: w.now,
            updated_at: w.now,
            revision_number: 1,
        }
    }
}

impl World {
    /// The project's `default` security group, created first if missing, as
    /// Neutron does on a project's first security-group or port request.
    pub fn ensure_default_security_group(&mut self, project_id: &str) -> String {
        if let Some(g) = self.network.default_security_group(project_id) {
            return g.id.clone();
        }
        let group = SecurityGroup::new(self, project_id, "default", "Default security group");
        let id = group.id.clone();
        self.network.security_groups.insert(id.clone(), group);
        id
    }
}
