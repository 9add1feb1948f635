/*!
What a step asks the engine to do: data, not calls. Every action is safe to
repeat: the engine looks a resource up (by the names and metadata that
carry the migration id) before it creates one.
*/

use serde::{Deserialize, Serialize};

use crate::id::{ImageId, PortId, ServerId, VolumeId};

/// Which region an action is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Old,
    New,
}

impl Side {
    /// What journals written before actions named a side meant: the old region.
    fn old() -> Side {
        Side::Old
    }
}

/// What a rebuilt server boots from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BootSource {
    /// The server's snapshot (strategy `snapshot`) or its original image
    /// (strategy `redeploy`).
    Image { id: ImageId },
    /// The preserved root volume (strategy `volume`).
    Volume { id: VolumeId },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// `os-stop`.
    StopServer {
        side: Side,
        server: ServerId,
    },
    /// `os-start`: a rollback to a source that was running.
    StartServer {
        side: Side,
        server: ServerId,
    },
    /// `createImage` named `name`, the name the image is found by later
    /// (of the source, or going back of its rebuild in the new region).
    CreateImage {
        #[serde(default = "Side::old")]
        side: Side,
        server: ServerId,
        name: String,
    },
    /// A snapshot that ended `killed` or vanished: delete what is left
    /// before the next attempt.
    DeleteImage {
        image: ImageId,
    },
    /// Set the root volume's `delete_on_termination` to false (2.85+).
    KeepRootVolume {
        #[serde(default = "Side::old")]
        side: Side,
        server: ServerId,
        volume: VolumeId,
    },
    /// Set an attached volume's `delete_on_termination` to true (2.85+),
    /// as the source had it, once the rebuild is verified.
    DeleteWithServer {
        side: Side,
        server: ServerId,
        volume: VolumeId,
    },
    DetachVolume {
        side: Side,
        server: ServerId,
        volume: VolumeId,
    },
    AttachVolume {
        side: Side,
        server: ServerId,
        volume: VolumeId,
    },
    /// Clear a Neutron port's `device_id`/`device_owner` so that deleting
    /// the server keeps the port (id, MAC, IPs, floating IP association).
    ReleasePort {
        port: PortId,
    },
    /// Give a port to `server` of `side` as Nova does at boot: device,
    /// owner, and bound to the server's host. The source's again on a
    /// rollback; a `redeploy`'s rebuild's again after the source's delete
    /// unbound it (Nova unbinds the ports a server was given by id when it
    /// is deleted, whoever holds them by then).
    ClaimPort {
        #[serde(default = "Side::old")]
        side: Side,
        port: PortId,
        server: ServerId,
    },
    DeleteServer {
        side: Side,
        server: ServerId,
    },
    /// Boot the server's rebuild in `side` from `source` with its ports.
    BootServer {
        side: Side,
        source: BootSource,
    },
    /// Set the rebuilt server's tags (2.26+), which its region could not
    /// take at boot (below 2.52).
    SetTags {
        side: Side,
        server: ServerId,
        tags: Vec<String>,
    },
    /// nova-network: add the floating address to the rebuilt server.
    AddFloatingIp {
        side: Side,
        server: ServerId,
        address: String,
    },
}
