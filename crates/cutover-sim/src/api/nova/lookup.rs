/*!
Finding what a Nova request names: the caller's region and the servers the
caller may see, with the 404s Nova answers for the rest; and the paging and
time query parameters Nova's listings share.
*/

use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{ComputeRegion, Server};
use crate::model::World;

/// Nova's answer for a server the caller may not see or that does not exist.
pub fn server_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Instance {id} could not be found."))
}

/// The caller's region; the negotiation layer has already checked it exists.
pub fn region_mut<'a>(w: &'a mut World, nova: &Nova) -> ApiResult<&'a mut ComputeRegion> {
    w.compute_region_mut(&nova.region)
        .ok_or_else(|| ApiError::not_found(format!("No compute service in region {}.", nova.region)))
}

pub fn region<'a>(w: &'a World, nova: &Nova) -> ApiResult<&'a ComputeRegion> {
    w.compute_region(&nova.region)
        .ok_or_else(|| ApiError::not_found(format!("No compute service in region {}.", nova.region)))
}

/// A server of the caller's region the caller may see: its own project's,
/// or any for an admin. Others' servers are 404, as Nova hides them.
pub fn visible_server<'a>(w: &'a World, nova: &Nova, id: &str) -> ApiResult<&'a Server> {
    region(w, nova)?
        .servers
        .get(id)
        .filter(|s| nova.caller.can_see_project(&s.project_id))
        .ok_or_else(|| server_not_found(id))
}

pub fn visible_server_mut<'a>(w: &'a mut World, nova: &Nova, id: &str) -> ApiResult<&'a mut Server> {
    let caller = nova.caller.clone();
    region_mut(w, nova)?
        .servers
        .get_mut(id)
        .filter(|s| caller.can_see_project(&s.project_id))
        .ok_or_else(|| server_not_found(id))
}

/// Nova's `[api] max_limit`.
pub const MAX_LIMIT: usize = 1000;

/// A listing's `limit`, at most [`MAX_LIMIT`].
pub fn query_limit(value: &str) -> ApiResult<usize> {
    let n: i64 = value.parse().map_err(|_| ApiError::bad_request("limit param must be an integer"))?;
    if n < 0 {
        return Err(ApiError::bad_request("limit param must be positive"));
    }
    Ok((n as usize).min(MAX_LIMIT))
}

/// A `changes-since`/`changes-before` time, with or without a zone.
pub fn query_time(key: &str, value: &str) -> ApiResult<chrono::DateTime<chrono::Utc>> {
    let parsed = chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc()));
    parsed.map_err(|_| {
        ApiError::bad_request(format!("Invalid input for query parameters {key}. Value: {value}. is not a 'date-time'"))
    })
}
