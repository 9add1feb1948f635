/*!
Compares a step's simulator outcome with its recorded fixture, and the
allow-list (`allow.yaml`) of differences that legitimately exist.
*/

use serde_json::Value;

/// One difference between the real cloud (fixture) and the simulator.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    pub step: String,
    /// `status`, `header`, `missing` (real has it, sim not), `extra`, `type`.
    pub kind: &'static str,
    /// Key path, or header name.
    pub path: String,
    pub detail: String,
}

/// An allow-list entry; `step` and `path` may use `*` wildcards.
pub struct Allow {
    pub step: String,
    pub kind: String,
    pub path: String,
    pub used: bool,
}

pub fn load_allow(text: &str) -> Vec<Allow> {
    let entries: Vec<Value> = yaml_serde::from_str(text).expect("allow.yaml parses");
    entries
        .iter()
        .map(|e| {
            let field =
                |k: &str| e[k].as_str().unwrap_or_else(|| panic!("allow.yaml entry without {k}: {e}")).to_string();
            assert!(
                e["reason"].as_str().is_some_and(|r| !r.trim().is_empty()),
                "allow.yaml entry without a reason: {e}"
            );
            Allow { step: field("step"), kind: field("kind"), path: field("path"), used: false }
        })
        .collect()
}

/// `*` matches any run of characters.
pub fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| {
                    let rest = &text[head.len() + i..];
                    text.is_char_boundary(head.len() + i) && glob(tail, rest)
                })
        }
    }
}

/// Whether `d` is allowed; marks the entries that allow something.
pub fn allowed(allow: &mut [Allow], d: &Diff) -> bool {
    let mut hit = false;
    for a in allow.iter_mut() {
        if a.kind == d.kind && glob(&a.step, &d.step) && glob(&a.path, &d.path) {
            a.used = true;
            hit = true;
        }
    }
    hit
}

pub fn compare(step: &str, real: &Value, sim: &Value) -> Vec<Diff> {
    let mut diffs = Vec::new();
    let mut push = |kind, path: &str, detail: String| {
        diffs.push(Diff { step: step.to_string(), kind, path: path.to_string(), detail });
    };
    if real["status"] != sim["status"] {
        push("status", "", format!("status differs: real {}, sim {}", real["status"], sim["status"]));
    }
    let (rh, sh) = (obj(&real["headers"]), obj(&sim["headers"]));
    for name in rh.keys().chain(sh.keys().filter(|k| !rh.contains_key(*k))) {
        let (r, s) = (rh.get(name), sh.get(name));
        if r != s {
            push("header", name, format!("header {name}: real {}, sim {}", show(r), show(s)));
        }
    }
    let (rs, ss) = (obj(&real["shape"]), obj(&sim["shape"]));
    for (path, rt) in &rs {
        match ss.get(path) {
            None => push("missing", path, format!("missing key {path} (real: {})", show(Some(rt)))),
            Some(st) if st != rt => {
                push("type", path, format!("type differs at {path}: real {}, sim {}", show(Some(rt)), show(Some(st))))
            }
            Some(_) => {}
        }
    }
    for (path, st) in &ss {
        if !rs.contains_key(path) {
            push("extra", path, format!("extra key {path} (sim: {})", show(Some(st))));
        }
    }
    diffs
}

fn obj(v: &Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
