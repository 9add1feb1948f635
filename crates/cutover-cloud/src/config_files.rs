/*!
Reading `clouds.yaml`, `secure.yaml` and `clouds-public.yaml` as the
`openstack` client does: one file of each kind, the one named by a
variable or else the first found, and a broken one is an error naming the
file and its line, never its values (a password sits there), never skipped.
*/

use std::path::{Path, PathBuf};

use openstack_sdk::config::{self as sdk, ConfigFile, ConfigFileBuilderError};

use cutover_core::quote::one_line;

use crate::error::ConfigError;

/// The files of the configuration, merged in this order: openstack_sdk's
/// `OS_CLIENT_CONFIG_PATH`, the vendor profiles, `clouds_file` or else the
/// first `clouds.yaml` of the usual places, `secure_file` or else the first
/// `secure.yaml`. python-openstackclient reads the named file *instead* of
/// the usual places; openstack_sdk alone would read both, and skip a file
/// it cannot deserialize with an error log that quotes the value.
pub(crate) fn load(clouds_file: Option<&Path>, secure_file: Option<&Path>) -> Result<ConfigFile, ConfigError> {
    let paths: Vec<PathBuf> = sdk::find_config_files_specified_in_env()
        .into_iter()
        .chain(sdk::find_vendor_file())
        .chain(clouds_file.map(Path::to_path_buf).or_else(sdk::find_clouds_file))
        .chain(secure_file.map(Path::to_path_buf).or_else(sdk::find_secure_file))
        .collect();
    let mut builder = ConfigFile::builder();
    for path in &paths {
        check(path)?;
        builder = builder.add_source(path).map_err(|e| refused(path, &e))?;
    }
    builder.build().map_err(|e| ConfigError::Unreadable { reason: one_line(&redact(&e.to_string())) })
}

/// The file parses as YAML (JSON is YAML too) and holds a mapping: the
/// error a YAML parser gives says where, and cutover words it without
/// quoting the text (openstack_sdk's would quote a binary file whole).
pub(crate) fn check(path: &Path) -> Result<(), ConfigError> {
    let bad = |reason: String| ConfigError::BadFile { path: path.display().to_string(), reason: one_line(&reason) };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let value: yaml_serde::Value = yaml_serde::from_slice(&bytes).map_err(|e| bad(yaml_reason(&e)))?;
    match value {
        yaml_serde::Value::Mapping(_) | yaml_serde::Value::Null => Ok(()),
        other => Err(bad(format!("the file holds {}, not a mapping of settings", kind(&other)))),
    }
}

/// openstack_sdk (through the `config` crate) refused the file's shape, e.g.
/// a string where a mapping belongs: its message without the values, and
/// the line where a YAML parser finds the same.
fn refused(path: &Path, err: &ConfigFileBuilderError) -> ConfigError {
    let message = match err {
        ConfigFileBuilderError::FileParse { source, .. }
        | ConfigFileBuilderError::ConfigDeserialize { source, .. }
        | ConfigFileBuilderError::ConfigBuild { source } => source.to_string(),
        other => other.to_string(),
    };
    let message = redact(&message);
    // The message ends with ` in <the path as given>`: the path leads instead.
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let message = match message.rsplit_once(" in ") {
        Some((what, origin)) if !name.is_empty() && origin.ends_with(&name) => what,
        _ => message.as_str(),
    };
    let line = typed_location(path).map(|(line, column)| format!("line {line} column {column}: ")).unwrap_or_default();
    ConfigError::BadFile { path: path.display().to_string(), reason: one_line(&format!("{line}{message}")) }
}

/// Where a typed reading of the file (as openstack_sdk's structures) stops,
/// for the line of a shape error the `config` crate reports without one.
fn typed_location(path: &Path) -> Option<(usize, usize)> {
    let bytes = std::fs::read(path).ok()?;
    let err = yaml_serde::from_slice::<ConfigFile>(&bytes).err()?;
    err.location().map(|l| (l.line(), l.column()))
}

/// yaml_serde's message put as `line L column C: what`, without values.
fn yaml_reason(err: &yaml_serde::Error) -> String {
    let message = err.to_string();
    match err.location() {
        Some(at) => {
            let what = message.split(" at line ").next().unwrap_or(&message);
            format!("line {} column {}: {}", at.line(), at.column(), redact(what))
        }
        None => redact(&message),
    }
}

fn kind(value: &yaml_serde::Value) -> &'static str {
    match value {
        yaml_serde::Value::Null => "nothing",
        yaml_serde::Value::Bool(_) => "a boolean",
        yaml_serde::Value::Number(_) => "a number",
        yaml_serde::Value::String(_) => "a string",
        yaml_serde::Value::Sequence(_) => "a list",
        yaml_serde::Value::Mapping(_) => "a mapping",
        yaml_serde::Value::Tagged(_) => "a tagged value",
    }
}

/// A library's message with every value it quotes left out: `"..."` runs
/// (strings) and `` `...` `` runs (numbers, booleans, field names), except
/// the key path after `key` (`for key `clouds.sim.auth``), which names no
/// value. A password given where a mapping belongs would be quoted whole.
pub(crate) fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(['"', '`']) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let quote = from.chars().next().unwrap_or('"');
        let body = &from[1..];
        let end = closing(body, quote);
        let quoted = &body[..end];
        if quote == '`' && before.ends_with("key ") {
            out.push('`');
            out.push_str(quoted);
            out.push('`');
        } else {
            out.push_str(if quote == '"' { "\"…\"" } else { "`…`" });
        }
        rest = body.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Where the quote opened before `body` closes (an escaped `\"` does not
/// close it); the end of `body` when it never does.
fn closing(body: &str, quote: char) -> usize {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return i,
            _ => {}
        }
    }
    body.len()
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn quoted_values_go_and_key_paths_stay() {
        assert_eq!(
            redact(r#"invalid type: string "S3cret\"x", expected struct Auth for key `clouds.sim.auth`"#),
            "invalid type: string \"…\", expected struct Auth for key `clouds.sim.auth`"
        );
        assert_eq!(
            redact("invalid type: integer `123456`, expected a map"),
            "invalid type: integer `…`, expected a map"
        );
        assert_eq!(redact("unterminated \"secret"), "unterminated \"…\"");
    }
}
