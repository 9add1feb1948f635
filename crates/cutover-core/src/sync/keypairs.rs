/*!
Keypairs: per user, the same name with the same public key and type in the
new region. Nova cannot change a keypair, so a same-name keypair with
another key is reported, never replaced.
*/

use std::collections::BTreeMap;
use std::convert::Infallible;

use super::Decision;
use crate::id::UserId;
use crate::model::Keypair;

/// The keypair to import (its user, name, public key and type).
pub type KeypairDecision = Decision<Keypair, Infallible>;

/// How the report names a keypair: `alice/alice-key` (user name, or id).
pub fn label(keypair: &Keypair, user_names: &BTreeMap<UserId, String>) -> String {
    let user = user_names.get(&keypair.user_id).map_or(keypair.user_id.as_str(), String::as_str);
    format!("{user}/{}", keypair.name)
}

/// Per old keypair: create, equal or different; then the new region's
/// keypairs of the same users that the old one lacks, as different.
pub fn diff(old: &[Keypair], new: &[Keypair], user_names: &BTreeMap<UserId, String>) -> Vec<KeypairDecision> {
    let same = |a: &Keypair, b: &Keypair| a.user_id == b.user_id && a.name == b.name;
    let mut decisions: Vec<KeypairDecision> = old
        .iter()
        .map(|o| {
            let name = label(o, user_names);
            match new.iter().find(|n| same(o, n)) {
                None => Decision::Create { name, create: o.clone(), detail: format!("type {}", o.kind) },
                Some(n) if n.public_key.trim() == o.public_key.trim() && n.kind == o.kind => Decision::Equal { name },
                Some(n) if n.kind != o.kind => {
                    Decision::Different { name, reason: format!("type {} in new region, {} in old", n.kind, o.kind) }
                }
                Some(_) => Decision::Different {
                    name,
                    reason: "another public key in new region (keypairs cannot change: the user decides)".into(),
                },
            }
        })
        .collect();
    for n in new.iter().filter(|n| !old.iter().any(|o| same(o, n))) {
        decisions.push(Decision::Different { name: label(n, user_names), reason: "only in new region".into() });
    }
    decisions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(user: &str, name: &str, public_key: &str) -> Keypair {
        Keypair { user_id: user.into(), name: name.into(), public_key: public_key.into(), kind: "ssh".into() }
    }

    #[test]
    fn keypairs_are_matched_per_user_and_name() {
        let names = BTreeMap::from([("u1".into(), "alice".to_string())]);
        let old = [key("u1", "k", "ssh-ed25519 A"), key("u2", "k", "ssh-ed25519 B"), key("u2", "x", "ssh-ed25519 C")];
        let new = [key("u1", "k", "ssh-ed25519 A\n"), key("u2", "x", "ssh-ed25519 D"), key("u2", "y", "ssh-ed25519 E")];
        let d = diff(&old, &new, &names);
        assert_eq!(d[0], Decision::Equal { name: "alice/k".into() });
        assert!(matches!(&d[1], Decision::Create { name, create, .. } if name == "u2/k" && create == &old[1]));
        assert!(matches!(&d[2], Decision::Different { reason, .. } if reason.contains("another public key")));
        assert!(
            matches!(&d[3], Decision::Different { name, reason } if name == "u2/y" && reason == "only in new region")
        );
        assert_eq!(d.len(), 4);
    }

    #[test]
    fn another_type_is_different() {
        let old = [key("u", "k", "K")];
        let mut x509 = key("u", "k", "K");
        x509.kind = "x509".into();
        let d = diff(&old, &[x509], &BTreeMap::new());
        assert!(matches!(&d[0], Decision::Different { reason, .. } if reason == "type x509 in new region, ssh in old"));
    }
}
