/*!
The ids and names cutover passes around, one type each, so that a port's id
cannot be given where a server's is asked for. Each is the string the API
sent, unchanged, and serializes as that string alone.
*/

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// Declares string newtypes with the same impls: shown, compared and looked
/// up (`Borrow<str>`) as the string they hold, so maps keyed by one answer a
/// `&str`, and serialized as that string (plan files and journals keep their
/// form). `Deref<Target = str>` lets one be read wherever a `&str` is.
macro_rules! string_ids {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> $name {
                $name(value.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // `pad`, so tables aligning an id by width keep doing so.
                f.pad(&self.0)
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> $name {
                $name(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> $name {
                $name(value.to_owned())
            }
        }

        impl From<&String> for $name {
            fn from(value: &String) -> $name {
                $name(value.clone())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    )+};
}

string_ids! {
    /// A Nova server's id (a UUID).
    ServerId;
    /// A Neutron port's id.
    PortId;
    /// A compute host's name, as Nova's services and hypervisors show it.
    HostName;
    /// A Keystone region's id (`RegionOne`).
    RegionName;
    /// A Keystone project's id.
    ProjectId;
    /// A Keystone user's id.
    UserId;
    /// A Glance image's id.
    ImageId;
    /// A Cinder volume's id.
    VolumeId;
    /// A network's id: Neutron's, or a nova-network fixed network's.
    NetworkId;
    /// A Neutron subnet's id.
    SubnetId;
    /// A Nova flavor's id (any string, `1` as well as a UUID).
    FlavorId;
    /// A Neutron floating IP's id.
    FloatingIpId;
    /// A Nova server group's id.
    ServerGroupId;
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    #[test]
    fn serializes_as_the_bare_string_and_reads_it_back() {
        let id = ServerId::from("5d1c-a");
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""5d1c-a""#);
        let back: ServerId = serde_json::from_str(r#""5d1c-a""#).unwrap();
        assert_eq!(back, id);

        let keyed: BTreeMap<HostName, Vec<ServerId>> =
            BTreeMap::from([(HostName::from("cmp-1"), vec![ServerId::from("a"), ServerId::from("b")])]);
        let json = serde_json::to_string(&keyed).unwrap();
        assert_eq!(json, r#"{"cmp-1":["a","b"]}"#);
        assert_eq!(serde_json::from_str::<BTreeMap<HostName, Vec<ServerId>>>(&json).unwrap(), keyed);
    }

    #[test]
    fn maps_keyed_by_one_are_looked_up_by_str() {
        let mut by_host = BTreeMap::new();
        by_host.insert(HostName::from("cmp-2"), 2);
        by_host.insert(HostName::from("cmp-1"), 1);
        assert_eq!(by_host.get("cmp-1"), Some(&1));
        assert_eq!(by_host.get("cmp-3"), None);
        assert_eq!(by_host.keys().map(HostName::as_str).collect::<Vec<_>>(), ["cmp-1", "cmp-2"]);

        let by_port: HashMap<PortId, &str> = HashMap::from([(PortId::from("p-1"), "fa:16:3e:00:00:01")]);
        assert_eq!(by_port.get("p-1"), Some(&"fa:16:3e:00:00:01"));
        assert!(!by_port.contains_key("p-2"));
    }

    #[test]
    fn shows_and_compares_as_its_string() {
        let id = VolumeId::from(String::from("vol-1"));
        assert_eq!(id.to_string(), "vol-1");
        assert_eq!(format!("{id:>7}|{id:<6}|"), "  vol-1|vol-1 |");
        assert_eq!(id, "vol-1");
        assert_eq!("vol-1", id);
        assert_eq!(id, *"vol-1");
        assert_eq!(id, String::from("vol-1"));
        assert!(id != "vol-2");
        assert_eq!(String::from(id.clone()), "vol-1");
        assert!(id.starts_with("vol-"));
    }
}
