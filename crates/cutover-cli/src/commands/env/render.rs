/*!
`cutover env render`: the new environment's `nova.conf` from the old one.
Nothing is written unless the whole file renders; the output file appears
in one rename with the old file's permissions, since it holds passwords.
*/

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use anyhow::Context as _;
use cutover_core::novaconf::{self, RenderError, RenderSettings, Setting};

use crate::cli::EnvRenderArgs;
use crate::errors::InputError;

pub fn run(args: EnvRenderArgs) -> anyhow::Result<()> {
    let output = args.output.as_deref().filter(|p| *p != Path::new("-"));
    if args.diff && args.output.is_some() && output.is_none() {
        return Err(InputError("--diff and -o - would both write to stdout; give -o FILE".into()).into());
    }
    let old_path = args.old.display().to_string();
    let old = fs::read_to_string(&args.old).map_err(|e| InputError(format!("cannot read {old_path}: {e}")))?;
    let settings = RenderSettings {
        database_url: args.database_url,
        api_database_url: args.api_database_url,
        metadata_host: Some(args.metadata_host),
        vnc_address: args.vnc_address,
        vnc_listen: args.vnc_listen,
        novncproxy_base_url: args.novncproxy_base_url,
        topic_suffix: args.topic_suffix,
    };
    let rendered = novaconf::render(&old, &settings).map_err(|e| InputError(explain(&old_path, &e)))?;
    for setting in &rendered.unused {
        tracing::warn!("{} given, but {old_path} has no key for the {setting}; not used", flag(*setting));
    }
    for change in &rendered.changes {
        tracing::info!("{change}");
    }
    if let Some(path) = output {
        if is_same_file(path, &args.old) {
            return Err(InputError(format!("refusing to overwrite the old nova.conf {old_path}")).into());
        }
        write_replacing(path, &rendered.text, &args.old).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    if args.diff {
        let new_label = output.map_or_else(|| format!("{old_path} (rendered)"), |p| p.display().to_string());
        stdout.write_all(novaconf::unified_diff(&old, &rendered.text, &old_path, &new_label).as_bytes())?;
    } else if output.is_none() {
        stdout.write_all(rendered.text.as_bytes())?;
    }
    stdout.flush().context("writing to stdout")
}

/// The core's one-line reason, with the file and the flag that fixes it.
fn explain(old_path: &str, err: &RenderError) -> String {
    match err {
        RenderError::Parse { .. } | RenderError::Unsupported { .. } | RenderError::SameNewDatabases { .. } => {
            format!("{old_path}: {err}")
        }
        RenderError::Missing { setting, .. }
        | RenderError::Invalid { setting, .. }
        | RenderError::SameDatabase { setting, .. } => format!("{old_path}: {err} ({})", flag(*setting)),
    }
}

fn flag(setting: Setting) -> &'static str {
    match setting {
        Setting::DatabaseUrl => "--database-url or CUTOVER_DATABASE_URL",
        Setting::ApiDatabaseUrl => "--api-database-url or CUTOVER_API_DATABASE_URL",
        Setting::MetadataHost => "--metadata-host",
        Setting::VncAddress => "--vnc-address",
        Setting::VncListen => "--vnc-address or --vnc-listen",
        Setting::NovncproxyBaseUrl => "--novncproxy-base-url",
        Setting::TopicSuffix => "--topic-suffix",
    }
}

fn is_same_file(a: &Path, b: &Path) -> bool {
    matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b)
}

/// Writes a sibling temporary file with `like`'s permission bits, then
/// renames it over `path`: a reader never sees half a file, and a failure
/// leaves `path` as it was.
fn write_replacing(path: &Path, text: &str, like: &Path) -> anyhow::Result<()> {
    let mode = fs::metadata(like).map_or(0o600, |m| m.permissions().mode() & 0o777);
    let name = path.file_name().context("the output path names no file")?.to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.cutover-{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    Ok(written?)
}
