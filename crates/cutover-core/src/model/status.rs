/*!
The statuses cutover reads from Nova servers and compute services, Cinder
volumes and Glance images, as enums: the cloud client parses each once, at the edge, and the
core decides on them. They parse and print the APIs' exact spellings.
*/

use std::fmt;
use std::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A status the APIs' references do not list, so cutover cannot tell what
/// it means: the cloud client names the resource around it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is not one cutover knows")]
pub struct UnknownStatus {
    /// Which status, e.g. `Nova server status`.
    pub what: &'static str,
    pub value: String,
}

/// One enum per API status: its variants with their exact spellings, the
/// parse (an [`UnknownStatus`] for anything else), `Display` and serde in
/// those spellings (plan files and journals keep them as the API does).
macro_rules! statuses {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every status, in the reference's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The API's spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;

            fn from_str(text: &str) -> Result<$name, UnknownStatus> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownStatus { what: $what, value: text.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(de::Error::custom)
            }
        }
    };
}

statuses! {
    /// A Nova server's `status`: every value of Nova's API reference (the
    /// map from vm and task states in `nova/api/openstack/common.py`).
    ServerStatus, "Nova server status" {
        Active = "ACTIVE",
        Build = "BUILD",
        Deleted = "DELETED",
        Error = "ERROR",
        HardReboot = "HARD_REBOOT",
        Migrating = "MIGRATING",
        Password = "PASSWORD",
        Paused = "PAUSED",
        Reboot = "REBOOT",
        Rebuild = "REBUILD",
        Rescue = "RESCUE",
        Resize = "RESIZE",
        RevertResize = "REVERT_RESIZE",
        Shelved = "SHELVED",
        ShelvedOffloaded = "SHELVED_OFFLOADED",
        Shutoff = "SHUTOFF",
        SoftDeleted = "SOFT_DELETED",
        Suspended = "SUSPENDED",
        Unknown = "UNKNOWN",
        VerifyResize = "VERIFY_RESIZE",
    }
}

statuses! {
    /// A Cinder volume's `status`: every value of Cinder's `VolumeStatus`
    /// (`cinder/objects/fields.py`), which the API reference lists.
    VolumeStatus, "Cinder volume status" {
        Creating = "creating",
        Available = "available",
        Deleting = "deleting",
        Error = "error",
        ErrorDeleting = "error_deleting",
        ErrorManaging = "error_managing",
        Managing = "managing",
        Attaching = "attaching",
        InUse = "in-use",
        Detaching = "detaching",
        Maintenance = "maintenance",
        RestoringBackup = "restoring-backup",
        ErrorRestoring = "error_restoring",
        Reserved = "reserved",
        AwaitingTransfer = "awaiting-transfer",
        BackingUp = "backing-up",
        ErrorBackingUp = "error_backing-up",
        ErrorExtending = "error_extending",
        Downloading = "downloading",
        Uploading = "uploading",
        Retyping = "retyping",
        Extending = "extending",
    }
}

statuses! {
    /// A Glance image's `status`: every value of Glance's image statuses.
    ImageStatus, "Glance image status" {
        Queued = "queued",
        Saving = "saving",
        Uploading = "uploading",
        Importing = "importing",
        Active = "active",
        Deactivated = "deactivated",
        Killed = "killed",
        Deleted = "deleted",
        PendingDelete = "pending_delete",
    }
}

statuses! {
    /// A Nova compute service's (and its hypervisor's) `status`: whether it
    /// takes new servers.
    ServiceStatus, "Nova service status" {
        Enabled = "enabled",
        Disabled = "disabled",
    }
}

statuses! {
    /// A Nova compute service's (and its hypervisor's) `state`: whether it
    /// reported within `service_down_time`.
    ServiceState, "Nova service state" {
        Up = "up",
        Down = "down",
    }
}

impl ImageStatus {
    /// Gone or going: Glance will never make it `active` again.
    pub fn is_gone(self) -> bool {
        matches!(self, ImageStatus::Killed | ImageStatus::Deleted | ImageStatus::PendingDelete)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value parses from its spelling, prints it back, and goes
    /// through serde unchanged; the spellings are all different.
    fn round_trips<T>(all: &[T])
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display + FromStr<Err = UnknownStatus> + Serialize,
        T: for<'de> Deserialize<'de>,
    {
        let mut seen = std::collections::BTreeSet::new();
        for &status in all {
            let text = status.to_string();
            assert!(seen.insert(text.clone()), "{text} twice");
            assert_eq!(text.parse::<T>(), Ok(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), status);
        }
    }

    #[test]
    fn every_documented_status_round_trips() {
        round_trips(ServerStatus::ALL);
        round_trips(VolumeStatus::ALL);
        round_trips(ImageStatus::ALL);
        round_trips(ServiceStatus::ALL);
        round_trips(ServiceState::ALL);
        assert_eq!((ServerStatus::ALL.len(), VolumeStatus::ALL.len(), ImageStatus::ALL.len()), (20, 22, 9));
    }

    #[test]
    fn the_apis_spellings_are_kept() {
        assert_eq!("SHUTOFF".parse(), Ok(ServerStatus::Shutoff));
        assert_eq!("SHELVED_OFFLOADED".parse(), Ok(ServerStatus::ShelvedOffloaded));
        assert_eq!("in-use".parse(), Ok(VolumeStatus::InUse));
        assert_eq!("error_backing-up".parse(), Ok(VolumeStatus::ErrorBackingUp));
        assert_eq!("pending_delete".parse(), Ok(ImageStatus::PendingDelete));
    }

    #[test]
    fn an_unknown_status_is_an_error_naming_it() {
        let err = "FROZEN".parse::<ServerStatus>().unwrap_err();
        assert_eq!(err, UnknownStatus { what: "Nova server status", value: "FROZEN".into() });
        assert_eq!(err.to_string(), r#"Nova server status "FROZEN" is not one cutover knows"#);
        // Another service's spelling is not taken either: no case folding.
        assert!("active".parse::<ServerStatus>().is_err());
        assert!("ACTIVE".parse::<ImageStatus>().is_err());
        assert!("in_use".parse::<VolumeStatus>().is_err());
        assert!("Enabled".parse::<ServiceStatus>().is_err());
        assert_eq!(
            "retired".parse::<ServiceState>().unwrap_err().to_string(),
            r#"Nova service state "retired" is not one cutover knows"#
        );
        let json = serde_json::from_str::<VolumeStatus>("\"thawing\"").unwrap_err();
        assert!(json.to_string().contains(r#"Cinder volume status "thawing" is not one cutover knows"#), "{json}");
    }

    #[test]
    fn gone_images_are_the_ones_glance_never_brings_back() {
        let gone: Vec<_> = ImageStatus::ALL.iter().filter(|s| s.is_gone()).map(|s| s.as_str()).collect();
        assert_eq!(gone, ["killed", "deleted", "pending_delete"]);
    }
}
