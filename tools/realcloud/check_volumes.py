"""The volume part of cutover-check: volumes moved through the shared Cinder.

Two servers of acme: `check-bfv`, booted from a root volume Nova deletes
with it (`delete_on_termination` true) with a data volume, planned with
the volume strategy, and `check-data`, booted from the image with a data
volume and stopped, planned with the snapshot strategy. After the run the
`openstack` client must find both in RegionTwo on their ports, with the
same volumes (same ids, `delete_on_termination` as Nova showed it), the
stopped one still SHUTOFF; RegionOne's gone. Then `cutover rollback` of
the volume server brings it back into RegionOne, the same way.
"""

import os
import tempfile
import time

import check_servers as servers
import cutover_check as c



def check(binary):
    servers.enable_old_hosts()  # an earlier part that failed may have left them disabled
    work = tempfile.mkdtemp(prefix='cutover-check-')
    plan = os.path.join(work, 'plan.yaml')
    bfv = servers.make('check-bfv', root_volume=True, data_volumes=1)
    data = servers.make('check-data', data_volumes=1, stopped=True)
    migration = 'check-volumes-%d' % time.time()
    rules = ['--strategy=server=%s:volume' % bfv['id'], '--strategy=server=%s:snapshot' % data['id']]
    planned = c.cutover(binary, 'plan', *rules, '--migration', migration, '-o', plan, cwd=work)
    c.expect('plan of the volume servers written', planned.returncode == 0)
    run = c.cutover(binary, 'run', plan, '--poll-max', '5', cwd=work)
    rows = c.status(binary, work, plan)
    c.expect('run ends 0, both moved (%s)' % ', '.join('%s %s' % (r['name'], r['result']) for r in rows.values()),
             run.returncode == 0 and sorted(r['result'] for r in rows.values()) == ['moved', 'moved'])
    for m in (bfv, data):
        m['new_id'] = rows.get(m['id'], {}).get('new_id')
        servers.expect_on_port('RegionTwo', m['new_id'], m)
        servers.expect_gone('RegionOne', m['id'])

    back = c.cutover(binary, 'rollback', plan, bfv['id'], '--poll-max', '5', cwd=work)
    row = c.status(binary, work, plan).get(bfv['id'], {})
    restored = servers.named('RegionOne', ('check-bfv',))
    c.expect('rollback of check-bfv ends 0, rolled back into RegionOne (%s)' % row.get('result'),
             back.returncode == 0 and row.get('result') == 'rolled_back' and 'check-bfv' in restored)
    if 'check-bfv' in restored:
        servers.expect_on_port('RegionOne', restored['check-bfv']['ID'], bfv)
    servers.expect_gone('RegionTwo', bfv['new_id'])
    c.finish(work, lambda: servers.remove('RegionOne'), lambda: servers.remove('RegionTwo'))
