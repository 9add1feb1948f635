/*!
A failed cloud call as the engine needs it: permanent or not, the cloud's
error kept underneath.
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
    let message = e.to_string();
    let failure = if permanent { DriverError::refused(message) } else { DriverError::temporary(message) };
    failure.caused_by(e)
}

#[cfg(test)]
mod tests {
    use cutover_cloud::CallError;
    use cutover_core::model::{ServerStatus, UnknownStatus};
    use http::StatusCode;

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

    #[test]
    fn a_failed_call_keeps_the_cloud_error_as_its_source() {
        let call = CallError {
            region: "RegionTwo".into(),
            service: "compute".into(),
            call: "POST servers".into(),
            status: Some(StatusCode::CONFLICT),
            message: "Instance is in task_state deleting".into(),
        };
        let failed = failed(CloudError::Call(Box::new(call)));
        // A 409 may pass: the resource is busy with something else.
        assert!(!failed.permanent);
        let source = std::error::Error::source(&failed).and_then(|e| e.downcast_ref::<CloudError>());
        let source = source.expect("the cloud error underneath");
        assert_eq!(source.status(), Some(StatusCode::CONFLICT));
        // What operators read is the cloud's message, as before.
        assert_eq!(failed.to_string(), source.to_string());
        assert_eq!(failed.message, "RegionTwo compute POST servers: 409 Conflict: Instance is in task_state deleting");
    }

    #[test]
    fn a_refusal_of_the_engine_has_no_source_and_is_permanent() {
        let refused = DriverError::refused("no nova-compute service on host h1");
        assert!(refused.permanent);
        assert!(std::error::Error::source(&refused).is_none());
        assert!(!DriverError::temporary("busy").permanent);
    }
}
