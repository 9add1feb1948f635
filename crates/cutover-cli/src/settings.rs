/*!
Which cloud and regions cutover works on, and its other settings: the global
flags ([`CloudArgs`]), their environment variables, and the settings file
`cutover.toml`, merged and checked into one [`Settings`] before any cloud call.

Precedence, highest first: a flag, its environment variable, `cutover.toml`,
the built-in default. The file is `--config PATH` (or `CUTOVER_CONFIG`), else
`./cutover.toml` when it exists, else none. A bad file (unreadable, not TOML,
an unknown key, a wrong type) is an [`InputError`] naming the file, line and
key: exit status 2 before anything is done.

```toml
cloud = "prod"              # the clouds.yaml entry, like --os-cloud / OS_CLOUD
old_region = "RegionOne"    # the Nova being emptied
new_region = "RegionTwo"    # the new Nova environment
[sync]
host_map = "hosts.yaml"     # relative to this file
[limits]                    # concurrent moves; 0 is refused
total = 20                  # default: no total limit
per_old_host = 5            # default 5 (Nova's max_concurrent_snapshots)
per_new_host = 10           # default 10 (Nova's max_concurrent_builds)
per_project = 4             # default: no per-project limit
[plan]                      # see `cutover plan`
rules = ["host=old-3:wait", "project=acme:redeploy"]   # after --strategy flags
keep_snapshots = false      # like --keep-snapshots
zone_map = { az-fast = "nova", az-old = "" }  # like --zone-map; "" = the default zone
```

How a command uses it: `commands::run` builds the [`Settings`] and hands it
to the command (`ctx.settings`). A command that talks to both regions calls
[`Settings::regions`] first, which fails with a one-line reason when one is
missing; the cloud name ([`Settings::cloud`]) and the regions go to
`cutover-cloud`, which reads clouds.yaml, secure.yaml and the `OS_*`
variables itself. No secret ever passes through here.

To add a setting: a field in [`FileConfig`] (or a new section struct, with
`#[serde(deny_unknown_fields)]`), the checked value in [`Settings`], and a
line in `commands::config` so `cutover config show` prints it.
*/

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use clap::Args;
use cutover_core::plan::zones::ZoneMap;
use serde::Deserialize;

use crate::errors::InputError;

/// The file read when neither `--config` nor `CUTOVER_CONFIG` names one.
pub const DEFAULT_FILE: &str = "cutover.toml";

/// Global options naming the cloud, the two regions and the settings file.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Cloud")]
pub struct CloudArgs {
    /// The clouds.yaml (and secure.yaml) entry to use; without one, the OS_* variables describe the cloud.
    #[arg(long, global = true, env = "OS_CLOUD", value_name = "NAME")]
    pub os_cloud: Option<String>,
    /// Region of the old Nova, the one being emptied.
    #[arg(long, global = true, env = "CUTOVER_OLD_REGION", value_name = "REGION")]
    pub old_region: Option<String>,
    /// Region of the new Nova environment.
    #[arg(long, global = true, env = "CUTOVER_NEW_REGION", value_name = "REGION")]
    pub new_region: Option<String>,
    /// Settings file [default: ./cutover.toml when it exists].
    #[arg(long, global = true, env = "CUTOVER_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// `cutover.toml` as written: every key optional, none unknown.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    cloud: Option<String>,
    old_region: Option<String>,
    new_region: Option<String>,
    #[serde(default)]
    sync: SyncSection,
    #[serde(default)]
    limits: LimitsSection,
    #[serde(default)]
    plan: PlanSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanSection {
    #[serde(default)]
    rules: Vec<String>,
    keep_snapshots: Option<bool>,
    #[serde(default)]
    zone_map: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncSection {
    host_map: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsSection {
    total: Option<NonZeroU32>,
    per_old_host: Option<NonZeroU32>,
    per_new_host: Option<NonZeroU32>,
    per_project: Option<NonZeroU32>,
}

/// The checked settings every command receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The settings file that was read, if any.
    pub config_file: Option<PathBuf>,
    cloud: Option<String>,
    old_region: Option<String>,
    new_region: Option<String>,
    pub sync: SyncSettings,
    pub limits: Limits,
    pub plan: PlanSettings,
}

/// `cutover plan`'s settings from the file: strategy rules (tried after
/// the `--strategy` flags), whether to keep snapshots, and the zone map
/// (old zone -> new zone; `--zone-map` flags go first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanSettings {
    pub rules: Vec<cutover_core::plan::rules::Rule>,
    pub keep_snapshots: bool,
    pub zone_map: ZoneMap,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncSettings {
    /// Which old host becomes which new host; relative paths in the file
    /// are taken from the file's directory.
    pub host_map: Option<PathBuf>,
}

/// Concurrency limits of the moves. `None` means no limit of that kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub total: Option<NonZeroU32>,
    pub per_old_host: NonZeroU32,
    pub per_new_host: NonZeroU32,
    pub per_project: Option<NonZeroU32>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            total: None,
            per_old_host: NonZeroU32::new(5).expect("5 is not zero"),
            per_new_host: NonZeroU32::new(10).expect("10 is not zero"),
            per_project: None,
        }
    }
}

/// Both regions, known to be set and different.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regions {
    pub old: String,
    pub new: String,
}

impl Settings {
    /// Reads the settings file (if any) and merges it under the flags.
    pub fn load(args: &CloudArgs) -> Result<Settings, InputError> {
        let file = match &args.config {
            Some(path) => Some(read_file(path)?),
            None => {
                let path = Path::new(DEFAULT_FILE);
                match path.try_exists() {
                    Ok(true) => Some(read_file(path)?),
                    Ok(false) => None,
                    Err(e) => return Err(InputError(format!("cannot read settings file {}: {e}", path.display()))),
                }
            }
        };
        Settings::resolve(args, file)
    }

    /// The merge itself, without I/O: flags (and their environment
    /// variables, which clap has already folded in) over the file over the
    /// defaults. `file` is the file's path and its parsed content.
    pub fn resolve(args: &CloudArgs, file: Option<(PathBuf, FileConfig)>) -> Result<Settings, InputError> {
        let (config_file, file) = match file {
            Some((path, config)) => (Some(path), config),
            None => (None, FileConfig::default()),
        };
        let base = config_file.as_deref().and_then(Path::parent).unwrap_or(Path::new(""));
        let limits = Limits::default();
        let bad = |key: &str, why: &dyn std::fmt::Display| {
            let file = config_file.as_deref().map_or(String::new(), |p| format!("{} ", p.display()));
            InputError(format!("settings file {file}[plan] {key}: {why}"))
        };
        let rules = file
            .plan
            .rules
            .iter()
            .map(|r| r.parse())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e: cutover_core::plan::rules::BadRule| bad("rules", &e))?;
        if file.plan.zone_map.keys().any(|old| old.trim().is_empty()) {
            return Err(bad("zone_map", &"an empty old zone"));
        }
        let settings = Settings {
            cloud: pick(&args.os_cloud, file.cloud),
            old_region: pick(&args.old_region, file.old_region),
            new_region: pick(&args.new_region, file.new_region),
            sync: SyncSettings { host_map: file.sync.host_map.map(|p| base.join(p)) },
            limits: Limits {
                total: file.limits.total.or(limits.total),
                per_old_host: file.limits.per_old_host.unwrap_or(limits.per_old_host),
                per_new_host: file.limits.per_new_host.unwrap_or(limits.per_new_host),
                per_project: file.limits.per_project.or(limits.per_project),
            },
            plan: PlanSettings {
                rules,
                keep_snapshots: file.plan.keep_snapshots.unwrap_or(false),
                zone_map: file.plan.zone_map.into_iter().map(|(old, new)| (old, new.trim().to_string())).collect(),
            },
            config_file,
        };
        if let (Some(old), Some(new)) = (&settings.old_region, &settings.new_region) {
            if old == new {
                return Err(InputError(format!(
                    "the old and the new region are both '{old}': the new Nova needs a region of its own"
                )));
            }
        }
        Ok(settings)
    }

    /// The clouds.yaml entry, if one was named; `None` leaves the cloud to
    /// the `OS_*` variables.
    pub fn cloud(&self) -> Option<&str> {
        self.cloud.as_deref()
    }

    pub fn old_region(&self) -> Option<&str> {
        self.old_region.as_deref()
    }

    pub fn new_region(&self) -> Option<&str> {
        self.new_region.as_deref()
    }

    /// The new region, for a command that works on it alone; missing, a
    /// one-line [`InputError`] saying how to set it.
    pub fn require_new_region(&self) -> Result<&str, InputError> {
        self.new_region.as_deref().ok_or_else(|| missing("new"))
    }

    /// Both regions, for a command that works on both; a missing one is a
    /// one-line [`InputError`] saying how to set it.
    pub fn regions(&self) -> Result<Regions, InputError> {
        let old = self.old_region.clone().ok_or_else(|| missing("old"))?;
        let new = self.new_region.clone().ok_or_else(|| missing("new"))?;
        Ok(Regions { old, new })
    }
}

fn missing(which: &str) -> InputError {
    let var = which.to_uppercase();
    InputError(format!(
        "no {which} region: give --{which}-region, set CUTOVER_{var}_REGION, or put {which}_region in {DEFAULT_FILE}"
    ))
}

/// A flag (or its variable) wins over the file; an empty value counts as
/// unset, as `OS_CLOUD=` in a shell means "none".
fn pick(flag: &Option<String>, file: Option<String>) -> Option<String> {
    let set = |v: &String| !v.trim().is_empty();
    flag.clone().filter(set).or(file.filter(set))
}

fn read_file(path: &Path) -> Result<(PathBuf, FileConfig), InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("cannot read settings file {}: {e}", path.display())))?;
    let config = parse(&text).map_err(|e| InputError(format!("settings file {}:{e}", path.display())))?;
    Ok((path.to_path_buf(), config))
}

/// Parses `cutover.toml`; the error is one line, `LINE:COLUMN: key: message`,
/// where toml's own rendering spans several and names no key for a wrong
/// type.
pub fn parse(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| {
        let message = cutover_core::quote::one_line(e.message());
        match e.span() {
            Some(span) => {
                let mut start = span.start.min(text.len());
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let before = &text[..start];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                match key_at(before) {
                    Some(key) if !message.contains(&format!("`{key}`")) => {
                        cutover_core::quote::one_line(&format!("{line}:{column}: {key}: {message}"))
                    }
                    _ => format!("{line}:{column}: {message}"),
                }
            }
            None => format!(" {message}"),
        }
    })
}

/// The key whose value starts where `before` ends, with its table
/// (`limits.total`): the `key =` opening that line, under the last
/// `[table]` header. `None` when the error is not in a value on its key's
/// line (a header, an unknown key, a stray line).
fn key_at(before: &str) -> Option<String> {
    let (key, _) = before.rsplit('\n').next()?.split_once('=')?;
    let key = key.trim().trim_matches(['"', '\'']);
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let table = before.lines().rev().map(str::trim).find(|l| l.starts_with('[') && l.ends_with(']'));
    Some(match table {
        Some(table) => format!("{}.{key}", table.trim_matches(['[', ']']).trim()),
        None => key.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flags as clap leaves them (environment variables already folded in);
    /// built directly so the test process's own `OS_CLOUD` cannot leak in.
    fn flags(args: &[(&str, &str)]) -> CloudArgs {
        let get = |name: &str| args.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
        CloudArgs { os_cloud: get("cloud"), old_region: get("old"), new_region: get("new"), config: None }
    }

    fn file(text: &str) -> Option<(PathBuf, FileConfig)> {
        Some((PathBuf::from("/etc/cutover/cutover.toml"), parse(text).unwrap()))
    }

    #[test]
    fn flags_win_over_the_file() {
        let s = Settings::resolve(
            &flags(&[("cloud", "flagcloud"), ("old", "A")]),
            file("cloud = 'filecloud'\nold_region = 'X'\nnew_region = 'B'\n"),
        )
        .unwrap();
        assert_eq!(s.cloud(), Some("flagcloud"));
        assert_eq!(s.regions().unwrap(), Regions { old: "A".into(), new: "B".into() });
        assert_eq!(s.config_file.as_deref(), Some(Path::new("/etc/cutover/cutover.toml")));
    }

    #[test]
    fn the_file_wins_over_defaults_and_paths_are_relative_to_it() {
        let s = Settings::resolve(
            &CloudArgs::default(),
            file("[sync]\nhost_map = 'hosts.yaml'\n[limits]\nper_old_host = 2\ntotal = 30\n"),
        )
        .unwrap();
        assert_eq!(s.sync.host_map.as_deref(), Some(Path::new("/etc/cutover/hosts.yaml")));
        assert_eq!(s.limits.per_old_host.get(), 2);
        assert_eq!(s.limits.total.map(NonZeroU32::get), Some(30));
        assert_eq!(s.limits.per_new_host.get(), 10, "default kept");
        assert_eq!(s.limits.per_project, None);
    }

    #[test]
    fn without_a_file_everything_is_default() {
        let s = Settings::resolve(&CloudArgs::default(), None).unwrap();
        assert_eq!((s.cloud(), s.old_region(), s.new_region()), (None, None, None));
        assert_eq!(s.limits, Limits::default());
        assert_eq!(s.config_file, None);
    }

    #[test]
    fn an_empty_flag_counts_as_unset() {
        let s = Settings::resolve(&flags(&[("cloud", "")]), file("cloud = 'filecloud'")).unwrap();
        assert_eq!(s.cloud(), Some("filecloud"));
    }

    #[test]
    fn missing_regions_are_an_error_only_when_asked_for() {
        let s = Settings::resolve(&flags(&[("new", "B")]), None).unwrap();
        let e = s.regions().unwrap_err().to_string();
        assert_eq!(e, "no old region: give --old-region, set CUTOVER_OLD_REGION, or put old_region in cutover.toml");
        let s = Settings::resolve(&flags(&[("old", "A")]), None).unwrap();
        assert!(s.regions().unwrap_err().to_string().starts_with("no new region: give --new-region"));
    }

    #[test]
    fn plan_rules_are_parsed_and_a_bad_one_is_named() {
        let s = Settings::resolve(
            &CloudArgs::default(),
            file("[plan]\nrules = ['host=old-3:wait']\nkeep_snapshots = true\n"),
        )
        .unwrap();
        assert_eq!(s.plan.rules, vec!["host=old-3:wait".parse().unwrap()]);
        assert!(s.plan.keep_snapshots);
        let e = Settings::resolve(&CloudArgs::default(), file("[plan]\nrules = ['host=old-3:stay']\n")).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "settings file /etc/cutover/cutover.toml [plan] rules: bad strategy rule \"host=old-3:stay\""
            ),
            "{e}"
        );
    }

    #[test]
    fn a_zone_map_is_a_table_of_zones() {
        let s =
            Settings::resolve(&CloudArgs::default(), file("[plan]\nzone_map = { az-fast = 'nova', az-old = '' }\n"))
                .unwrap();
        assert_eq!(s.plan.zone_map["az-fast"], "nova");
        assert_eq!(s.plan.zone_map["az-old"], "");
        let e = Settings::resolve(&CloudArgs::default(), file("[plan]\nzone_map = { '' = 'nova' }\n")).unwrap_err();
        assert_eq!(e.to_string(), "settings file /etc/cutover/cutover.toml [plan] zone_map: an empty old zone");
        let e = parse("[plan]\nzone_map = ['a=b']\n").unwrap_err();
        assert!(e.starts_with("2:") && e.contains("expected a map"), "{e}");
    }

    #[test]
    fn the_same_region_twice_is_refused() {
        let e = Settings::resolve(&flags(&[("old", "R")]), file("new_region = 'R'")).unwrap_err();
        assert!(e.to_string().contains("both 'R'"), "{e}");
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let e = parse("cloud = 'x'\nold_regoin = 'A'\n").unwrap_err();
        assert!(e.starts_with("2:1: unknown field `old_regoin`"), "{e}");
        let e = parse("[sync]\nhostmap = 'h'\n").unwrap_err();
        assert!(e.starts_with("2:1: unknown field `hostmap`"), "{e}");
        let e = parse("[nope]\n").unwrap_err();
        assert!(e.contains("unknown field `nope`"), "{e}");
    }

    #[test]
    fn bad_values_are_one_line() {
        for text in ["cloud = \n", "[limits]\nper_old_host = 0\n", "old_region = 3\n", "cloud = 'a'\ncloud = 'b'\n"] {
            let e = parse(text).unwrap_err();
            assert!(!e.contains('\n') && e.contains(':'), "{text:?}: {e}");
        }
    }
}
