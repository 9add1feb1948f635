/*!
Statuses parsed at the edge: each answer's `status` becomes its enum of
`cutover_core::model::status` here, once, and a value the APIs do not
document is an [`Error::UnknownStatus`] naming the resource, never a guess.
*/

use std::str::FromStr;

use cutover_core::model::UnknownStatus;

use crate::error::{Error, Result};
use crate::region::RegionClient;

impl RegionClient {
    /// `text`, the `status` of `resource` `id` in this region's answer.
    pub(crate) fn parse_status<T>(&self, resource: &'static str, id: &str, text: &str) -> Result<T>
    where
        T: FromStr<Err = UnknownStatus>,
    {
        text.parse().map_err(|status| Error::UnknownStatus {
            region: self.region().to_string(),
            resource,
            id: id.to_string(),
            status,
        })
    }
}
