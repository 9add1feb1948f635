"""The check's servers: made as their owner would, and looked at after.

Every server the check makes is named `check-*` and belongs to project
`acme` (user `check-owner`), on a port the owner created first; some get
a floating IP, data volumes, a root volume or are stopped. The `expect_*`
functions compare what the `openstack` client shows now with what the
server was: same port (id, MAC, fixed IP, bound to the server's host),
floating IP, volumes with `delete_on_termination`, key, power state.
"""

import time

import cutover_check as c

# Nova shows `delete_on_termination` of an attached volume from 2.79.
VOLUMES_MICROVERSION = '2.79'


def make(name, flavor='gold', floating_ip=False, data_volumes=0, root_volume=None, stopped=False):
    """A server of acme as its owner makes it: a port (and a floating IP
    on it), the server booted on the port with the owner's key, metadata,
    a tag and a description, in zone `az-check` (RegionTwo has no other;
    see check_move.py), from a root volume of 1 GiB when
    `root_volume` is `True` or `False` (its `delete_on_termination`), its
    data volumes attached, stopped if asked. Returns what it was."""
    port = c.osc(*c.OWNER, 'port', 'create', '--network', 'private', '%s-port' % name)
    fip = None
    if floating_ip:
        fip = c.osc(*c.OWNER, 'floating', 'ip', 'create', '--port', port['id'], '--description', name, 'public')
    boot = ['--image', 'cirros']
    if root_volume is not None:
        image = c.osc('image', 'show', 'cirros')['id']
        boot = ['--block-device', 'uuid=%s,source_type=image,destination_type=volume,volume_size=1,boot_index=0,'
                'delete_on_termination=%s' % (image, str(root_volume).lower())]
    server = c.osc(*c.OWNER, '--os-compute-api-version', '2.52', 'server', 'create', '--flavor', flavor, *boot,
                   '--availability-zone', c.AGGREGATE_ZONE, '--port', port['id'], '--key-name', 'check-owner-key',
                   '--property', 'role=check', '--tag', 'check', '--description', 'moved by cutover-check',
                   '--wait', name)
    c.expect('%s %s ACTIVE in RegionOne on port %s' % (name, server['id'], port['id']),
             server['status'] == 'ACTIVE')
    for n in range(data_volumes):
        volume = c.osc(*c.OWNER, 'volume', 'create', '--size', '1', '%s-data%d' % (name, n))
        wait_volume(volume['id'], 'available')
        c.osc(*c.OWNER, 'server', 'add', 'volume', server['id'], volume['id'], parse=False)
        wait_volume(volume['id'], 'in-use')
    if stopped:
        c.osc(*c.OWNER, 'server', 'stop', server['id'], parse=False)
        wait_status('RegionOne', server['id'], 'SHUTOFF')
    host = c.osc('server', 'show', server['id'])['OS-EXT-SRV-ATTR:host']
    return {'name': name, 'id': server['id'], 'host': host, 'port': port, 'fip': fip,
            'volumes': volumes('RegionOne', server['id']), 'status': 'SHUTOFF' if stopped else 'ACTIVE'}


def wait_volume(volume_id, status, timeout=120):
    deadline = time.time() + timeout
    while (c.osc('volume', 'show', volume_id, check=False) or {}).get('status') != status:
        if time.time() > deadline:
            c.expect('volume %s %s within %d s' % (volume_id, status, timeout), False)
            return
        time.sleep(2)


def wait_status(region, server_id, status, timeout=120):
    deadline = time.time() + timeout
    while (c.osc('server', 'show', server_id, region=region, check=False) or {}).get('status') != status:
        if time.time() > deadline:
            c.expect('%s: server %s %s within %d s' % (region, server_id, status, timeout), False)
            return
        time.sleep(2)


def volumes(region, server_id):
    """The server's volumes as Nova shows them: id to delete_on_termination."""
    found = c.osc('--os-compute-api-version', VOLUMES_MICROVERSION, 'server', 'volume', 'list', server_id,
                  region=region, check=False) or []
    return {v['Volume ID']: v['Delete On Termination?'] for v in found}


def expect_on_port(region, server_id, made):
    """The server in region is as it was: its status, name, project,
    flavor, metadata, tag, description and key, on the same port (id, MAC,
    fixed IP, bound to its host), the floating IP on the port, the same
    volumes with the same `delete_on_termination`. Returns Nova's view."""
    name, port, fip = made['name'], made['port'], made['fip']
    status = made.get('status', 'ACTIVE')
    s = c.osc('--os-compute-api-version', '2.52', 'server', 'show', server_id, region=region, check=False) or {}
    host = s.get('OS-EXT-SRV-ATTR:host')
    c.expect('%s: %s %s %s' % (region, name, server_id, status), s.get('name') == name and s.get('status') == status)
    ip = port['fixed_ips'][0]['ip_address']
    c.expect('%s: %s in project acme, its flavor, metadata, tag, description' % (region, name),
             s.get('project_id') == port['project_id'] and bool((s.get('flavor') or {}).get('id'))
             and (s.get('properties') or {}).get('role') == 'check' and s.get('tags') == ['check']
             and s.get('description') == 'moved by cutover-check')
    c.expect('%s: %s keeps key_name check-owner-key (%s)' % (region, name, s.get('key_name')),
             s.get('key_name') == 'check-owner-key')
    c.expect('%s: Nova sees fixed IP %s on %s' % (region, ip, name), sees_address(region, server_id, ip, s))
    now = c.osc('port', 'show', port['id'], check=False) or {}
    c.expect('port %s on %s, bound to its host %s' % (port['id'], name, host),
             now.get('device_id') == server_id and now.get('binding_host_id') == host
             and (now.get('device_owner') or '').startswith('compute:'))
    c.expect('%s: same MAC %s and fixed IP %s' % (name, port['mac_address'], ip),
             now.get('mac_address') == port['mac_address'] and now.get('fixed_ips') == port['fixed_ips'])
    if fip:
        f = c.osc('floating', 'ip', 'show', fip['id'], check=False) or {}
        c.expect('floating IP %s still on the port' % fip['floating_ip_address'],
                 f.get('port_id') == port['id'] and f.get('fixed_ip_address') == ip)
    if made.get('volumes'):
        now_volumes = volumes(region, server_id)
        c.expect('%s: %s has its volumes, delete_on_termination as before (%s)' % (region, name, now_volumes),
                 now_volumes == made['volumes'])
    return s


def sees_address(region, server_id, ip, shown, timeout=45):
    """Whether Nova shows ip among the server's addresses, asking again
    for up to `timeout` s: Neutron tells only RegionOne's Nova of port
    changes, so RegionTwo's learns of a port bound again (a redeploy's
    port, unbound by its source's delete) from its periodic refresh of
    the server's network cache, every 15 s server by server."""
    deadline = time.time() + timeout
    while ip not in str(shown.get('addresses')):
        if time.time() > deadline:
            return False
        time.sleep(3)
        shown = c.osc('server', 'show', server_id, region=region, check=False) or {}
    return True


def expect_gone(region, server_id):
    c.expect('%s: server %s gone' % (region, server_id),
             c.osc('server', 'show', server_id, region=region, check=False) is None)


def named(region, names=None):
    """The check's servers in region (those of `names`, else every
    `check-*` one), by name."""
    found = c.osc('server', 'list', '--all-projects', '--long', '--name', '^check-', region=region,
                  check=False) or []
    return {s['Name']: s for s in found if names is None or s['Name'] in names}


def remove(region='RegionOne'):
    """Deletes the check's servers in region, then their ports, floating
    IPs and data volumes (a root volume Nova keeps, too)."""
    for s in named(region).values():
        # An API worker busy past its time closes the connection now and
        # then (seen on RegionTwo's Nova right after a whole upgrade).
        for _ in range(2):
            if c.osc('server', 'delete', '--wait', s['ID'], region=region, parse=False, check=False):
                break
            time.sleep(5)
            # The closed connection may have come after the delete went.
            if c.osc('server', 'show', s['ID'], region=region, check=False) is None:
                break
        else:
            c.osc('server', 'delete', '--wait', s['ID'], region=region, parse=False)
    for f in c.osc('floating', 'ip', 'list', '--long'):
        if (f.get('Description') or '').startswith('check-'):
            c.osc('floating', 'ip', 'delete', f['ID'], parse=False)
    for p in c.osc('port', 'list'):
        if p['Name'].startswith('check-') and p['Name'].endswith('-port'):
            c.osc('port', 'delete', p['ID'], parse=False)
    for v in c.osc('volume', 'list', '--project', 'acme', check=False) or []:
        if v['Name'].startswith('check-') or (v['Status'] == 'available' and not v['Name']):
            c.osc('volume', 'delete', v['ID'], parse=False, check=False)


def old_computes():
    """RegionOne's nova-compute services."""
    return [s for s in c.osc('compute', 'service', 'list', '--long') if s['Binary'] == 'nova-compute']


def enable_old_hosts():
    """Enables RegionOne's computes again: a run disables the hosts of its
    plan, and leaves them so when their servers did not move."""
    for service in old_computes():
        if service['Status'] != 'enabled':
            c.osc('compute', 'service', 'set', '--enable', service['Host'], 'nova-compute', parse=False)
