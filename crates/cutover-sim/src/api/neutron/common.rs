/*!
What every Neutron resource shares: request-body attributes with Neutron's
validation errors, policy and visibility rules, and list queries (filters,
`fields`, sorting and `limit`/`marker` pagination with `*_links`).
*/

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::api::common::{ok, reply};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::iso_seconds;
use crate::model::network::AddressError;
use crate::model::routing::{InterfaceError, RouteError};

impl From<AddressError> for ApiError {
    fn from(e: AddressError) -> ApiError {
        let status = if e.is_conflict() { StatusCode::CONFLICT } else { StatusCode::BAD_REQUEST };
        ApiError::new(status, e.to_string()).with_type(e.neutron_type())
    }
}

impl From<RouteError> for ApiError {
    fn from(e: RouteError) -> ApiError {
        let status = match e {
            RouteError::NoGatewayIp { .. } => StatusCode::BAD_REQUEST,
            RouteError::Unreachable { .. } => StatusCode::NOT_FOUND,
        };
        ApiError::new(status, e.to_string()).with_type(e.neutron_type())
    }
}

impl From<InterfaceError> for ApiError {
    fn from(e: InterfaceError) -> ApiError {
        match e {
            InterfaceError::Address(a) => a.into(),
            other => ApiError::bad_request(other.to_string()).with_type("BadRequest"),
        }
    }
}

/// A 400 as Neutron's API layer raises it (webob `HTTPBadRequest`).
pub fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(message).with_type("HTTPBadRequest")
}

/// Neutron's `InvalidInput` (400).
pub fn invalid_input(message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Invalid input for operation: {message}.")).with_type("InvalidInput")
}

/// A policy refusal: the action alone, or the action with an attribute
/// rule, worded as oslo.policy words it.
pub fn denied(action: &str, attribute: Option<&str>) -> ApiError {
    let rule = match attribute {
        Some(a) => format!("(rule:{action} and rule:{action}:{a})"),
        None => format!("rule:{action}"),
    };
    ApiError::forbidden(format!("{rule} is disallowed by policy")).with_type("PolicyNotAuthorized")
}

/// Fails with the attribute's policy error unless the caller is an admin
/// (Neutron's `rule:admin_only` attributes).
pub fn admin_only_attr(caller: &Caller, action: &str, attrs: &Attrs, attribute: &str) -> ApiResult<()> {
    if attrs.has(attribute) && !caller.is_admin() {
        return Err(denied(action, Some(attribute)));
    }
    Ok(())
}

/// The attributes of one resource in a request body (`{"port": {...}}`).
pub struct Attrs {
    map: Map<String, Value>,
}

impl Attrs {
    /// Unwraps `{resource: {...}}`, refusing attributes outside `allowed`.
    pub fn from_body(body: Value, resource: &str, allowed: &[&str]) -> ApiResult<Attrs> {
        let Value::Object(mut outer) = body else {
            return Err(bad_request("Body contains invalid data"));
        };
        let map = match outer.remove(resource) {
            Some(Value::Object(m)) => m,
            Some(_) => return Err(bad_request(format!("Object '{resource}' contains invalid data"))),
            None => return Err(bad_request(format!("Unable to find '{resource}' in request body"))),
        };
        let extra: Vec<&str> = map.keys().map(String::as_str).filter(|k| !allowed.contains(k)).collect();
        if !extra.is_empty() {
            return Err(bad_request(format!("Unrecognized attribute(s) '{}'", extra.join(", "))));
        }
        Ok(Attrs { map })
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn value(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    fn invalid(key: &str, v: &Value, what: &str) -> ApiError {
        bad_request(format!("Invalid input for {key}. Reason: '{v}' is not a valid {what}."))
    }

    pub fn str(&self, key: &str) -> ApiResult<Option<String>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(Attrs::invalid(key, v, "string")),
        }
    }

    /// A string the request must carry.
    pub fn required_str(&self, key: &str) -> ApiResult<String> {
        self.str(key)?.ok_or_else(|| missing(key))
    }

    /// A string that may be `null` (`Some(None)`), such as `gateway_ip`.
    pub fn nullable_str(&self, key: &str) -> ApiResult<Option<Option<String>>> {
        match self.map.get(key) {
            Some(Value::Null) => Ok(Some(None)),
            _ => Ok(self.str(key)?.map(Some)),
        }
    }

    pub fn bool(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => {
                Err(bad_request(format!("Invalid input for {key}. Reason: '{v}' cannot be converted to boolean.")))
            }
        }
    }

    pub fn u32(&self, key: &str) -> ApiResult<Option<u32>> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| Attrs::invalid(key, v, "integer")),
        }
    }

    pub fn str_list(&self, key: &str) -> ApiResult<Option<Vec<String>>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(|| Attrs::invalid(key, i, "string")))
                .collect::<ApiResult<Vec<_>>>()
                .map(Some),
            Some(v) => Err(bad_request(format!("Invalid input for {key}. Reason: '{v}' is not a list."))),
        }
    }

    /// The project a new resource belongs to: the caller's, or (admins only)
    /// the one named by `project_id`/`tenant_id`.
    pub fn owner(&self, caller: &Caller) -> ApiResult<String> {
        let project = self.str("project_id")?;
        let tenant = self.str("tenant_id")?;
        if let (Some(p), Some(t)) = (&project, &tenant) {
            if p != t {
                return Err(bad_request("'project_id' and 'tenant_id' do not match"));
            }
        }
        let own = caller.project()?.to_string();
        match project.or(tenant) {
            Some(p) if p != own && !caller.is_admin() => Err(bad_request(
                "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
            )),
            Some(p) => Ok(p),
            None => Ok(own),
        }
    }

    /// `description`, checked to be a string, if present.
    pub fn description(&self) -> ApiResult<Option<String>> {
        self.str("description")
    }
}

/// The standard attributes every Neutron resource carries.
pub fn standard_attrs(
    obj: &mut Map<String, Value>,
    project_id: &str,
    created: &DateTime<Utc>,
    updated: &DateTime<Utc>,
    revision: u64,
    tags: Vec<String>,
) {
    obj.insert("tenant_id".into(), json!(project_id));
    obj.insert("project_id".into(), json!(project_id));
    obj.insert("created_at".into(), json!(iso_seconds(created)));
    obj.insert("updated_at".into(), json!(iso_seconds(updated)));
    obj.insert("revision_number".into(), json!(revision));
    obj.insert("tags".into(), json!(tags));
}

/// Whether the caller sees a resource of `project_id` (admins see all).
pub fn owns(caller: &Caller, project_id: &str) -> bool {
    caller.can_see_project(project_id)
}

/// A parsed list or show query: repeated keys are kept in order.
pub struct ListQuery {
    pairs: Vec<(String, String)>,
}

/// Query keys that steer the listing rather than filter it.
const CONTROL_KEYS: [&str; 6] = ["limit", "marker", "fields", "sort_key", "sort_dir", "page_reverse"];

impl ListQuery {
    pub fn new(pairs: Vec<(String, String)>) -> ListQuery {
        ListQuery { pairs }
    }

    fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn first<'a>(&'a self, key: &'a str) -> Option<&'a str> {
        self.all(key).next()
    }

    /// Keeps only the `fields=` attributes of an item, when any are asked for.
    pub fn select_fields(&self, item: Value) -> Value {
        let fields: Vec<&str> = self.all("fields").flat_map(|f| f.split(',')).collect();
        match item {
            Value::Object(map) if !fields.is_empty() => {
                Value::Object(map.into_iter().filter(|(k, _)| fields.contains(&k.as_str())).collect())
            }
            other => other,
        }
    }

    /// Whether the item passes every filter; `filters` are the attributes
    /// the resource may be filtered on (others are a 400, as with Neutron's
    /// `filter-validation` extension).
    fn matches(&self, item: &Value, filters: &[&str]) -> ApiResult<bool> {
        let mut keys: Vec<&str> = self.pairs.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            if CONTROL_KEYS.contains(&key) {
                continue;
            }
            if !filters.contains(&key) && !["tags", "tags-any", "not-tags", "not-tags-any"].contains(&key) {
                return Err(bad_request(format!("[{key}] is invalid attribute for filtering")));
            }
            let wanted: Vec<&str> = self.all(key).collect();
            if !filter_matches(item, key, &wanted) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The list reply: filtered, sorted, paginated and trimmed to `fields`.
    /// `not_found` names the error for an unknown marker.
    pub fn reply(
        &self,
        base: &str,
        collection: &str,
        items: Vec<Value>,
        filters: &[&str],
        not_found: impl Fn(&str) -> ApiError,
    ) -> ApiResult<Response> {
        let mut kept = Vec::new();
        for item in items {
            if self.matches(&item, filters)? {
                kept.push(item);
            }
        }
        self.sort(&mut kept);
        let limit = match self.first("limit") {
            None => None,
            Some(l) => match l.parse::<i64>() {
                Ok(n) if n > 0 => usize::try_from(n).ok(),
                Ok(0) => None,
                _ => return Err(bad_request(format!("Invalid input for limit. Reason: '{l}' is not an integer."))),
            },
        };
        let id_of = |v: &Value| v["id"].as_str().unwrap_or_default().to_string();
        let start = match self.first("marker") {
            None => 0,
            Some(m) => kept.iter().position(|v| id_of(v) == m).ok_or_else(|| not_found(m))? + 1,
        };
        let end = limit.map_or(kept.len(), |l| (start + l).min(kept.len()));
        let mut links = Vec::new();
        if let Some(l) = limit {
            let link = |rel: &str, marker: &str, reverse: bool| {
                let mut params: Vec<(String, String)> = self
                    .pairs
                    .iter()
                    .filter(|(k, _)| !["marker", "page_reverse"].contains(&k.as_str()))
                    .cloned()
                    .collect();
                params.retain(|(k, _)| k != "limit");
                params.insert(0, ("limit".into(), l.to_string()));
                params.push(("marker".into(), marker.to_string()));
                if reverse {
                    params.push(("page_reverse".into(), "True".into()));
                }
                let query: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
                json!({"rel": rel, "href": format!("{base}/network/v2.0/{collection}?{}", query.join("&"))})
            };
            if end < kept.len() && end > start {
                links.push(link("next", &id_of(&kept[end - 1]), false));
            }
            if start > 0 && start < kept.len() {
                links.push(link("previous", &id_of(&kept[start]), true));
            }
        }
        let page: Vec<Value> = kept.drain(start.min(end)..end).map(|v| self.select_fields(v)).collect();
        let mut body = Map::new();
        body.insert(collection.into(), Value::Array(page));
        if !links.is_empty() {
            body.insert(format!("{collection}_links"), Value::Array(links));
        }
        Ok(ok(Value::Object(body)))
    }

    fn sort(&self, items: &mut [Value]) {
        let keys: Vec<&str> = self.all("sort_key").collect();
        let dirs: Vec<&str> = self.all("sort_dir").collect();
        if keys.is_empty() {
            return;
        }
        items.sort_by(|a, b| {
            for (i, key) in keys.iter().enumerate() {
                let ord = compare(&a[*key], &b[*key]);
                let ord = if dirs.get(i).is_some_and(|d| d.eq_ignore_ascii_case("desc")) { ord.reverse() } else { ord };
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64().unwrap_or(0.0).partial_cmp(&y.as_f64().unwrap_or(0.0)).unwrap_or(std::cmp::Ordering::Equal)
        }
        _ => scalar_text(a).cmp(&scalar_text(b)),
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One filter against one item; several values of a key are alternatives.
fn filter_matches(item: &Value, key: &str, wanted: &[&str]) -> bool {
    let tags: Vec<&str> = item["tags"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let split = |w: &[&str]| -> Vec<String> { w.iter().flat_map(|v| v.split(',')).map(str::to_string).collect() };
    match key {
        "tags" => split(wanted).iter().all(|t| tags.contains(&t.as_str())),
        "tags-any" => split(wanted).iter().any(|t| tags.contains(&t.as_str())),
        "not-tags" => !split(wanted).iter().all(|t| tags.contains(&t.as_str())),
        "not-tags-any" => !split(wanted).iter().any(|t| tags.contains(&t.as_str())),
        // `fixed_ips=ip_address=10.0.0.5` / `fixed_ips=subnet_id=...`
        "fixed_ips" => {
            let ips = item["fixed_ips"].as_array().cloned().unwrap_or_default();
            wanted.iter().all(|w| {
                let (k, v) = w.split_once('=').unwrap_or(("ip_address", w));
                let k = if k == "ip_address_substr" { "ip_address" } else { k };
                ips.iter().any(|ip| {
                    let have = ip[k].as_str().unwrap_or_default();
                    if w.starts_with("ip_address_substr=") {
                        have.contains(v)
                    } else {
                        have == v
                    }
                })
            })
        }
        _ => wanted.iter().any(|w| value_matches(&item[key], w)),
    }
}

fn value_matches(have: &Value, wanted: &str) -> bool {
    match have {
        Value::Bool(b) => match wanted.to_ascii_lowercase().as_str() {
            "true" | "1" => *b,
            "false" | "0" => !*b,
            _ => false,
        },
        Value::Array(items) => items.iter().any(|i| value_matches(i, wanted)),
        Value::Null => wanted.is_empty() || wanted == "None",
        other => scalar_text(other) == wanted,
    }
}

/// Percent-encodes a query component for pagination links.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sets `field` to an update's value for it, when the update gives one.
pub fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

/// The empty 204 of a successful delete.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// `{resource: item}` trimmed to `fields=`, with the given status.
pub fn one(status: StatusCode, resource: &str, item: Value, q: &ListQuery) -> Response {
    reply(status, json!({ resource: q.select_fields(item) }))
}

/// Parses a tag list given at creation (`tags` in POST bodies).
pub fn creation_tags(attrs: &Attrs) -> ApiResult<Option<Vec<String>>> {
    let tags = attrs.str_list("tags")?;
    if let Some(t) = &tags {
        if let Some(bad) = t.iter().find(|t| t.is_empty() || t.len() > 255 || t.contains(',')) {
            return Err(bad_request(format!("Invalid input for tags. Reason: '{bad}' is not a valid tag.")));
        }
    }
    Ok(tags)
}

/// Neutron's answer to a POST without a required attribute.
pub fn missing(key: &str) -> ApiError {
    bad_request(format!("Failed to parse request. Required attribute '{key}' not specified"))
}
