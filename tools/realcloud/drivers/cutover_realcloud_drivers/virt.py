"""Nova virt driver for realcloud: FakeDriver with a snapshot that uploads.

Registered as `compute_driver = cutover_fake.SnapshotFakeDriver`: Nova
prefixes `nova.virt.`, so `realcloud up` drops a one-line shim module
`nova/virt/cutover_fake.py` into the venv that re-exports this class.

Differences from nova.virt.fake.FakeDriver:
- snapshot() uploads a few bytes through Glance (as a real hypervisor
  uploads the disk), so the image from createImage goes `active` with a
  size and checksum instead of staying `queued` forever;
- the compute node UUID is the host's persisted node identity
  ($state_path/compute_id, written on first start, as for real drivers)
  instead of a random sentinel per process, so a compute service can be
  restarted.
"""
import io

from nova.compute import task_states
from nova import exception
from nova.image import glance
from nova.virt import fake
import nova.virt.node


class SnapshotFakeDriver(fake.FakeDriver):

    def get_available_resource(self, nodename):
        resources = super().get_available_resource(nodename)
        resources['uuid'] = nova.virt.node.get_local_node_uuid()
        return resources

    def get_nodenames_by_uuid(self, refresh=False):
        return {nova.virt.node.get_local_node_uuid():
                self.get_available_nodes()[0]}

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
