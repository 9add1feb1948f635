/*!
Glance v2 images: the listing (all pages) and one image by id, which finds
an image a listing does not show (private to another project) or says 404;
the images carrying a property (cutover's snapshots, by `cutover_migration`)
with their size and checksum, and delete.
*/

use cutover_core::id::ImageId;
use cutover_core::model::{Image, ImageStatus};
use openstack_sdk::types::ServiceType;
use serde::Deserialize;

use crate::call::Call;
use crate::error::Result;
use crate::region::{segment, RegionClient};

#[derive(Deserialize)]
struct WireImage {
    id: String,
    #[serde(default)]
    name: Option<String>,
    status: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    /// A property, at the top level of a Glance v2 image.
    #[serde(default)]
    os_type: Option<String>,
}

/// An image as a move watches it: whole once `active` with size and checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageState {
    pub id: ImageId,
    pub name: Option<String>,
    pub status: ImageStatus,
    pub size: Option<u64>,
    pub checksum: Option<String>,
}

#[derive(Deserialize)]
struct WireImageState {
    id: String,
    #[serde(default)]
    name: Option<String>,
    status: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    checksum: Option<String>,
}

impl RegionClient {
    fn image_of(&self, i: WireImage) -> Result<Image> {
        Ok(Image {
            status: self.parse_status("image", &i.id, &i.status)?,
            id: i.id.into(),
            name: i.name,
            owner: i.owner,
            visibility: i.visibility,
            size: i.size,
            os_type: i.os_type,
        })
    }

    /// The images Glance lists to this user (an admin: all of them).
    pub async fn images(&self) -> Result<Vec<Image>> {
        let wire: Vec<WireImage> = self.list(Call::get(ServiceType::Image, "images").key("images")).await?;
        wire.into_iter().map(|i| self.image_of(i)).collect()
    }

    /// One image; `None` when Glance answers 404.
    pub async fn image(&self, id: &str) -> Result<Option<Image>> {
        match self.query::<WireImage, _>(Call::get(ServiceType::Image, format!("images/{}", segment(id)))).await {
            Ok(image) => self.image_of(image).map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The images whose property `key` is `value` (Glance filters on any
    /// custom property), every page.
    pub async fn images_with_property(&self, key: &str, value: &str) -> Result<Vec<ImageState>> {
        let call = Call::get(ServiceType::Image, "images").query(key, value).query("limit", 1000).key("images");
        let wire: Vec<WireImageState> = self.list(call).await?;
        wire.into_iter()
            .map(|i| {
                Ok(ImageState {
                    status: self.parse_status("image", &i.id, &i.status)?,
                    id: i.id.into(),
                    name: i.name,
                    size: i.size,
                    checksum: i.checksum,
                })
            })
            .collect()
    }

    /// Deletes an image (404 when already gone).
    pub async fn delete_image(&self, id: &str) -> Result<()> {
        self.send(Call::delete(ServiceType::Image, format!("images/{}", segment(id)))).await
    }
}
