/*!
`GET /servers` and `GET /servers/detail`: the caller's project (or every
project for an admin with `all_tenants`), Nova's filters, sorting and
`marker`/`limit` paging with a `servers_links` next link. The default order
(newest first) walks the region's created-order index, so a page costs what
it returns rather than a sort of the whole region.
*/

use std::cmp::Ordering;

use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::{json, Value};

use super::view::ViewCtx;
use crate::api::common::ok;
use crate::api::nova::lookup::{query_limit, query_time, region, MAX_LIMIT};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{ComputeRegion, Server};
use crate::sim::Sim;

/// Filters a non-admin may use (`_get_server_search_options`); Nova drops
/// the others silently. 2.83 opens more of them to everybody.
const USER_FILTERS: [&str; 14] = [
    "reservation_id",
    "name",
    "status",
    "image",
    "flavor",
    "ip",
    "ip6",
    "changes-since",
    "changes-before",
    "all_tenants",
    "tags",
    "tags-any",
    "not-tags",
    "not-tags-any",
];
const USER_FILTERS_2_83: [&str; 5] = ["availability_zone", "config_drive", "key_name", "user_id", "vm_state"];

/// Sort keys this simulator orders by (a subset of Nova's valid keys).
const SORT_KEYS: [&str; 13] = [
    "created_at",
    "updated_at",
    "display_name",
    "uuid",
    "launched_at",
    "terminated_at",
    "host",
    "project_id",
    "user_id",
    "vm_state",
    "task_state",
    "availability_zone",
    "key_name",
];

pub async fn index(State(sim): State<Sim>, nova: Nova, Query(q): Query<Vec<(String, String)>>) -> ApiResult {
    list(sim, nova, q, false)
}

pub async fn detail(State(sim): State<Sim>, nova: Nova, Query(q): Query<Vec<(String, String)>>) -> ApiResult {
    list(sim, nova, q, true)
}

/// The parsed query of a listing.
struct Listing {
    filters: Vec<(String, String)>,
    all_tenants: bool,
    sort: Vec<(String, bool)>,
    marker: Option<String>,
    limit: usize,
    since: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
    name: Option<Regex>,
    ip: Option<Regex>,
    include_deleted: bool,
    only_deleted: bool,
}

fn list(sim: Sim, nova: Nova, query: Vec<(String, String)>, is_detail: bool) -> ApiResult {
    let listing = parse(&nova, &query, is_detail)?;
    let w = sim.read();
    let region = region(&w, &nova)?;
    let project = nova.caller.project_id.clone();
    let keep = |s: &Server| matches(region, &listing, project.as_deref(), s);
    let page: Vec<&Server> = if listing.sort.is_empty() && !listing.include_deleted {
        newest_first(region, &listing, keep)?
    } else {
        sorted(region, &listing, keep)?
    };
    let ctx = ViewCtx::new(&w, region, &nova);
    let servers: Vec<Value> =
        page.iter().map(|s| if is_detail { ctx.full(s, super::view::Shape::Detail) } else { ctx.basic(s) }).collect();
    // Moved in, not through `json!`, which would copy every server again.
    let mut body = Value::Object(serde_json::Map::from_iter([("servers".to_string(), Value::Array(servers))]));
    if !page.is_empty() && page.len() == listing.limit {
        let last = page.last().map(|s| s.id.as_str()).unwrap_or_default();
        let path = if is_detail { "servers/detail" } else { "servers" };
        let mut params: Vec<(String, String)> = query.iter().filter(|(k, _)| k != "marker").cloned().collect();
        params.push(("marker".into(), last.into()));
        let href = format!("{}/{path}?{}", ctx.compute_url(), encode_query(&params));
        body["servers_links"] = json!([{"rel": "next", "href": href}]);
    }
    // Serializing a large page needs no lock.
    drop(w);
    Ok(ok(body))
}

fn parse(nova: &Nova, query: &[(String, String)], is_detail: bool) -> ApiResult<Listing> {
    let admin = nova.caller.is_admin();
    let allowed = |k: &str| admin || USER_FILTERS.contains(&k) || (nova.at_least(83) && USER_FILTERS_2_83.contains(&k));
    let mut listing = Listing {
        filters: Vec::new(),
        all_tenants: false,
        sort: Vec::new(),
        marker: None,
        limit: MAX_LIMIT,
        since: None,
        before: None,
        name: None,
        ip: None,
        include_deleted: false,
        only_deleted: false,
    };
    let (mut keys, mut dirs) = (Vec::new(), Vec::new());
    for (k, v) in query {
        match k.as_str() {
            "limit" => listing.limit = query_limit(v)?,
            "marker" => listing.marker = Some(v.clone()),
            "sort_key" => keys.push(v.clone()),
            "sort_dir" => dirs.push(v.clone()),
            "all_tenants" => listing.all_tenants = bool_param(k, v)?,
            _ if !allowed(k) => {}
            "changes-since" => listing.since = Some(query_time(k, v)?),
            "changes-before" => listing.before = Some(query_time(k, v)?),
            "name" => listing.name = Some(regex(v)?),
            "ip" => listing.ip = Some(regex(v)?),
            "deleted" => listing.only_deleted = bool_param(k, v)?,
            _ => listing.filters.push((k.clone(), v.clone())),
        }
    }
    if listing.all_tenants && !admin {
        let which = if is_detail { "detail" } else { "index" };
        return Err(ApiError::policy(&format!("os_compute_api:servers:{which}:get_all_tenants")));
    }
    if let (Some(since), Some(before)) = (listing.since, listing.before) {
        if since > before {
            return Err(ApiError::bad_request(
                "The value of changes-since must be less than or equal to changes-before.",
            ));
        }
    }
    let wants_deleted_status = listing.filters.iter().any(|(k, v)| k == "status" && v.eq_ignore_ascii_case("deleted"));
    if wants_deleted_status && !admin {
        return Err(ApiError::forbidden("Only administrators may list deleted instances"));
    }
    listing.include_deleted =
        listing.since.is_some() || listing.before.is_some() || listing.only_deleted || wants_deleted_status;
    for (i, key) in keys.iter().enumerate() {
        if !SORT_KEYS.contains(&key.as_str()) {
            return Err(ApiError::bad_request(format!("Invalid sort_key {key}")));
        }
        if key == "host" && !admin {
            return Err(ApiError::forbidden(format!("Only administrators can sort servers by {key}")));
        }
        let asc = match dirs.get(i).or(dirs.first()).map(String::as_str) {
            None | Some("desc") => false,
            Some("asc") => true,
            Some(other) => return Err(ApiError::bad_request(format!("Invalid sort_dir {other}"))),
        };
        listing.sort.push((key.clone(), asc));
    }
    Ok(listing)
}

fn bool_param(key: &str, value: &str) -> ApiResult<bool> {
    match value.to_ascii_lowercase().as_str() {
        "" | "1" | "t" | "true" | "on" | "y" | "yes" => Ok(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Ok(false),
        _ => Err(ApiError::bad_request(format!("Invalid input for query parameters {key}. Value: {value}."))),
    }
}

/// Nova matches `name` and `ip` as regular expressions, case-insensitively
/// as MySQL's `REGEXP` does.
fn regex(pattern: &str) -> ApiResult<Regex> {
    Regex::new(&format!("(?i){pattern}"))
        .map_err(|_| ApiError::bad_request(format!("Invalid regular expression {pattern}")))
}

fn matches(region: &ComputeRegion, l: &Listing, project: Option<&str>, s: &Server) -> bool {
    if !l.all_tenants && project != Some(s.project_id.as_str()) {
        return false;
    }
    if l.only_deleted && s.vm_state != crate::model::compute::VmState::Deleted {
        return false;
    }
    if l.since.is_some_and(|t| s.updated < t) || l.before.is_some_and(|t| s.updated > t) {
        return false;
    }
    if l.name.as_ref().is_some_and(|re| !re.is_match(&s.name)) {
        return false;
    }
    if l.ip.as_ref().is_some_and(|re| !s.nics.iter().flat_map(|n| &n.fixed_ips).any(|ip| re.is_match(ip))) {
        return false;
    }
    let statuses: Vec<&str> = l.filters.iter().filter(|(k, _)| k == "status").map(|(_, v)| v.as_str()).collect();
    if !statuses.is_empty() && !statuses.iter().any(|st| st.eq_ignore_ascii_case(s.status())) {
        return false;
    }
    l.filters.iter().filter(|(k, _)| k != "status").all(|(k, v)| filter(region, s, l.all_tenants, k, v))
}

fn tag_list(v: &str) -> Vec<&str> {
    v.split(',').map(str::trim).filter(|t| !t.is_empty()).collect()
}

/// One simple filter; unknown ones match everything, as Nova ignores them.
fn filter(region: &ComputeRegion, s: &Server, all_tenants: bool, key: &str, v: &str) -> bool {
    match key {
        "host" | "node" => s.host.as_deref() == Some(v),
        "project_id" | "tenant_id" => !all_tenants || s.project_id == v,
        "user_id" => s.user_id == v,
        "flavor" => s.flavor_id == v,
        "image" => s.image_id.as_deref() == Some(v.rsplit('/').next().unwrap_or(v)),
        "availability_zone" => region.server_zone(s).as_deref() == Some(v),
        "key_name" => s.key_name.as_deref() == Some(v),
        "vm_state" => s.vm_state.as_str() == v,
        "config_drive" => s.config_drive == matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"),
        "reservation_id" => format!("r-{}", &s.id[..8.min(s.id.len())]) == v,
        "tags" => tag_list(v).iter().all(|t| s.tags.contains(*t)),
        "tags-any" => tag_list(v).iter().any(|t| s.tags.contains(*t)),
        "not-tags" => !tag_list(v).iter().all(|t| s.tags.contains(*t)),
        "not-tags-any" => !tag_list(v).iter().any(|t| s.tags.contains(*t)),
        _ => true,
    }
}

fn marker_not_found(m: &str) -> ApiError {
    ApiError::bad_request(format!("marker [{m}] not found"))
}

/// The default order, newest first, read off the created-order index.
fn newest_first<'r>(
    region: &'r ComputeRegion,
    l: &Listing,
    keep: impl Fn(&Server) -> bool,
) -> ApiResult<Vec<&'r Server>> {
    let upper = match &l.marker {
        None => None,
        Some(m) => {
            let s = region.server_or_tombstone(m).ok_or_else(|| marker_not_found(m))?;
            Some((s.created, s.id.clone()))
        }
    };
    let keys: Box<dyn Iterator<Item = &(DateTime<Utc>, String)>> = match &upper {
        None => Box::new(region.servers_by_created.iter().rev()),
        Some(key) => Box::new(region.servers_by_created.range(..key.clone()).rev()),
    };
    Ok(keys.filter_map(|(_, id)| region.servers.get(id)).filter(|s| keep(s)).take(l.limit).collect())
}

/// Any other order, or a listing including deleted servers: filter, then
/// sort what is left by the keys (ties by created time, then id).
fn sorted<'r>(region: &'r ComputeRegion, l: &Listing, keep: impl Fn(&Server) -> bool) -> ApiResult<Vec<&'r Server>> {
    let live = region.servers.values().filter(|_| !l.only_deleted);
    let dead = region.deleted_servers.values().filter(|_| l.include_deleted);
    let mut all: Vec<&Server> = live.chain(dead).filter(|s| keep(s)).collect();
    let default_asc = l.sort.first().is_some_and(|(_, asc)| *asc);
    all.sort_by(|a, b| {
        for (key, asc) in &l.sort {
            let o = compare(region, key, a, b);
            if o != Ordering::Equal {
                return if *asc { o } else { o.reverse() };
            }
        }
        let o = a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id));
        if default_asc {
            o
        } else {
            o.reverse()
        }
    });
    let start = match &l.marker {
        None => 0,
        Some(m) => {
            if region.server_or_tombstone(m).is_none() {
                return Err(marker_not_found(m));
            }
            // A marker outside the filtered set pages from the start, as
            // Nova's marker lookup is by id regardless of the filters.
            all.iter().position(|s| &s.id == m).map_or(0, |p| p + 1)
        }
    };
    Ok(all.into_iter().skip(start).take(l.limit).collect())
}

fn compare(region: &ComputeRegion, key: &str, a: &Server, b: &Server) -> Ordering {
    match key {
        "created_at" => a.created.cmp(&b.created),
        "updated_at" => a.updated.cmp(&b.updated),
        "display_name" => a.name.cmp(&b.name),
        "uuid" => a.id.cmp(&b.id),
        "launched_at" => a.launched_at.cmp(&b.launched_at),
        "terminated_at" => a.terminated_at.cmp(&b.terminated_at),
        "host" => a.host.cmp(&b.host),
        "project_id" => a.project_id.cmp(&b.project_id),
        "user_id" => a.user_id.cmp(&b.user_id),
        "vm_state" => a.vm_state.as_str().cmp(b.vm_state.as_str()),
        "task_state" => a.task_state.cmp(&b.task_state),
        "availability_zone" => region.server_zone(a).cmp(&region.server_zone(b)),
        "key_name" => a.key_name.cmp(&b.key_name),
        _ => Ordering::Equal,
    }
}

/// `application/x-www-form-urlencoded` query text for the next link.
fn encode_query(params: &[(String, String)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}
