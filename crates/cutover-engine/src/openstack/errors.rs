/*!
A failed cloud call as the engine needs it: permanent or not.
*/

use cutover_cloud::Error as CloudError;

use crate::driver::DriverError;

/// A failed call as the engine needs it: the cloud's refusal (a 4xx) is
/// permanent; no answer, 429 and 5xx (after the client's own retries) may
/// pass, and so may a 409 an action did not expect (the resource is busy
/// with something else: its state changes by itself).
pub(crate) fn failed(e: CloudError) -> DriverError {
    let permanent = match &e {
        CloudError::Call(call) => call.status.is_some_and(|s| s.is_client_error() && !matches!(s.as_u16(), 409 | 429)),
        CloudError::Auth { .. } | CloudError::AuthUnavailable { .. } => false,
        _ => true,
    };
    DriverError { message: e.to_string(), permanent }
}

pub(crate) fn permanent(message: String) -> DriverError {
    DriverError { message, permanent: true }
}

#[cfg(test)]
mod tests {
    use cutover_core::model::{ServerStatus, UnknownStatus};

    use super::*;

    #[test]
    fn an_unknown_status_is_permanent_and_names_the_value() {
        let status = "FROZEN".parse::<ServerStatus>().unwrap_err();
        assert_eq!(status, UnknownStatus { what: "Nova server status", value: "FROZEN".into() });
        let err =
            CloudError::UnknownStatus { region: "RegionOne".into(), resource: "server", id: "s-1".into(), status };
        let failed = failed(err);
        // Waiting would not make it known: the observation fails at once.
        assert!(failed.permanent);
        assert_eq!(
            failed.message,
            r#"region RegionOne: server s-1: Nova server status "FROZEN" is not one cutover knows"#
        );
    }
}
