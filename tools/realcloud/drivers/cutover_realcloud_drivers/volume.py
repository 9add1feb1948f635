"""A Cinder volume driver for realcloud: Cinder's own fake LVM driver (it
logs instead of running LVM), which can also make a volume from an image.

The fake driver has no block device to write an image to, so a volume
made from an image (a boot-from-volume server's root) ended `error`. Here
the image is fetched and checked as Cinder always does, and its bytes are
not written anywhere: the volume ends `available`, bootable, with the
image's metadata, as on a real backend.
"""

from oslo_log import log as logging

from cinder.tests import fake_driver

LOG = logging.getLogger(__name__)


class ImageFakeVolumeDriver(fake_driver.FakeLoggingVolumeDriver):
    def copy_image_to_volume(self, context, volume, image_service, image_id, *args, **kwargs):
        LOG.info('realcloud: image %s "copied" to volume %s (nothing written)', image_id, volume.id)
