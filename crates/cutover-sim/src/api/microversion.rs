/*!
Microversion negotiation shared by Nova and Cinder: which version a request
asks for, and the version it gets — none means the minimum, `latest` the
maximum, a malformed one is 400 and one outside the range 406, as both
services answer.
*/

use axum::http::{HeaderMap, StatusCode};

use crate::error::ApiError;
use crate::model::compute::Microversion;

/// The version asked of `service` (`compute`, `volume`) in
/// `OpenStack-API-Version`, else in the service's legacy header, if any.
pub fn requested(headers: &HeaderMap, service: &str, legacy_header: Option<&str>) -> Option<String> {
    let modern = headers.get("openstack-api-version").and_then(|v| v.to_str().ok()).and_then(|v| {
        v.split(',').find_map(|part| {
            let mut words = part.split_whitespace();
            words.next().filter(|s| s.eq_ignore_ascii_case(service)).map(|_| words.next().unwrap_or("").to_string())
        })
    });
    modern.or_else(|| {
        legacy_header.and_then(|h| headers.get(h)).and_then(|v| v.to_str().ok()).map(|s| s.trim().to_string())
    })
}

/// The version a request gets, given what it asked and the range served.
pub fn choose(asked: Option<&str>, min: Microversion, max: Microversion) -> Result<Microversion, ApiError> {
    match asked {
        None => Ok(min),
        Some(s) if s.eq_ignore_ascii_case("latest") => Ok(max),
        Some(s) => match Microversion::parse(s) {
            Some(v) if v >= min && v <= max => Ok(v),
            Some(v) => Err(ApiError::new(
                StatusCode::NOT_ACCEPTABLE,
                format!("Version {v} is not supported by the API. Minimum is {min} and maximum is {max}."),
            )),
            None => Err(ApiError::bad_request(format!(
                "API Version String {s} is of invalid format. Must be of format MajorNum.MinorNum."
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap())).collect()
    }

    #[test]
    fn modern_header_wins_and_names_the_service() {
        let h =
            headers(&[("openstack-api-version", "volume 3.5, compute 2.53"), ("x-openstack-nova-api-version", "2.1")]);
        assert_eq!(requested(&h, "compute", Some("x-openstack-nova-api-version")).as_deref(), Some("2.53"));
        assert_eq!(requested(&h, "volume", None).as_deref(), Some("3.5"));
        let legacy = headers(&[("x-openstack-nova-api-version", " 2.10 ")]);
        assert_eq!(requested(&legacy, "compute", Some("x-openstack-nova-api-version")).as_deref(), Some("2.10"));
    }

    #[test]
    fn choice_follows_the_range() {
        let (min, max) = (Microversion::new(2, 1), Microversion::new(2, 90));
        assert_eq!(choose(None, min, max).unwrap(), min);
        assert_eq!(choose(Some("LATEST"), min, max).unwrap(), max);
        assert_eq!(choose(Some("2.53"), min, max).unwrap(), Microversion::new(2, 53));
        assert_eq!(choose(Some("2.91"), min, max).unwrap_err().status, StatusCode::NOT_ACCEPTABLE);
        assert_eq!(choose(Some("two"), min, max).unwrap_err().status, StatusCode::BAD_REQUEST);
    }
}
