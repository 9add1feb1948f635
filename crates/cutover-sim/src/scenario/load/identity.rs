/*!
Loads Keystone's records: domains, roles, projects, users with their role
assignments, and the service catalog with an endpoint set per region.
*/

use std::collections::BTreeSet;

use super::{unknown, LoadError, Loader, Names};
use crate::model::compute::Networking;
use crate::model::identity::{Domain, Endpoint, Project, Region, Role, Scope, Service, User};
use crate::model::World;
use crate::scenario::{default_domain, DomainSpec, ProjectSpec, Scenario};
use crate::service::{urls, ServiceKind};

impl Loader {
    pub(super) fn identity(&mut self, s: &Scenario) -> Result<(), LoadError> {
        let mut domains = vec![DomainSpec { name: "Default".into(), id: Some("default".into()) }];
        domains.extend(s.domains.iter().filter(|d| d.name != "Default").cloned());
        for d in &domains {
            let id = self.id_or_new(&d.id);
            self.names.domains.insert(d.name.clone(), id.clone());
            let domain = Domain { id: id.clone(), name: d.name.clone(), description: String::new(), enabled: true };
            self.w.identity.domains.insert(id, domain);
        }
        let mut roles: Vec<String> = ["admin", "member", "reader", "service"].map(String::from).to_vec();
        roles.extend(s.roles.iter().cloned());
        for name in roles.into_iter().collect::<BTreeSet<_>>() {
            let id = self.w.new_hex_id();
            self.w.identity.roles.insert(id.clone(), Role { id, name });
        }
        let mut projects = s.projects.clone();
        for required in ["admin", "service"] {
            if !projects.iter().any(|p| p.name == required) {
                projects.push(ProjectSpec {
                    name: required.into(),
                    id: None,
                    domain: default_domain(),
                    description: String::new(),
                });
            }
        }
        for p in &projects {
            let domain_id = Names::get(&self.names.domains, "domain", &p.domain, &format!("project {}", p.name))?;
            let id = self.id_or_new(&p.id);
            self.names.projects.insert(p.name.clone(), id.clone());
            let project = Project {
                id: id.clone(),
                name: p.name.clone(),
                domain_id,
                description: p.description.clone(),
                enabled: true,
            };
            self.w.identity.projects.insert(id, project);
        }
        for u in &s.users {
            let ctx = format!("user {}", u.name);
            let domain_id = Names::get(&self.names.domains, "domain", &u.domain, &ctx)?;
            let id = self.id_or_new(&u.id);
            self.names.users.insert(u.name.clone(), id.clone());
            let default_project_id = u.project.as_deref().map(|p| self.names.project(p, &ctx)).transpose()?;
            let user = User {
                id: id.clone(),
                name: u.name.clone(),
                domain_id,
                password: u.password.clone(),
                enabled: true,
                email: None,
                default_project_id,
            };
            self.w.identity.users.insert(id.clone(), user);
            for (project, roles) in &u.roles {
                let project_id = self.names.project(project, &ctx)?;
                for role in roles {
                    let role_id = self
                        .w
                        .identity
                        .role_by_name(role)
                        .map(|r| r.id.clone())
                        .ok_or_else(|| unknown("role", role, &ctx))?;
                    self.w.identity.assign(&id, &role_id, Scope::Project(project_id.clone()));
                }
            }
        }
        Ok(())
    }

    /// Keystone's catalog: identity, image and block storage in every
    /// region, compute per region at its own URL, network where Neutron is.
    pub(super) fn catalog(&mut self, s: &Scenario) {
        let base = self.w.base_url.clone();
        let service = |w: &mut World, kind: &str, name: &str| {
            let id = w.new_hex_id();
            let svc = Service {
                id: id.clone(),
                kind: kind.into(),
                name: name.into(),
                description: String::new(),
                enabled: true,
            };
            w.identity.services.insert(id.clone(), svc);
            id
        };
        let identity = service(&mut self.w, "identity", "keystone");
        let compute = service(&mut self.w, "compute", "nova");
        let image = service(&mut self.w, "image", "glance");
        // A cloud whose Novas all run nova-network has no Neutron at all;
        // clients look for the service type to choose their network API.
        let uses_neutron = s.regions.iter().any(|r| r.networking == Networking::Neutron);
        let network = uses_neutron.then(|| service(&mut self.w, "network", "neutron"));
        let block = service(&mut self.w, ServiceKind::Volume.catalog_entry().0, "cinder");
        let volumev3 = service(&mut self.w, "volumev3", "cinderv3");
        for region in &s.regions {
            let r = region.name.clone();
            self.w
                .identity
                .regions
                .insert(r.clone(), Region { id: r.clone(), description: String::new(), parent_region_id: None });
            let mut entries = vec![
                (identity.clone(), urls::identity(&base)),
                (compute.clone(), urls::compute(&base, &r)),
                (image.clone(), urls::image(&base)),
                (block.clone(), urls::volume(&base)),
                (volumev3.clone(), urls::volume(&base)),
            ];
            if let (Networking::Neutron, Some(network)) = (region.networking, &network) {
                entries.push((network.clone(), urls::network(&base)));
            }
            for (service_id, url) in entries {
                for interface in ["public", "internal", "admin"] {
                    let id = self.w.new_hex_id();
                    let e = Endpoint {
                        id: id.clone(),
                        service_id: service_id.clone(),
                        region_id: Some(r.clone()),
                        interface: interface.into(),
                        url: url.clone(),
                        enabled: true,
                    };
                    self.w.identity.endpoints.insert(id, e);
                }
            }
        }
    }
}
