"""Nova virt driver for realcloud: FakeDriver with a snapshot that uploads.

Registered as `compute_driver = cutover_fake.SnapshotFakeDriver`: Nova
prefixes `nova.virt.`, so `realcloud up` drops a one-line shim module
`nova/virt/cutover_fake.py` into the venv that re-exports this class.

Differences from nova.virt.fake.FakeDriver:
- snapshot() uploads a few bytes through Glance (as a real hypervisor
  uploads the disk), so the image from createImage goes `active` with a
  size and checksum instead of staying `queued` forever;
- the compute node UUID is stable (uuid5 of the host name) instead of a
  random sentinel per process, so a compute service can be restarted.
"""
import io
import uuid

from nova.compute import task_states
from nova import exception
from nova.image import glance
from nova.virt import fake

_NS = uuid.UUID('5d1c6b3e-8c55-4c3b-9b0e-6f2f3c7a0e11')


class SnapshotFakeDriver(fake.FakeDriver):

    def _node_uuid(self, nodename):
        return str(uuid.uuid5(_NS, nodename))

    def get_available_resource(self, nodename):
        resources = super().get_available_resource(nodename)
        resources['uuid'] = self._node_uuid(nodename)
        return resources

    def get_nodenames_by_uuid(self, refresh=False):
        return {self._node_uuid(n): n for n in self.get_available_nodes()}

    def get_host_uptime(self):
        # The base class raises NotImplementedError (os-hypervisors uptime).
        return (' 08:32:11 up 93 days, 18:25, 12 users,  load average:'
                ' 0.20, 0.12, 0.14')

    def snapshot(self, context, instance, image_id, update_task_state):
        if instance.uuid not in self.instances:
            raise exception.InstanceNotRunning(instance_id=instance.uuid)
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        image_api = glance.API()
        meta = image_api.get(context, image_id)
        data = ('cutover realcloud snapshot of %s\n' % instance.uuid).encode()
        metadata = {
            'disk_format': meta.get('disk_format') or 'raw',
            'container_format': meta.get('container_format') or 'bare',
        }
        update_task_state(task_state=task_states.IMAGE_UPLOADING,
                          expected_state=task_states.IMAGE_PENDING_UPLOAD)
        image_api.update(context, image_id, metadata, io.BytesIO(data),
                         purge_props=False)
