//! A tiny model of both clouds as far as one server's move touches them:
//! it carries out each action at once, as Nova, Glance, Cinder and Neutron
//! would, so whole moves can run without I/O.

use std::collections::BTreeMap;

use crate::id::{ImageId, PortId, ServerId, VolumeId};
use crate::machine::*;
use crate::model::{ImageStatus, ServerStatus, VolumeStatus};

pub const SRC: &str = "src-1";
/// The names the plan of `super::plan` gives the snapshots.
pub const SNAPSHOT: &str = "cutover-m1-src-1";
pub const BACK_SNAPSHOT: &str = "cutover-m1-src-1-back";

pub fn server(id: &str, status: ServerStatus) -> ServerView {
    ServerView { id: id.into(), status, task_state: None, fault: None, tags: None }
}

/// Both clouds, as far as one server's move touches them.
#[derive(Default)]
pub struct Clouds {
    pub old: BTreeMap<ServerId, ServerView>,
    pub new: BTreeMap<ServerId, ServerView>,
    pub images: BTreeMap<ImageId, ImageView>,
    /// Image id → name; an image without one is the move's snapshot.
    pub image_names: BTreeMap<ImageId, String>,
    pub volumes: BTreeMap<VolumeId, VolumeView>,
    pub ports: BTreeMap<PortId, PortView>,
    /// The ports each server was given by id (Nova's cache of them): its
    /// delete unbinds them, whoever holds them by then. The source's port
    /// is its user's.
    pub given: BTreeMap<ServerId, Vec<PortId>>,
    pub floating: BTreeMap<String, Option<ServerId>>,
    pub root_delete_on_termination: bool,
    /// `delete_on_termination` of (server, volume) attachments other than
    /// the source's root (false unless set).
    pub deleted_with: BTreeMap<(ServerId, VolumeId), bool>,
    /// Boots in the new region end in ERROR.
    pub new_boot_fails: bool,
    /// Boots in the old region end in ERROR (no host takes them).
    pub old_boot_fails: bool,
    /// The next this many boots in the old region end in ERROR (a host
    /// freed, or an outage over, after them).
    pub old_boots_to_fail: u32,
    /// Snapshots end `killed`.
    pub snapshots_fail: bool,
    pub next_id: u32,
}

impl Clouds {
    pub fn with_source(status: ServerStatus) -> Clouds {
        let mut clouds = Clouds::default();
        clouds.old.insert(SRC.into(), server(SRC, status));
        clouds
            .volumes
            .insert("vol-data".into(), VolumeView { status: VolumeStatus::InUse, attached_to: vec![SRC.into()] });
        clouds
            .volumes
            .insert("vol-root".into(), VolumeView { status: VolumeStatus::InUse, attached_to: vec![SRC.into()] });
        clouds.ports.insert("port-1".into(), PortView { device_id: SRC.into() });
        clouds.given.insert(SRC.into(), vec!["port-1".into()]);
        clouds.floating.insert("172.24.4.10".into(), Some(SRC.into()));
        clouds.root_delete_on_termination = true;
        clouds.deleted_with.insert((SRC.into(), "vol-data".into()), true);
        clouds
    }

    fn set_deletes_with(&mut self, server: &str, volume: &str, delete: bool) {
        match (server, volume) {
            (SRC, "vol-root") => self.root_delete_on_termination = delete,
            _ => {
                self.deleted_with.insert((server.into(), volume.into()), delete);
            }
        }
    }

    /// Whether deleting `server` deletes `volume` with it.
    pub fn deletes_with(&self, server: &str, volume: &str) -> bool {
        match (server, volume) {
            (SRC, "vol-root") => self.root_delete_on_termination,
            _ => self.deleted_with.get(&(server.into(), volume.into())).copied().unwrap_or(false),
        }
    }

    pub fn observe(&self) -> Observation {
        let seen = |found: Option<&ServerView>| found.cloned().map_or(Seen::Absent, Seen::Present);
        let target = self.new.values().next();
        Observation {
            source: seen(self.old.get(SRC)),
            target: seen(target),
            restored: seen(self.old.values().find(|s| s.id != SRC)),
            image: self.image(SNAPSHOT),
            back_image: self.image(BACK_SNAPSHOT),
            root_delete_on_termination: Seen::Present(self.root_delete_on_termination),
            // cutover boots from a volume with delete_on_termination off.
            target_root_delete_on_termination: target
                .map_or(Seen::Unknown, |t| Seen::Present(self.deletes_with(&t.id, "vol-root"))),
            delete_on_termination: self
                .old
                .keys()
                .chain(self.new.keys())
                .map(|server| {
                    let attached = self.volumes.iter().filter(|(_, v)| v.attached_to.contains(server));
                    let flags = attached.map(|(id, _)| (id.clone(), Some(self.deletes_with(server, id)))).collect();
                    (server.clone(), flags)
                })
                .collect(),
            volumes: self.volumes.clone(),
            ports: self.ports.clone(),
            floating_ips: self.floating.clone(),
            refused: None,
        }
    }

    /// The image named `name`, as Glance lists it.
    pub fn image(&self, name: &str) -> Seen<ImageView> {
        let named = |id: &ImageId| self.image_names.get(id).map_or(SNAPSHOT, String::as_str) == name;
        self.images.iter().find(|(id, _)| named(id)).map_or(Seen::Absent, |(_, i)| Seen::Present(i.clone()))
    }

    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id)
    }

    fn side(&mut self, side: Side) -> &mut BTreeMap<ServerId, ServerView> {
        match side {
            Side::Old => &mut self.old,
            Side::New => &mut self.new,
        }
    }

    /// A call on a server that is gone fails (404); the machine sees it next time.
    fn set_status(&mut self, side: Side, server: &str, status: ServerStatus) {
        if let Some(found) = self.side(side).get_mut(server) {
            found.status = status;
        }
    }

    pub fn apply(&mut self, action: &Action) {
        match action {
            Action::StopServer { side, server } => self.set_status(*side, server, ServerStatus::Shutoff),
            Action::StartServer { side, server } => self.set_status(*side, server, ServerStatus::Active),
            // The engine looks the snapshot up by name before it creates one.
            Action::CreateImage { name, .. } if self.image(name) != Seen::Absent => {}
            Action::CreateImage { side, server, name } => {
                assert!(self.side(*side).contains_key(server), "a snapshot of a server that exists");
                let id = ImageId::from(self.id("img"));
                self.image_names.insert(id.clone(), name.clone());
                let status = if self.snapshots_fail { ImageStatus::Killed } else { ImageStatus::Active };
                let (size, checksum) =
                    if self.snapshots_fail { (None, None) } else { (Some(1024), Some("abc".into())) };
                self.images.insert(id.clone(), ImageView { id, status, size, checksum });
            }
            Action::DeleteImage { image } => {
                self.images.remove(image);
                self.image_names.remove(image);
            }
            Action::KeepRootVolume { server, volume, .. } => self.set_deletes_with(server, volume, false),
            Action::DeleteWithServer { server, volume, .. } => {
                assert!(self.volumes[volume].attached_to.contains(server), "set on an attached volume");
                self.set_deletes_with(server, volume, true);
            }
            Action::DetachVolume { server, volume, .. } => {
                self.volumes
                    .insert(volume.clone(), VolumeView { status: VolumeStatus::Available, attached_to: vec![] });
                self.deleted_with.remove(&(server.clone(), volume.clone()));
            }
            Action::AttachVolume { server, volume, .. } => {
                let attached = VolumeView { status: VolumeStatus::InUse, attached_to: vec![server.clone()] };
                self.volumes.insert(volume.clone(), attached);
            }
            Action::ReleasePort { port } => self.ports.get_mut(port).unwrap().device_id.clear(),
            Action::ClaimPort { port, server, .. } => self.ports.get_mut(port).unwrap().device_id = server.to_string(),
            Action::DeleteServer { side, server } => {
                self.side(*side).remove(server);
                // Ports passed by id at boot are unbound and kept, as Nova
                // does: by the ids it cached, whoever holds them now.
                let given = self.given.remove(server).unwrap_or_default();
                for (id, port) in self.ports.iter_mut() {
                    if port.device_id == *server || given.contains(id) {
                        port.device_id.clear();
                    }
                }
                for address in self.floating.values_mut() {
                    if address.as_deref() == Some(server) {
                        *address = None;
                    }
                }
                // Nova detaches the server's volumes, and deletes those
                // marked delete_on_termination.
                let gone: Vec<VolumeId> = self
                    .volumes
                    .iter()
                    .filter(|(id, v)| v.attached_to.contains(server) && self.deletes_with(server, id))
                    .map(|(id, _)| id.clone())
                    .collect();
                for volume in self.volumes.values_mut() {
                    if volume.attached_to.contains(server) {
                        *volume = VolumeView { status: VolumeStatus::Available, attached_to: vec![] };
                    }
                }
                for volume in gone {
                    self.volumes.remove(&volume);
                }
            }
            // The engine looks the rebuild up by its metadata before it boots one.
            Action::BootServer { side: Side::New, .. } if !self.new.is_empty() => {}
            Action::BootServer { side: Side::Old, .. } if self.old.keys().any(|id| id != SRC) => {}
            Action::BootServer { side, source } => {
                if let BootSource::Image { id } = source {
                    assert!(self.images.contains_key(id) || id == "img-original", "boots from an existing image");
                }
                let id = ServerId::from(self.id("srv"));
                let fails = match side {
                    Side::New => self.new_boot_fails,
                    Side::Old if self.old_boots_to_fail > 0 => {
                        self.old_boots_to_fail -= 1;
                        true
                    }
                    Side::Old => self.old_boot_fails,
                };
                let status = if fails { ServerStatus::Error } else { ServerStatus::Active };
                self.side(*side).insert(id.clone(), server(&id, status));
                if let BootSource::Volume { id: root } = source {
                    let attached = VolumeView { status: VolumeStatus::InUse, attached_to: vec![id.clone()] };
                    self.volumes.insert(root.clone(), attached);
                }
                for (port_id, port) in self.ports.iter_mut() {
                    if port.device_id.is_empty() {
                        port.device_id = id.to_string();
                        self.given.entry(id.clone()).or_default().push(port_id.clone());
                    }
                }
            }
            Action::SetTags { side, server, tags } => {
                if let Some(found) = self.side(*side).get_mut(server) {
                    found.tags = Some(tags.clone());
                }
            }
            Action::AddFloatingIp { server, address, .. } => {
                self.floating.insert(address.clone(), Some(server.clone()));
            }
        }
    }
}
