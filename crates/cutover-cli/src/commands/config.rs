/*!
`cutover config show`: the settings in force after flags, environment,
cutover.toml and defaults are merged, as a record in any `-f` format. It
reads no clouds.yaml and so can print no secret.
*/

use std::num::NonZeroU32;
use std::path::Path;

use serde_json::Value;

use crate::cli::ConfigCommand;
use crate::ctx::Ctx;
use crate::output::Record;
use crate::settings::Settings;

pub fn run(command: ConfigCommand, ctx: &Ctx) -> anyhow::Result<()> {
    match command {
        ConfigCommand::Show => ctx.out.print(record(&ctx.settings)),
    }
}

/// Field names are the keys of cutover.toml, so what is shown can be
/// copied into the file.
fn record(s: &Settings) -> Record {
    let path = |p: Option<&Path>| p.map_or(Value::Null, |p| p.display().to_string().into());
    let limit = |n: Option<NonZeroU32>| n.map_or(Value::Null, |n| n.get().into());
    Record::new()
        .field("config_file", path(s.config_file.as_deref()))
        .field("cloud", s.cloud())
        .field("old_region", s.old_region())
        .field("new_region", s.new_region())
        .field("sync.host_map", path(s.sync.host_map.as_deref()))
        .field("limits.total", limit(s.limits.total))
        .field("limits.per_old_host", s.limits.per_old_host.get())
        .field("limits.per_new_host", s.limits.per_new_host.get())
        .field("limits.per_project", limit(s.limits.per_project))
        .field("plan.rules", s.plan.rules.iter().map(|r| Value::from(r.to_string())).collect::<Vec<_>>())
        .field("plan.keep_snapshots", s.plan.keep_snapshots)
        .field("plan.zone_map", serde_json::json!(s.plan.zone_map))
}
