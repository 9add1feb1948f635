"""The move part of cutover-check: two servers moved, run again, rolled back.

Two servers of project `acme` (user `check-owner`, flavor `gold`, the
owner's keypair, metadata, a tag and a description), each on a port the
owner created: `check-move`, with a floating IP on its port, planned with
the snapshot strategy, and `check-redeploy` with the redeploy strategy
(its source is deleted after the rebuild took the port: Nova then unbinds
the port, and cutover must give it back). After `plan`, `plan --check` and
`run`, the `openstack` client must find in RegionTwo each server, ACTIVE,
on the same port (same id, MAC, fixed IP, bound to RegionTwo's compute),
the floating IP still on its port; the RegionOne servers gone; no
snapshot, key pair copy or `cutover` role assignment left. A second `run`
must find nothing to do, and `rollback --all` must bring both back to
RegionOne on the same ports, with the same floating IP.

Both servers are booted in zone `az-check`, so on `r1-compute` (RegionOne's
other compute, `r1-compute2`, is in the default zone `nova`, which RegionTwo
lacks: `r2-compute` is in `az-check` by the host map; cutover would rightly
refuse to move a server of zone `nova` there). No data volume yet
(realcloud's Cinder is shared now, so a volume could move with its server).
"""

import json
import os
import shutil
import sys
import tempfile
import time

import cutover_check as c

# Each server the check moves, with its strategy.
MOVES = {'check-move': 'snapshot', 'check-redeploy': 'redeploy'}
WITH_FLOATING_IP = 'check-move'


def tidy():
    """Removes what an earlier check left (it may have stopped half-way),
    and refuses a RegionOne holding servers the check did not make: the
    plan takes every server of the old host."""
    for region in ('RegionOne', 'RegionTwo'):
        for s in named(region).values():
            c.osc('server', 'delete', '--wait', s['ID'], region=region, parse=False)
        for k in c.osc('keypair', 'list', region=region):
            if k['Name'].startswith('cutover-check-'):
                c.osc('keypair', 'delete', k['Name'], region=region, parse=False)
    others = [s['Name'] for s in c.osc('server', 'list', '--all-projects')]
    if others:
        sys.exit('cutover-check: RegionOne holds servers the check did not create (%s): the plan would move '
                 'them too; delete them or `tools/realcloud/realcloud reset`' % ', '.join(others))
    for f in c.osc('floating', 'ip', 'list', '--long'):
        if f.get('Description') == WITH_FLOATING_IP:
            c.osc('floating', 'ip', 'delete', f['ID'], parse=False)
    for p in c.osc('port', 'list'):
        if p['Name'] in ['%s-port' % name for name in MOVES]:
            c.osc('port', 'delete', p['ID'], parse=False)
    for i in c.osc('image', 'list'):
        if i['Name'].startswith('cutover-check-'):
            c.osc('image', 'delete', i['ID'], parse=False)
    for host, service in old_computes().items():
        if service['Status'] != 'enabled':
            c.osc('compute', 'service', 'set', '--enable', host, 'nova-compute', parse=False)


def old_computes():
    """RegionOne's nova-compute services by host (the run disables every
    host of the plan, also one that held none of the check's servers)."""
    return {s['Host']: s for s in c.osc('compute', 'service', 'list', '--long') if s['Binary'] == 'nova-compute'}


def boot(name):
    """A server to move, as its owner makes it: port, floating IP, boot."""
    port = c.osc(*c.OWNER, 'port', 'create', '--network', 'private', '%s-port' % name)
    fip = None
    if name == WITH_FLOATING_IP:
        fip = c.osc(*c.OWNER, 'floating', 'ip', 'create', '--port', port['id'], '--description', name, 'public')
    server = c.osc(*c.OWNER, '--os-compute-api-version', '2.52', 'server', 'create', '--flavor', 'gold',
                   '--image', 'cirros', '--port', port['id'], '--key-name', 'check-owner-key',
                   '--availability-zone', c.AGGREGATE_ZONE,
                   '--property', 'role=check', '--tag', 'check', '--description', 'moved by cutover-check',
                   '--wait', name)
    host = (c.osc('server', 'show', server['id']) or {}).get('OS-EXT-SRV-ATTR:host')
    c.expect('%s %s ACTIVE in RegionOne on %s, port %s' % (name, server['id'], host, port['id']),
             server['status'] == 'ACTIVE')
    return {'name': name, 'id': server['id'], 'port': port, 'fip': fip, 'host': host}


def expect_on_port(region, server_id, moved):
    """The server in region is ACTIVE on the same port, IP, MAC, floating IP."""
    name, port, fip = moved['name'], moved['port'], moved['fip']
    s = c.osc('--os-compute-api-version', '2.52', 'server', 'show', server_id, region=region, check=False) or {}
    host = s.get('OS-EXT-SRV-ATTR:host')
    c.expect('%s: %s %s ACTIVE' % (region, name, server_id), s.get('name') == name and s.get('status') == 'ACTIVE')
    ip = port['fixed_ips'][0]['ip_address']
    c.expect('%s: %s in project acme, flavor gold, its metadata, tag, description' % (region, name),
             s.get('project_id') == port['project_id'] and (s.get('flavor') or {}).get('id') == 'gold'
             and (s.get('properties') or {}).get('role') == 'check' and s.get('tags') == ['check']
             and s.get('description') == 'moved by cutover-check')
    c.expect('%s: Nova sees fixed IP %s on %s' % (region, ip, name), ip in str(s.get('addresses')))
    now = c.osc('port', 'show', port['id'], check=False) or {}
    c.expect('port %s on %s, bound to its host %s' % (port['id'], name, host),
             now.get('device_id') == server_id and now.get('binding_host_id') == host
             and (now.get('device_owner') or '').startswith('compute:') and now.get('status') == 'ACTIVE')
    c.expect('%s: same MAC %s and fixed IP %s' % (name, port['mac_address'], ip),
             now.get('mac_address') == port['mac_address'] and now.get('fixed_ips') == port['fixed_ips'])
    if fip:
        f = c.osc('floating', 'ip', 'show', fip['id'], check=False) or {}
        c.expect('floating IP %s still on the port' % fip['floating_ip_address'],
                 f.get('port_id') == port['id'] and f.get('fixed_ip_address') == ip)
    return s


def expect_gone(region, server_id):
    c.expect('%s: server %s gone' % (region, server_id),
             c.osc('server', 'show', server_id, region=region, check=False) is None)


def named(region):
    """The check's servers in region, by name."""
    found = c.osc('server', 'list', '--all-projects', '--long', '--name', '^check-', region=region)
    return {s['Name']: s for s in found if s['Name'] in MOVES}


def expect_clean(migration):
    """Nothing cutover made for the moves is left but the servers."""
    images = c.osc('image', 'list', '--property', 'cutover_migration=%s' % migration)
    c.expect('no snapshot of the migration left (%d)' % len(images), not images)
    copies = [k['Name'] for r in ('RegionOne', 'RegionTwo') for k in c.osc('keypair', 'list', region=r)
              if k['Name'].startswith('cutover-')]
    c.expect('no key pair copy left (%s)' % ', '.join(copies), not copies)
    c.expect_no_grant()


def status(binary, work, plan):
    """`cutover status`: each server's row by its old id."""
    out = c.cutover(binary, 'status', plan, '-f', 'json', cwd=work)
    return {row['old_id']: row for row in json.loads(out.stdout or '{}').get('servers') or []}


def check(binary):
    work = tempfile.mkdtemp(prefix='cutover-check-')
    plan = os.path.join(work, 'plan.yaml')
    migration = 'check-%d' % time.time()
    moves = [boot(name) for name in MOVES]
    rules = ['--strategy=server=%s:%s' % (m['id'], MOVES[m['name']]) for m in moves]

    made = c.cutover(binary, 'plan', *rules, '--migration', migration, '-o', plan, cwd=work)
    shown = json.loads(c.cutover(binary, 'plan', '--show', plan, '-f', 'json', cwd=work).stdout or '[]')
    c.expect('plan written, each server planned with its strategy', made.returncode == 0
             and sorted((r.get('Server'), r.get('Strategy')) for r in shown)
             == sorted((m['id'], MOVES[m['name']]) for m in moves))
    c.expect('plan --check passes', c.cutover(binary, 'plan', '--check', plan, cwd=work).returncode == 0)

    run = c.cutover(binary, 'run', plan, '--poll-max', '5', cwd=work)
    rows = status(binary, work, plan)
    c.expect('run ends 0, status says moved (%s)' % ', '.join(
        '%s %s, downtime %s s' % (r['name'], r['result'], r.get('downtime_secs')) for r in rows.values()),
        run.returncode == 0 and [r['result'] for r in rows.values()] == ['moved'] * len(moves))
    for m in moves:
        m['new_id'] = rows.get(m['id'], {}).get('new_id')
        if not m['new_id']:
            continue  # not moved: the run's check above failed
        s = expect_on_port('RegionTwo', m['new_id'], m)
        props = s.get('properties') or {}
        c.expect('RegionTwo: %s booted with a copy of the owner key, its name kept in the metadata' % m['name'],
                 s.get('key_name') is not None and props.get('cutover_key_name') == 'check-owner-key'
                 and props.get('cutover_source') == m['id'])
        expect_gone('RegionOne', m['id'])
    services = old_computes()
    for host in sorted({m['host'] for m in moves}):
        service = services.get(host) or {}
        c.expect('old host %s disabled, the reason naming the migration' % host,
                 service.get('Status') == 'disabled' and migration in (service.get('Disabled Reason') or ''))
    expect_clean(migration)

    again = c.cutover(binary, 'run', plan, '--poll-max', '5', cwd=work)
    new = {name: s['ID'] for name, s in named('RegionTwo').items()}
    c.expect('a second run ends 0 and changes nothing', again.returncode == 0
             and {k: r.get('new_id') for k, r in status(binary, work, plan).items()} == {m['id']: m['new_id']
                                                                                           for m in moves}
             and new == {m['name']: m['new_id'] for m in moves} and not named('RegionOne'))

    back = c.cutover(binary, 'rollback', plan, '--all', '--poll-max', '5', cwd=work)
    restored = named('RegionOne')
    c.expect('rollback ends 0, status says rolled back, both in RegionOne', back.returncode == 0
             and [r['result'] for r in status(binary, work, plan).values()] == ['rolled_back'] * len(moves)
             and sorted(restored) == sorted(MOVES))
    for m in moves:
        if m['name'] in restored:
            s = expect_on_port('RegionOne', restored[m['name']]['ID'], m)
            c.expect('RegionOne: the restored %s names its source' % m['name'],
                     (s.get('properties') or {}).get('cutover_restored_from') == m['id'])
        if m['new_id']:
            expect_gone('RegionTwo', m['new_id'])
    expect_clean(migration)
    if not c.failures:
        tidy()
        shutil.rmtree(work)
    else:
        print('cutover-check: the plan and its journal are in %s' % work)
