"""The move part of cutover-check: one server moved with the snapshot strategy.

A server of project `acme` (user `check-owner`, flavor `gold`, the owner's
keypair, metadata, a tag and a description) on a port the owner created,
with a floating IP on that port, is planned (`--strategy
server=ID:snapshot`), checked (`plan --check`), run, and then checked with
the `openstack` client: in RegionTwo a server of the same name, ACTIVE, on
the same port (same id, MAC, fixed IP, bound to RegionTwo's compute), the
floating IP still on that port; the RegionOne server gone; no snapshot,
key pair copy or `cutover` role assignment left. A second `run` must find
nothing to do, and `rollback --all` must bring the server back to
RegionOne on the same port, with the same floating IP.

No data volume: realcloud's Cinder is one per region (a volume of one
region cannot be attached in the other), so a volume cannot move there.
"""

import json
import os
import shutil
import sys
import tempfile
import time

import cutover_check as c

NAME = 'check-move'
PORT = 'check-move-port'
OLD_HOST = 'r1-compute'


def tidy():
    """Removes what an earlier check left (it may have stopped half-way),
    and refuses a RegionOne holding servers the check did not make: the
    plan takes every server of the old host."""
    for region in ('RegionOne', 'RegionTwo'):
        for s in named(region):
            c.osc('server', 'delete', '--wait', s['ID'], region=region, parse=False)
        for k in c.osc('keypair', 'list', region=region):
            if k['Name'].startswith('cutover-check-'):
                c.osc('keypair', 'delete', k['Name'], region=region, parse=False)
    others = [s['Name'] for s in c.osc('server', 'list', '--all-projects')]
    if others:
        sys.exit('cutover-check: RegionOne holds servers the check did not create (%s): the plan would move '
                 'them too; delete them or `tools/realcloud/realcloud reset`' % ', '.join(others))
    for f in c.osc('floating', 'ip', 'list', '--long'):
        if f.get('Description') == NAME:
            c.osc('floating', 'ip', 'delete', f['ID'], parse=False)
    for p in c.osc('port', 'list', '--name', PORT):
        c.osc('port', 'delete', p['ID'], parse=False)
    for i in c.osc('image', 'list'):
        if i['Name'].startswith('cutover-check-'):
            c.osc('image', 'delete', i['ID'], parse=False)
    service = old_compute()
    if service and service['Status'] != 'enabled':
        c.osc('compute', 'service', 'set', '--enable', OLD_HOST, 'nova-compute', parse=False)


def old_compute():
    found = [s for s in c.osc('compute', 'service', 'list', '--long')
             if s['Host'] == OLD_HOST and s['Binary'] == 'nova-compute']
    return found[0] if found else None


def boot():
    """The server to move, as its owner makes it: port, floating IP, boot."""
    port = c.osc(*c.OWNER, 'port', 'create', '--network', 'private', PORT)
    fip = c.osc(*c.OWNER, 'floating', 'ip', 'create', '--port', port['id'], '--description', NAME, 'public')
    server = c.osc(*c.OWNER, '--os-compute-api-version', '2.52', 'server', 'create', '--flavor', 'gold',
                   '--image', 'cirros', '--port', port['id'], '--key-name', 'check-owner-key',
                   '--property', 'role=check', '--tag', 'check', '--description', 'moved by cutover-check',
                   '--wait', NAME)
    c.expect('server %s ACTIVE in RegionOne on port %s' % (server['id'], port['id']), server['status'] == 'ACTIVE')
    return server, port, fip


def expect_on_port(region, server_id, port, fip):
    """The server in region is ACTIVE on the same port, IP, MAC, floating IP."""
    s = c.osc('--os-compute-api-version', '2.52', 'server', 'show', server_id, region=region, check=False) or {}
    host = s.get('OS-EXT-SRV-ATTR:host')
    c.expect('%s: %s named %s, ACTIVE' % (region, server_id, NAME), s.get('name') == NAME
             and s.get('status') == 'ACTIVE')
    ip = port['fixed_ips'][0]['ip_address']
    c.expect('%s: in project acme, flavor gold, its metadata, tag, description' % region,
             s.get('project_id') == port['project_id'] and (s.get('flavor') or {}).get('id') == 'gold'
             and (s.get('properties') or {}).get('role') == 'check' and s.get('tags') == ['check']
             and s.get('description') == 'moved by cutover-check')
    c.expect('%s: Nova sees fixed IP %s' % (region, ip), ip in str(s.get('addresses')))
    now = c.osc('port', 'show', port['id'], check=False) or {}
    c.expect('port %s on the server, bound to its host %s' % (port['id'], host),
             now.get('device_id') == server_id and now.get('binding_host_id') == host
             and (now.get('device_owner') or '').startswith('compute:'))
    c.expect('same MAC %s and fixed IP %s' % (port['mac_address'], ip),
             now.get('mac_address') == port['mac_address'] and now.get('fixed_ips') == port['fixed_ips'])
    f = c.osc('floating', 'ip', 'show', fip['id'], check=False) or {}
    c.expect('floating IP %s still on the port' % fip['floating_ip_address'],
             f.get('port_id') == port['id'] and f.get('fixed_ip_address') == ip)
    return s


def expect_gone(region, server_id):
    c.expect('%s: server %s gone' % (region, server_id),
             c.osc('server', 'show', server_id, region=region, check=False) is None)


def named(region):
    return c.osc('server', 'list', '--all-projects', '--long', '--name', '^%s$' % NAME, region=region)


def expect_clean(migration):
    """Nothing cutover made for the move is left but the servers."""
    images = c.osc('image', 'list', '--property', 'cutover_migration=%s' % migration)
    c.expect('no snapshot of the migration left (%d)' % len(images), not images)
    copies = [k['Name'] for r in ('RegionOne', 'RegionTwo') for k in c.osc('keypair', 'list', region=r)
              if k['Name'].startswith('cutover-')]
    c.expect('no key pair copy left (%s)' % ', '.join(copies), not copies)
    c.expect_no_grant()


def status(binary, work, plan):
    out = c.cutover(binary, 'status', plan, '-f', 'json', cwd=work)
    rows = json.loads(out.stdout or '{}').get('servers') or [{}]
    return rows[0]


def check(binary):
    work = tempfile.mkdtemp(prefix='cutover-check-')
    plan = os.path.join(work, 'plan.yaml')
    migration = 'check-%d' % time.time()
    server, port, fip = boot()
    old_id = server['id']

    made = c.cutover(binary, 'plan', '--strategy', 'server=%s:snapshot' % old_id, '--migration', migration,
                     '-o', plan, cwd=work)
    shown = json.loads(c.cutover(binary, 'plan', '--show', plan, '-f', 'json', cwd=work).stdout or '[]')
    c.expect('plan written, the server planned with strategy snapshot',
             made.returncode == 0 and [(r.get('Server'), r.get('Strategy')) for r in shown] == [(old_id, 'snapshot')])
    c.expect('plan --check passes', c.cutover(binary, 'plan', '--check', plan, cwd=work).returncode == 0)

    run = c.cutover(binary, 'run', plan, '--poll-max', '5', cwd=work)
    moved = status(binary, work, plan)
    new_id = moved.get('new_id')
    c.expect('run ends 0, status says moved (%s, downtime %s s)' % (moved.get('result'), moved.get('downtime_secs')),
             run.returncode == 0 and moved.get('result') == 'moved' and new_id)
    s = expect_on_port('RegionTwo', new_id, port, fip)
    props = s.get('properties') or {}
    c.expect('RegionTwo: booted with a copy of the owner key, its name kept in the metadata',
             s.get('key_name') is not None and props.get('cutover_key_name') == 'check-owner-key'
             and props.get('cutover_source') == old_id)
    expect_gone('RegionOne', old_id)
    service = old_compute() or {}
    c.expect('old host %s disabled, the reason naming the migration' % OLD_HOST,
             service.get('Status') == 'disabled' and migration in (service.get('Disabled Reason') or ''))
    expect_clean(migration)

    again = c.cutover(binary, 'run', plan, '--poll-max', '5', cwd=work)
    c.expect('a second run ends 0 and changes nothing',
             again.returncode == 0 and status(binary, work, plan).get('new_id') == new_id
             and [r['ID'] for r in named('RegionTwo')] == [new_id] and not named('RegionOne'))

    back = c.cutover(binary, 'rollback', plan, '--all', '--poll-max', '5', cwd=work)
    restored = named('RegionOne')
    restored_id = restored[0]['ID'] if len(restored) == 1 else None
    c.expect('rollback ends 0, status says rolled back, one %s in RegionOne' % NAME,
             back.returncode == 0 and status(binary, work, plan).get('result') == 'rolled_back' and restored_id)
    if restored_id:
        s = expect_on_port('RegionOne', restored_id, port, fip)
        c.expect('RegionOne: the restored server names its source',
                 (s.get('properties') or {}).get('cutover_restored_from') == old_id)
    expect_gone('RegionTwo', new_id)
    expect_clean(migration)
    if not c.failures:
        tidy()
        shutil.rmtree(work)
    else:
        print('cutover-check: the plan and its journal are in %s' % work)
