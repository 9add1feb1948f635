/*!
[`Secret`]: a password or token that can be passed around, logged and
serialized without leaking. Reading it takes an explicit [`Secret::expose`],
so a leak shows up in review as a call, not as a `{:?}`.
*/

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// What a secret prints and serializes as.
pub const REDACTED: &str = "***";

/// A password, token or application-credential secret. `Debug`, `Display`
/// and `Serialize` all give `***`; it deserializes from a plain string (so
/// it can sit in a config struct read from clouds.yaml or secure.yaml).
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it (an auth
    /// request body). Never format it into a message.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Serializes as `"***"`: a report or journal that includes a config struct
/// must not carry the secret with it.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize)]
    struct Auth {
        username: String,
        password: Secret,
    }

    #[test]
    fn formatting_never_shows_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s:#?}"), "***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn nested_debug_is_redacted() {
        let a = Auth { username: "admin".into(), password: Secret::new("hunter2") };
        let text = format!("{a:?}");
        assert!(text.contains("admin") && !text.contains("hunter2"), "{text}");
    }

    #[test]
    fn deserializes_from_a_plain_string_and_serializes_redacted() {
        let a: Auth = serde_json::from_str(r#"{"username": "admin", "password": "hunter2"}"#).unwrap();
        assert_eq!(a.password.expose(), "hunter2");
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"username":"admin","password":"***"}"#);
    }

    #[test]
    fn a_non_string_is_refused() {
        assert!(serde_json::from_str::<Secret>("42").is_err());
    }
}
