"""The last part of cutover-check: the whole procedure, `cutover upgrade`.

Servers of every strategy: `check-up-snap` (snapshot, a floating IP and a
data volume), `check-up-bfv` (volume: a root volume Nova keeps and a data
volume), `check-up-redeploy` (redeploy) and `check-up-off` (snapshot,
stopped). `cutover upgrade` writes the plan and stops; `--approve` with
`tools/realcloud/redeploy-host` as the hook moves them, hands each emptied
RegionOne host off (the hook restarts its nova-compute as one of
RegionTwo), waits for it to join, and retires RegionOne's Nova services;
`cutover retire --yes --endpoints` then deletes its compute endpoints.
This leaves RegionOne without Nova: the check runs it last, and a new
check needs `realcloud reset` first.
"""

import os
import tempfile
import time

import check_servers as servers
import cutover_check as c

HOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'redeploy-host')


def nova_services(region):
    """The region's Nova services, or None when its compute API is not in
    the catalog any more."""
    return c.osc('compute', 'service', 'list', region=region, check=False)


def check(binary):
    servers.enable_old_hosts()  # an earlier part that failed may have left them disabled
    work = tempfile.mkdtemp(prefix='cutover-check-')
    plan = os.path.join(work, 'plan.yaml')
    made = {
        'snapshot': servers.make('check-up-snap', floating_ip=True, data_volumes=1),
        'volume': servers.make('check-up-bfv', root_volume=False, data_volumes=1),
        'redeploy': servers.make('check-up-redeploy'),
        'snapshot-stopped': servers.make('check-up-off', stopped=True),
    }
    old_hosts = sorted(s['Host'] for s in servers.old_computes())
    rules = ['--strategy=server=%s:%s' % (m['id'], strategy.split('-')[0]) for strategy, m in made.items()]
    migration = 'check-upgrade-%d' % time.time()
    first = c.cutover(binary, 'upgrade', '--plan', plan, '--migration', migration, *rules, cwd=work)
    c.expect('upgrade without --approve writes the plan and stops, RegionOne untouched',
             first.returncode == 0 and os.path.exists(plan)
             and sorted(servers.named('RegionOne')) == sorted(m['name'] for m in made.values()))
    approved = c.cutover(binary, 'upgrade', '--plan', plan, '--approve', '--on-host-empty', HOOK,
                         '--empty-interval', '5', '--rejoin-timeout', '600', cwd=work)
    c.expect('upgrade --approve ends 0', approved.returncode == 0)
    rows = c.status(binary, work, plan)
    for strategy, m in made.items():
        row = rows.get(m['id'], {})
        c.expect('%s (%s) moved' % (m['name'], strategy), row.get('result') == 'moved')
        if row.get('new_id'):
            servers.expect_on_port('RegionTwo', row['new_id'], m)
    computes = {s['Host']: s for s in nova_services('RegionTwo') or [] if s['Binary'] == 'nova-compute'}
    for host in old_hosts:
        s = computes.get(host, {})
        c.expect('old host %s is a compute of RegionTwo, up and enabled' % host,
                 s.get('State') == 'up' and s.get('Status') == 'enabled')
    left = nova_services('RegionOne')
    c.expect("RegionOne's Nova services retired (%s)" % ', '.join(
        '%s@%s' % (s['Binary'], s['Host']) for s in left or []), left == [])

    retired = c.cutover(binary, 'retire', '--yes', '--endpoints', cwd=work)
    endpoints = c.osc('endpoint', 'list', '--service', 'compute', '--region', 'RegionOne')
    c.expect("retire --endpoints ends 0, RegionOne's compute endpoints gone",
             retired.returncode == 0 and endpoints == [])
    shared = c.osc('endpoint', 'list', '--region', 'RegionOne')
    c.expect('the shared services keep their RegionOne endpoints (%s)' % ', '.join(
        sorted({e['Service Type'] for e in shared})),
        {'identity', 'image', 'network', 'volumev3'} <= {e['Service Type'] for e in shared})
    c.finish(work, lambda: servers.remove('RegionTwo'))
