/*!
The procedure's steps besides the run: [`preflight`], [`verify`] (the new
region's services), [`sync`] (what Nova stores, copied into the new
region), [`plan`] (made and checked), [`register`] (the new region in
Keystone) and [`retire`] (the old Nova's leftovers), and [`upgrade`]'s
sequence of them. Each gathers from the regions, decides through
`cutover_core` and carries out through `cutover_cloud`, returning a result
value; printing it is the caller's business.
*/

pub mod plan;
pub mod preflight;
pub mod register;
pub mod retire;
pub mod sync;
pub mod upgrade;
pub mod verify;

use cutover_cloud::{Profile, RegionClient, RetryPolicy};

/// What a step can fail with before or while it changes anything.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operator's input is wrong (the cloud configuration, the
    /// credentials, a region's name, a flag): nothing was changed.
    #[error("{0}")]
    Input(String),
    /// The cloud failed; the source says how.
    #[error("{0}")]
    Cloud(#[source] cutover_cloud::Error),
}

impl Error {
    /// Whether the operator must fix their input (exit status 2 in the CLI):
    /// a flag, the cloud configuration, the credentials, a region's name.
    pub fn is_input(&self) -> bool {
        use cutover_cloud::Error as Cloud;
        match self {
            Error::Input(_) => true,
            Error::Cloud(e) => matches!(e, Cloud::Config(_) | Cloud::Auth { .. } | Cloud::UnknownRegion { .. }),
        }
    }
}

impl From<cutover_cloud::Error> for Error {
    fn from(e: cutover_cloud::Error) -> Error {
        Error::Cloud(e)
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The credentials of `cloud` (`None`: the environment's), as
/// clouds.yaml and `OS_*` give them; an unusable configuration is input.
pub fn profile(cloud: Option<&str>) -> Result<Profile> {
    Profile::resolve(cloud).map_err(|e| Error::Input(e.to_string()))
}

/// A connection to `region`. What the operator must fix (the cloud
/// configuration, the credentials, the region's name) is
/// [`Error::Input`]; `hint` is added to an unknown region's message.
pub async fn connect(profile: &Profile, region: &str, hint: &str) -> Result<RegionClient> {
    use cutover_cloud::Error as Cloud;
    match RegionClient::connect(profile, region, RetryPolicy::default()).await {
        Ok(client) => Ok(client),
        Err(e @ Cloud::UnknownRegion { .. }) => Err(Error::Input(format!("{e}{hint}"))),
        Err(e @ (Cloud::Config(_) | Cloud::Auth { .. })) => Err(Error::Input(e.to_string())),
        Err(e) => Err(Error::Cloud(e)),
    }
}
