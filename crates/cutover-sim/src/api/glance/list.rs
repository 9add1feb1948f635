/*!
`GET /v2/images`: Glance's visibility rules, filters (with `in:` and the
timestamp comparison operators), both sorting syntaxes, and `marker`/`limit`
paging with `first` and `next` links.
*/

use std::cmp::Ordering;

use axum::extract::{Query, State};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{json, Value};

use super::images::render;
use crate::api::common::{ok, page};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::image::Image;
use crate::sim::Sim;

const SORT_KEYS: [&str; 8] =
    ["name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at"];
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 1000;
/// Query parameters that are not property filters.
const CONTROL: [&str; 6] = ["limit", "marker", "sort_key", "sort_dir", "sort", "member_status"];

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortValue {
    Null,
    Num(u64),
    Text(String),
    Time(DateTime<Utc>),
}

fn sort_value(img: &Image, key: &str) -> SortValue {
    let text = |s: &Option<String>| s.clone().map_or(SortValue::Null, SortValue::Text);
    match key {
        "name" => text(&img.name),
        "status" => SortValue::Text(img.status.as_str().into()),
        "container_format" => text(&img.container_format),
        "disk_format" => text(&img.disk_format),
        "size" => img.size.map_or(SortValue::Null, SortValue::Num),
        "created_at" => SortValue::Time(img.created_at),
        "updated_at" => SortValue::Time(img.updated_at),
        _ => SortValue::Text(img.id.clone()),
    }
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").map(|t| t.and_utc()))
        .map_err(|_| ApiError::bad_request(format!("Unable to parse datetime '{s}'.")))
}

/// `created_at=gte:2024-01-01T00:00:00Z` and friends.
fn time_matches(value: &DateTime<Utc>, filter: &str) -> Result<bool, ApiError> {
    let (op, at) =
        filter.split_once(':').filter(|(op, _)| op.chars().all(|c| c.is_ascii_alphabetic())).unwrap_or(("eq", filter));
    let at = parse_time(at)?;
    Ok(match op {
        "gt" => *value > at,
        "gte" => *value >= at,
        "lt" => *value < at,
        "lte" => *value <= at,
        "eq" => *value == at,
        "neq" => *value != at,
        other => return Err(ApiError::bad_request(format!("Invalid operator '{other}' for a time filter."))),
    })
}

/// `name=x` or `name=in:x,"y,z"`.
fn text_matches(value: Option<&str>, filter: &str) -> bool {
    match filter.strip_prefix("in:") {
        Some(list) => split_in(list).iter().any(|v| Some(v.as_str()) == value),
        None => value == Some(filter.strip_prefix("eq:").unwrap_or(filter)),
    }
}

/// Values of an `in:` list, honouring double quotes around values with commas.
fn split_in(list: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in list.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn parse_bool(key: &str, v: &str) -> Result<bool, ApiError> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ApiError::bad_request(format!("Invalid value '{v}' for parameter '{key}'"))),
    }
}

fn parse_u64(key: &str, v: &str) -> Result<u64, ApiError> {
    v.parse().map_err(|_| ApiError::bad_request(format!("Invalid value '{v}' for parameter '{key}'")))
}

/// Whether the caller's list shows the image before any explicit filter.
fn listed(img: &Image, caller: &Caller, visibility: Option<&str>, member_status: &str) -> bool {
    let project = caller.project_id.as_deref();
    let owner = project.is_some() && img.owner.as_deref() == project;
    if visibility.is_some_and(|v| v != "all" && v != img.visibility) {
        return false;
    }
    // Community images appear only when asked for, or to their owner.
    if visibility.is_none() && img.visibility == "community" && !owner {
        return false;
    }
    if caller.is_admin() || owner || matches!(img.visibility.as_str(), "public" | "community") {
        return true;
    }
    img.visibility == "shared"
        && project.and_then(|p| img.members.get(p)).is_some_and(|s| member_status == "all" || s == member_status)
}

fn filter_matches(img: &Image, key: &str, v: &str) -> Result<bool, ApiError> {
    Ok(match key {
        "name" => text_matches(img.name.as_deref(), v),
        "status" => text_matches(Some(img.status.as_str()), v),
        "id" => text_matches(Some(&img.id), v),
        "owner" => text_matches(img.owner.as_deref(), v),
        "container_format" => text_matches(img.container_format.as_deref(), v),
        "disk_format" => text_matches(img.disk_format.as_deref(), v),
        "visibility" => true,
        "tag" => img.tags.contains(v),
        "size_min" => {
            let min = parse_u64(key, v)?;
            img.size.is_some_and(|s| s >= min)
        }
        "size_max" => {
            let max = parse_u64(key, v)?;
            img.size.is_some_and(|s| s <= max)
        }
        "protected" => img.protected == parse_bool(key, v)?,
        "os_hidden" => img.os_hidden == parse_bool(key, v)?,
        "created_at" => time_matches(&img.created_at, v)?,
        "updated_at" => time_matches(&img.updated_at, v)?,
        prop => img.properties.get(prop).and_then(Value::as_str) == Some(v),
    })
}

/// Sort keys with their directions, from `sort=k:dir,...` or
/// `sort_key`/`sort_dir`; `created_at` descending by default, and `id` as
/// a final tie-breaker as Glance adds it.
fn sort_order(q: &[(String, String)]) -> Result<Vec<(String, bool)>, ApiError> {
    let all = |name: &str| q.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let (sort, keys, dirs) = (all("sort"), all("sort_key"), all("sort_dir"));
    if !sort.is_empty() && (!keys.is_empty() || !dirs.is_empty()) {
        return Err(ApiError::bad_request("Old and new sorting syntax cannot be combined"));
    }
    let mut order: Vec<(String, String)> = if !sort.is_empty() {
        sort.iter()
            .flat_map(|s| s.split(','))
            .map(|p| {
                let (k, d) = p.split_once(':').unwrap_or((p, "desc"));
                (k.trim().to_string(), d.trim().to_string())
            })
            .collect()
    } else {
        let keys = if keys.is_empty() { vec!["created_at".to_string()] } else { keys };
        if dirs.len() > 1 && dirs.len() != keys.len() {
            return Err(ApiError::bad_request("Number of sort dirs does not match the number of sort keys"));
        }
        let dir_of = |i: usize| dirs.get(if dirs.len() == 1 { 0 } else { i }).cloned().unwrap_or_else(|| "desc".into());
        keys.into_iter().enumerate().map(|(i, k)| (k, dir_of(i))).collect()
    };
    if !order.iter().any(|(k, _)| k == "id") {
        let last = order.last().map_or("desc".to_string(), |(_, d)| d.clone());
        order.push(("id".into(), last));
    }
    order
        .into_iter()
        .map(|(k, d)| {
            if !SORT_KEYS.contains(&k.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "Invalid sort key: {k}. It must be one of the following: {}.",
                    SORT_KEYS.join(", ")
                )));
            }
            match d.as_str() {
                "asc" => Ok((k, true)),
                "desc" => Ok((k, false)),
                _ => Err(ApiError::bad_request(format!("Invalid sort direction: {d}"))),
            }
        })
        .collect()
}

/// Percent-encodes a query component (RFC 3986 unreserved bytes kept).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn link(params: &[(String, String)]) -> String {
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    if query.is_empty() {
        "/v2/images".into()
    } else {
        format!("/v2/images?{}", query.join("&"))
    }
}

pub async fn list(State(sim): State<Sim>, caller: Caller, Query(q): Query<Vec<(String, String)>>) -> ApiResult {
    let get = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let visibility = get("visibility");
    if let Some(v) = visibility.filter(|v| !matches!(*v, "public" | "private" | "shared" | "community" | "all")) {
        return Err(ApiError::bad_request(format!("Invalid visibility value: {v}")));
    }
    let member_status = get("member_status").unwrap_or("accepted");
    if !matches!(member_status, "pending" | "accepted" | "rejected" | "all") {
        return Err(ApiError::bad_request(format!("Invalid status value: {member_status}")));
    }
    let limit = match get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if n >= 0 => (n as usize).min(MAX_LIMIT),
            Ok(_) => return Err(ApiError::bad_request("limit param must be positive")),
            Err(_) => return Err(ApiError::bad_request("limit param must be an integer")),
        },
    };
    let order = sort_order(&q)?;
    let hidden_asked = q.iter().any(|(k, _)| k == "os_hidden");
    let w = sim.world();
    let mut images = Vec::new();
    for img in w.image.images.values() {
        if !listed(img, &caller, visibility, member_status) || (!hidden_asked && img.os_hidden) {
            continue;
        }
        let mut keep = true;
        for (k, v) in q.iter().filter(|(k, _)| !CONTROL.contains(&k.as_str())) {
            keep &= filter_matches(img, k, v)?;
        }
        if keep {
            images.push(img);
        }
    }
    images.sort_by(|a, b| {
        order.iter().fold(Ordering::Equal, |acc, (k, asc)| {
            acc.then_with(|| {
                let o = sort_value(a, k).cmp(&sort_value(b, k));
                if *asc {
                    o
                } else {
                    o.reverse()
                }
            })
        })
    });
    let shown = page(&images, |i| &i.id, get("marker"), Some(limit))?;
    let mut params: Vec<(String, String)> = q.iter().filter(|(k, _)| k != "marker").cloned().collect();
    let mut body = json!({
        "images": shown.iter().map(|i| render(i)).collect::<Vec<_>>(),
        "first": link(&params),
        "schema": "/v2/schemas/images",
    });
    if let Some(last) = shown.last().filter(|_| shown.len() == limit) {
        params.push(("marker".into(), last.id.clone()));
        body["next"] = json!(link(&params));
    }
    Ok(ok(body))
}
