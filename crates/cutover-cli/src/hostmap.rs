/*!
The host map: which old compute host becomes which new one, a YAML mapping
`old-host: new-host` (the file `[sync] host_map` of `cutover.toml` names).
A host redeployed under its own name maps to itself: it joins the new
region later (`cutover run`'s hand-off redeploys it and puts it into its
old aggregates), so sync reports its memberships as waiting and `env
verify` does not expect it yet; several old hosts may become one new host; a host with no value is not mapped yet (the template
`cutover sync --print-host-map` writes leaves them so). `env verify` expects
the new hosts; `sync` places aggregates by it.

```yaml
old-1: new-1
old-2: new-1
old-3: old-3     # redeployed under the same name: joins later
old-4:           # not decided yet
```
*/

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cutover_core::id::HostName;

use crate::errors::InputError;

/// Old host -> new host (`None`: not mapped yet); names are never empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostMap {
    pub hosts: BTreeMap<HostName, Option<HostName>>,
}

impl HostMap {
    /// Reads and checks a host-map file; every failure is one line naming it.
    pub fn load(path: &Path) -> Result<HostMap, InputError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError(format!("cannot read host map {}: {e}", path.display())))?;
        HostMap::parse(&text).map_err(|e| InputError(format!("host map {}: {e}", path.display())))
    }

    /// Parses the YAML text (see the module docs).
    pub fn parse(text: &str) -> Result<HostMap, String> {
        let expected = |e: &dyn std::fmt::Display| {
            format!("{} (expected a mapping `old-host: new-host`)", cutover_core::quote::one_line(&e.to_string()))
        };
        // Through a YAML mapping first: it refuses a host listed twice,
        // which a `BTreeMap` would silently resolve to the last one.
        let mapping: Option<yaml_serde::Mapping> = yaml_serde::from_str(text).map_err(|e| expected(&e))?;
        let hosts: BTreeMap<HostName, Option<HostName>> =
            yaml_serde::from_value(yaml_serde::Value::Mapping(mapping.unwrap_or_default()))
                .map_err(|e| expected(&e))?;
        if hosts.is_empty() {
            return Err("no hosts (expected a mapping `old-host: new-host`)".to_string());
        }
        let empty = |name: &str| name.trim().is_empty();
        if let Some((old, _)) = hosts.iter().find(|(old, new)| empty(old) || new.as_deref().is_some_and(empty)) {
            return Err(cutover_core::quote::one_line(&format!("an empty host name (at \"{old}\")")));
        }
        Ok(HostMap { hosts })
    }

    /// The new hosts, each once; an old host mapped to itself joins later
    /// and is not one yet.
    pub fn new_hosts(&self) -> BTreeSet<HostName> {
        self.hosts.iter().filter_map(|(old, new)| new.clone().filter(|new| new != old)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_hosts_map_to_new_ones_which_may_repeat() {
        let map = HostMap::parse("old-1: new-1\nold-2: new-1\nold-3: old-3 # same name\nold-4:\n").unwrap();
        assert_eq!(map.hosts.len(), 4);
        assert_eq!(map.hosts["old-4"], None, "not mapped yet");
        assert_eq!(map.new_hosts().into_iter().collect::<Vec<_>>(), ["new-1"], "old-3 joins later");
    }

    #[test]
    fn anything_but_a_mapping_of_names_is_refused_on_one_line() {
        for text in ["", "# nothing\n", "- old-1\n- old-2\n", "old-1: [a, b]\n", "old-1: ''\n", "old-1: a\nold-1: b\n"]
        {
            let e = HostMap::parse(text).unwrap_err();
            assert!(!e.contains('\n'), "{text:?}: {e}");
        }
        assert!(HostMap::parse("old-1: a\nold-1: b\n").unwrap_err().contains("duplicate"));
    }
}
