"""The never-down part of cutover-check: a plan run before `cutover sync`.

RegionTwo is first rid of what sync copied there for the check (flavor
`gold`, the key pairs, server group `check-ha`, aggregate `check-fast`),
as on a new region nobody synced yet. Two servers of acme (one with a
data volume) are planned and run: the new region cannot take them, so
`cutover run` must end 3 with each server held or rolled back, and the
`openstack` client must find each still ACTIVE in RegionOne, the same
server on the same port with its volume, and none of them in RegionTwo.
The run has disabled their old host, as every run does; the check then
enables it again, as an operator would before sync.
"""

import json
import os
import tempfile
import time

import check_servers as servers
import cutover_check as c

NAMES = ('check-early', 'check-early-data')


def unsync():
    """Deletes RegionTwo's copies of what the check seeds in RegionOne."""
    two = 'RegionTwo'
    if c.osc('flavor', 'show', 'gold', region=two, check=False) is not None:
        c.osc('flavor', 'delete', 'gold', region=two, parse=False)
    if c.osc('keypair', 'show', 'check-key', region=two, check=False) is not None:
        c.osc('keypair', 'delete', 'check-key', region=two, parse=False)
    if c.osc(*c.OWNER, 'keypair', 'show', 'check-owner-key', region=two, check=False) is not None:
        c.osc(*c.OWNER, 'keypair', 'delete', 'check-owner-key', region=two, parse=False)
    for g in c.osc('--os-compute-api-version', '2.64', 'server', 'group', 'list', '--all-projects', region=two):
        if g['Name'] == 'check-ha':
            c.osc('server', 'group', 'delete', g['ID'], region=two, parse=False)
    agg = c.osc('aggregate', 'show', 'check-fast', region=two, check=False)
    if agg is not None:
        for host in agg.get('hosts') or []:
            c.osc('aggregate', 'remove', 'host', 'check-fast', host, region=two, parse=False)
        c.osc('aggregate', 'delete', 'check-fast', region=two, parse=False)


def check(binary):
    unsync()
    servers.enable_old_hosts()  # an earlier part that failed may have left them disabled
    work = tempfile.mkdtemp(prefix='cutover-check-')
    plan = os.path.join(work, 'plan.yaml')
    made = [servers.make(NAMES[0]), servers.make(NAMES[1], data_volumes=1)]
    migration = 'check-early-%d' % time.time()
    planned = c.cutover(binary, 'plan', '--migration', migration, '-o', plan, cwd=work)
    c.expect('plan before sync written', planned.returncode == 0)
    run = c.cutover(binary, 'run', plan, '--poll-max', '5', '-f', 'json', cwd=work)
    rows = json.loads(run.stdout or '{}').get('servers') or []
    results = sorted('%s %s' % (r['name'], r['result']) for r in rows)
    c.expect('run before sync ends 3, every server held or rolled back (%s)' % ', '.join(results),
             run.returncode == 3 and len(rows) == len(made)
             and all(r['result'] in ('held', 'rolled_back') for r in rows))
    for m in made:
        servers.expect_on_port('RegionOne', m['id'], m)
    c.expect('RegionTwo holds none of them', not servers.named('RegionTwo', NAMES))
    c.expect('the run left the old hosts disabled, the reason naming the migration',
             all(h['Status'] == 'disabled' and migration in (h.get('Disabled Reason') or '')
                 for h in servers.old_computes() if h['Host'] in {m['host'] for m in made}))
    c.finish(work, lambda: servers.remove('RegionOne'), servers.enable_old_hosts)
