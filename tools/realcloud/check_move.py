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
refuse to move a server of zone `nova` there). Volumes move in
check_volumes.py.
"""

import json
import os
import sys
import tempfile
import time

import check_servers as servers
import cutover_check as c

# Each server the check moves, with its strategy.
MOVES = {'check-move': 'snapshot', 'check-redeploy': 'redeploy'}
WITH_FLOATING_IP = 'check-move'


def tidy():
    """Removes what an earlier check left (it may have stopped half-way),
    and refuses a RegionOne holding servers the check did not make: the
    plan takes every server of the old hosts. A RegionOne an earlier
    check upgraded has no Nova left to check with: it needs a reset."""
    if not c.osc('compute', 'service', 'list', check=False):
        sys.exit('cutover-check: RegionOne has no Nova services (an earlier check ran `cutover upgrade` and '
                 'retired them): `tools/realcloud/realcloud reset`, then `realcloud up`')
    for region in ('RegionOne', 'RegionTwo'):
        servers.remove(region)
        for k in c.osc('keypair', 'list', region=region):
            if k['Name'].startswith('cutover-check-'):
                c.osc('keypair', 'delete', k['Name'], region=region, parse=False)
    others = [s['Name'] for s in c.osc('server', 'list', '--all-projects')]
    if others:
        sys.exit('cutover-check: RegionOne holds servers the check did not create (%s): the plan would move '
                 'them too; delete them or `tools/realcloud/realcloud reset`' % ', '.join(others))
    for i in c.osc('image', 'list'):
        if i['Name'].startswith('cutover-check-'):
            c.osc('image', 'delete', i['ID'], parse=False)
    servers.enable_old_hosts()


def expect_clean(migration):
    """Nothing cutover made for the moves is left but the servers."""
    images = c.osc('image', 'list', '--property', 'cutover_migration=%s' % migration)
    c.expect('no snapshot of the migration left (%d)' % len(images), not images)
    copies = [k['Name'] for r in ('RegionOne', 'RegionTwo') for k in c.osc('keypair', 'list', region=r)
              if k['Name'].startswith('cutover-')]
    c.expect('no key pair copy left (%s)' % ', '.join(copies), not copies)
    c.expect_no_grant()



def check(binary):
    work = tempfile.mkdtemp(prefix='cutover-check-')
    plan = os.path.join(work, 'plan.yaml')
    migration = 'check-%d' % time.time()
    moves = [servers.make(name, floating_ip=name == WITH_FLOATING_IP) for name in MOVES]
    rules = ['--strategy=server=%s:%s' % (m['id'], MOVES[m['name']]) for m in moves]

    made = c.cutover(binary, 'plan', *rules, '--migration', migration, '-o', plan, cwd=work)
    shown = json.loads(c.cutover(binary, 'plan', '--show', plan, '-f', 'json', cwd=work).stdout or '[]')
    c.expect('plan written, each server planned with its strategy', made.returncode == 0
             and sorted((r.get('Server'), r.get('Strategy')) for r in shown)
             == sorted((m['id'], MOVES[m['name']]) for m in moves))
    c.expect('plan --check passes', c.cutover(binary, 'plan', '--check', plan, cwd=work).returncode == 0)

    run = c.cutover(binary, 'run', plan, '--poll-max', '5', cwd=work)
    rows = c.status(binary, work, plan)
    c.expect('run ends 0, status says moved (%s)' % ', '.join(
        '%s %s, downtime %s s' % (r['name'], r['result'], r.get('downtime_secs')) for r in rows.values()),
        run.returncode == 0 and [r['result'] for r in rows.values()] == ['moved'] * len(moves))
    for m in moves:
        m['new_id'] = rows.get(m['id'], {}).get('new_id')
        if not m['new_id']:
            continue  # not moved: the run's check above failed
        s = servers.expect_on_port('RegionTwo', m['new_id'], m)
        c.expect('RegionTwo: %s names its source in the metadata' % m['name'],
                 (s.get('properties') or {}).get('cutover_source') == m['id'])
        servers.expect_gone('RegionOne', m['id'])
    for service in [s for s in servers.old_computes() if s['Host'] in {m['host'] for m in moves}]:
        c.expect('old host %s disabled, the reason naming the migration' % service['Host'],
                 service['Status'] == 'disabled' and migration in (service.get('Disabled Reason') or ''))
    expect_clean(migration)

    again = c.cutover(binary, 'run', plan, '--poll-max', '5', cwd=work)
    new = {name: s['ID'] for name, s in servers.named('RegionTwo', MOVES).items()}
    c.expect('a second run ends 0 and changes nothing', again.returncode == 0
             and {k: r.get('new_id') for k, r in c.status(binary, work, plan).items()} == {m['id']: m['new_id']
                                                                                           for m in moves}
             and new == {m['name']: m['new_id'] for m in moves} and not servers.named('RegionOne', MOVES))

    back = c.cutover(binary, 'rollback', plan, '--all', '--poll-max', '5', cwd=work)
    restored = servers.named('RegionOne', MOVES)
    c.expect('rollback ends 0, status says rolled back, both in RegionOne', back.returncode == 0
             and [r['result'] for r in c.status(binary, work, plan).values()] == ['rolled_back'] * len(moves)
             and sorted(restored) == sorted(MOVES))
    for m in moves:
        if m['name'] in restored:
            s = servers.expect_on_port('RegionOne', restored[m['name']]['ID'], m)
            c.expect('RegionOne: the restored %s names its source' % m['name'],
                     (s.get('properties') or {}).get('cutover_restored_from') == m['id'])
        if m['new_id']:
            servers.expect_gone('RegionTwo', m['new_id'])
    expect_clean(migration)
    c.finish(work, tidy)
