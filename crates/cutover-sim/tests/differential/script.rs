/*!
Runs the call script (`calls.yaml`) against a cloud over HTTP: endpoints
from the token's catalog, `${var}` substitution, captures and waits. Mirrors
`tools/realcloud/record.py`, which runs the same script against the real
cloud; the two must agree on `shape` and the recorded headers.
*/

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use reqwest::Method;
use serde_json::{json, Value};

/// Headers whose value is compared, and headers whose presence is.
const VALUE_HEADERS: [&str; 3] = ["content-type", "openstack-api-version", "x-openstack-nova-api-version"];
const PRESENCE_HEADERS: [&str; 3] = ["location", "x-subject-token", "x-openstack-request-id"];

/// What one step returned, in the fixture format (`status`, `headers`, `shape`).
pub struct Outcome {
    /// `name` or `name@microversion`: the fixture's file stem.
    pub id: String,
    pub record: bool,
    pub fixture: Value,
}

/// The call script's state: variables, the token and its catalog.
pub struct Runner {
    http: Client,
    auth_url: String,
    vars: HashMap<String, String>,
    token: Option<String>,
    catalog: Vec<Value>,
}

impl Runner {
    pub fn new(auth_url: &str, script: &Value) -> Runner {
        let vars = script["vars"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default();
        Runner {
            http: Client::builder().timeout(Duration::from_secs(60)).build().expect("HTTP client"),
            auth_url: auth_url.trim_end_matches('/').to_string(),
            vars,
            token: None,
            catalog: Vec::new(),
        }
    }

    /// Runs every step (once per microversion) and returns the outcomes in order.
    pub fn run(&mut self, script: &Value) -> Vec<Outcome> {
        let steps = script["steps"].as_array().expect("calls.yaml has steps");
        let mut out = Vec::new();
        for step in steps {
            let name = step["name"].as_str().expect("step has a name");
            let mvs: Vec<Option<String>> = match step.get("microversions").and_then(Value::as_array) {
                Some(list) => list.iter().map(|v| v.as_str().map(str::to_string)).collect(),
                None => vec![step.get("microversion").and_then(Value::as_str).map(str::to_string)],
            };
            for mv in mvs {
                let (status, headers, text) = self.call(step, mv.as_deref());
                if name == "keystone-auth" {
                    self.token = headers.get("x-subject-token").cloned();
                    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    self.catalog = body["token"]["catalog"].as_array().cloned().unwrap_or_default();
                }
                self.capture(step, &headers, &text);
                let id = mv.as_ref().map_or(name.to_string(), |v| format!("{name}@{v}"));
                out.push(Outcome {
                    id,
                    record: step["record"] != json!(false),
                    fixture: fixture(status, &headers, &text),
                });
            }
        }
        out
    }

    fn subst(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let end = rest[start..].find('}').map(|e| start + e).expect("closed ${");
            let var = &rest[start + 2..end];
            out.push_str(&rest[..start]);
            out.push_str(self.vars.get(var).unwrap_or_else(|| panic!("unknown variable ${{{var}}} in {text}")));
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn subst_json(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.subst(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.subst_json(x)).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), self.subst_json(x))).collect()),
            other => other.clone(),
        }
    }

    fn endpoint(&self, service: &str, region: &str) -> String {
        if service == "auth" {
            return self.auth_url.clone();
        }
        self.catalog
            .iter()
            .filter(|s| s["type"] == service)
            .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
            .find(|e| e["interface"] == "public" && (e["region_id"] == region || e["region"] == region))
            .and_then(|e| e["url"].as_str().map(|u| u.trim_end_matches('/').to_string()))
            .unwrap_or_else(|| panic!("no {service} endpoint in {region} in the catalog"))
    }

    fn send(
        &self,
        method: &Method,
        url: &str,
        mv: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, BTreeMap<String, String>, String) {
        let mut req = self.http.request(method.clone(), url).header("Accept", "application/json");
        if let Some(t) = &self.token {
            req = req.header("X-Auth-Token", t);
        }
        if let Some(v) = mv {
            req = req.header("OpenStack-API-Version", format!("compute {v}"));
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        (status, headers, resp.text().unwrap_or_default())
    }

    fn call(&self, step: &Value, mv: Option<&str>) -> (u16, BTreeMap<String, String>, String) {
        let method: Method = step["method"].as_str().unwrap_or("GET").parse().expect("HTTP method");
        let region = step["region"].as_str().unwrap_or("RegionOne");
        let service = step["service"].as_str().expect("step has a service");
        let url = format!("{}{}", self.endpoint(service, region), self.subst(step["path"].as_str().expect("path")));
        let body = step.get("body").map(|b| self.subst_json(b));
        let wait = step.get("wait");
        let timeout = wait.and_then(|w| w["timeout"].as_u64()).unwrap_or(0);
        let deadline = Instant::now() + Duration::from_secs(timeout);
        loop {
            let (status, headers, text) = self.send(&method, &url, mv, body.as_ref());
            let Some(w) = wait else { return (status, headers, text) };
            let done = match w["status"].as_u64() {
                Some(want) => u64::from(status) == want,
                None => {
                    let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    w["pointer"].as_str().and_then(|p| parsed.pointer(p)) == Some(&w["equals"])
                }
            };
            if done {
                return (status, headers, text);
            }
            assert!(Instant::now() < deadline, "{}: timed out waiting for {w}: {status} {text}", step["name"]);
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn capture(&mut self, step: &Value, headers: &BTreeMap<String, String>, text: &str) {
        let Some(captures) = step["capture"].as_object() else { return };
        let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        for (var, src) in captures {
            let src = src.as_str().expect("capture source");
            let value = if let Some(h) = src.strip_prefix("header:") {
                headers.get(&h.to_ascii_lowercase()).cloned()
            } else if let Some(h) = src.strip_prefix("header-tail:") {
                headers
                    .get(&h.to_ascii_lowercase())
                    .and_then(|v| v.trim_end_matches('/').rsplit('/').next().map(str::to_string))
            } else {
                match body.pointer(src) {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                }
            };
            let value = value.unwrap_or_else(|| panic!("{}: cannot capture {var} from {src}: {text}", step["name"]));
            self.vars.insert(var.clone(), value);
        }
    }
}

fn fixture(status: u16, headers: &BTreeMap<String, String>, text: &str) -> Value {
    let mut kept = serde_json::Map::new();
    for h in VALUE_HEADERS {
        if let Some(v) = headers.get(h) {
            kept.insert(h.to_string(), json!(v));
        }
    }
    for h in PRESENCE_HEADERS {
        if headers.contains_key(h) {
            kept.insert(h.to_string(), json!("<present>"));
        }
    }
    json!({"status": status, "headers": kept, "shape": shape(text)})
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn child(path: &str, key: &str) -> String {
    if path == "/" {
        format!("/{key}")
    } else {
        format!("{path}/{key}")
    }
}

fn walk(v: &Value, path: &str, out: &mut BTreeMap<String, BTreeSet<&'static str>>) {
    out.entry(path.to_string()).or_default().insert(type_name(v));
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                walk(x, &child(path, &k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(a) => {
            for x in a {
                walk(x, &child(path, "[]"), out);
            }
        }
        _ => {}
    }
}

/// Key path -> `|`-joined sorted value types; `{}` for an empty body.
pub fn shape(text: &str) -> Value {
    if text.trim().is_empty() {
        return json!({});
    }
    let Ok(body) = serde_json::from_str::<Value>(text) else { return json!({"/": "non-json"}) };
    let mut out = BTreeMap::new();
    walk(&body, "/", &mut out);
    let joined: serde_json::Map<String, Value> =
        out.into_iter().map(|(p, t)| (p, json!(t.into_iter().collect::<Vec<_>>().join("|")))).collect();
    Value::Object(joined)
}
