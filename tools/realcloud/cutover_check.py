"""cutover against the real cloud: preflight, sync, a move and its rollback.

Seeds realcloud's RegionOne with Nova-owned resources (a private flavor
with an extra spec and project access, a keypair, project quotas, a server
group, an aggregate with a zone, a user `check-owner` of project `acme`
with a keypair), then runs the real `cutover` binary: `preflight`,
`env verify`, `sync` twice, and checks with the real `openstack` client
that RegionTwo holds the same, that the second sync changed nothing, and
that no `cutover` role assignment is left. Then the moves (check_move.py):
two servers of `acme` on their own ports, one with a floating IP, planned
with the snapshot and the redeploy strategy, run, run again (nothing to
do), rolled back.

usage: tools/realcloud/cutover-check [path/to/cutover]
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

STATE = os.environ.get('REALCLOUD_STATE', '/var/tmp/cutover-realcloud')
OSC = os.path.join(STATE, 'venv', 'bin', 'openstack')
PUBKEY = ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGGhEAl0N0kLTw2Fhgs8mQXBdSo1qZGkU0KffKxvi3Pt '
          'check@cutover')
OWNER_PUBKEY = ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICghs9QjL/icaV9PXySVI0UYk+qW9ErK8vsFvLweuHst '
                'owner@check')
# The owner of the moved server: a member of acme, not an admin. A test
# cloud's password, not a secret.
OWNER = ['--os-username', 'check-owner', '--os-password', 'owner-secret', '--os-project-name', 'acme']
ENV = dict(os.environ, OS_CLIENT_CONFIG_FILE=os.path.join(STATE, 'clouds.yaml'), OS_CLOUD='real',
           CUTOVER_OLD_REGION='RegionOne', CUTOVER_NEW_REGION='RegionTwo')
for key in [k for k in ENV if k.startswith('OS_') and k not in ('OS_CLIENT_CONFIG_FILE', 'OS_CLOUD')]:
    del ENV[key]
failures = []
START = time.time()
# The RegionOne compute host in aggregate check-fast (RegionOne has two),
# and the aggregate's zone, in which the moved servers are booted.
AGGREGATE_HOST = 'r1-compute'
AGGREGATE_ZONE = 'az-check'


def osc(*args, region='RegionOne', check=True, parse=True):
    """The `openstack` client's answer (JSON), None when it failed; with
    `parse=False`, whether it succeeded. It exits the check on a failure
    unless `check=False`."""
    cmd = [OSC, '--os-region-name', region] + list(args) + (['-f', 'json'] if parse else [])
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    if check and out.returncode != 0:
        sys.exit('openstack %s: %s' % (' '.join(a for a in args if a != 'owner-secret'), out.stderr.strip()))
    if not parse:
        return out.returncode == 0
    return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else None


def cutover(binary, *args, cwd=None):
    began = time.time()
    out = subprocess.run([binary] + list(args), env=ENV, capture_output=True, text=True,
                         cwd=cwd or tempfile.gettempdir())
    print('cutover %s -> exit %d (%.0f s)' % (' '.join(args), out.returncode, time.time() - began))
    if out.returncode != 0 and out.stderr.strip():
        print('  | ' + '\n  | '.join(out.stderr.strip().splitlines()[-5:]))
    return out


def status(binary, work, plan):
    """`cutover status`: each server's row by its old id."""
    out = cutover(binary, 'status', plan, '-f', 'json', cwd=work)
    return {row['old_id']: row for row in json.loads(out.stdout or '{}').get('servers') or []}


def finish(work, *tidy):
    """After a part: when all passed so far, `tidy` and the part's
    directory removed; else both kept, the directory named."""
    if failures:
        print('cutover-check: the plan and its journal are in %s' % work)
        return
    for step in tidy:
        step()
    shutil.rmtree(work)


def expect(what, ok):
    print('  %s %s' % ('ok  ' if ok else 'FAIL', what))
    if not ok:
        failures.append(what)


def phase(name):
    print('[%5.0f s] %s' % (time.time() - START, name))


def reachable():
    """Whether realcloud answers: a token from its Keystone."""
    if not os.path.exists(OSC):
        return False
    return osc('token', 'issue', check=False) is not None


def key_file(public_key):
    f = tempfile.NamedTemporaryFile('w', suffix='.pub', delete=False)
    f.write(public_key + '\n')
    f.close()
    return f.name


def seed():
    project = osc('project', 'create', '--or-show', 'acme')['id']
    if osc('flavor', 'show', 'gold', check=False) is None:
        osc('flavor', 'create', '--id', 'gold', '--ram', '512', '--vcpus', '1', '--disk', '1', '--private',
            '--property', 'hw:cpu_policy=shared', '--project', project, 'gold')
    if osc('keypair', 'show', 'check-key', check=False) is None:
        osc('keypair', 'create', '--public-key', key_file(PUBKEY), 'check-key')
    osc('quota', 'set', '--cores', '33', '--instances', '7', 'acme', parse=False)
    groups = osc('--os-compute-api-version', '2.64', 'server', 'group', 'list')
    if not any(g['Name'] == 'check-ha' for g in groups):
        osc('--os-compute-api-version', '2.64', 'server', 'group', 'create', '--policy', 'anti-affinity', 'check-ha')
    aggregate = osc('aggregate', 'show', 'check-fast', check=False) or osc(
        'aggregate', 'create', '--zone', AGGREGATE_ZONE, 'check-fast')
    # Added again when a hand-off took the host out (a deleted compute
    # leaves its aggregates) and `realcloud up` gave it back.
    if AGGREGATE_HOST not in (aggregate.get('hosts') or []):
        osc('aggregate', 'add', 'host', 'check-fast', AGGREGATE_HOST)
    # The moved server's owner and key, before sync copies keypairs.
    osc('user', 'create', '--or-show', '--password', 'owner-secret', '--project', 'acme', 'check-owner')
    osc('role', 'add', '--user', 'check-owner', '--project', 'acme', 'member', parse=False)
    if osc(*OWNER, 'keypair', 'show', 'check-owner-key', check=False) is None:
        osc(*OWNER, 'keypair', 'create', '--public-key', key_file(OWNER_PUBKEY), 'check-owner-key')
    return project


def check_sync(binary, project):
    expect('preflight passes', cutover(binary, 'preflight').returncode == 0)
    expect('env verify passes', cutover(binary, 'env', 'verify').returncode == 0)
    with tempfile.NamedTemporaryFile('w', suffix='.yaml', delete=False) as f:
        f.write(cutover(binary, 'sync', '--print-host-map').stdout)
        host_map = f.name
    first = cutover(binary, 'sync', '--host-map', host_map, '-f', 'json')
    expect('first sync ends 0: ' + first.stderr.strip().splitlines()[-1] if first.stderr.strip() else 'first sync',
           first.returncode == 0)
    second = cutover(binary, 'sync', '--host-map', host_map, '-f', 'json')
    outcomes = {row['Outcome'] for row in json.loads(second.stdout or '[]')}
    expect('second sync changes nothing (%s)' % ', '.join(sorted(outcomes)),
           second.returncode == 0 and outcomes <= {'equal', 'skipped'})

    gold = osc('flavor', 'show', 'gold', region='RegionTwo', check=False) or {}
    expect('flavor gold private with its spec', gold.get('properties') == {'hw:cpu_policy': 'shared'}
           and gold.get('os-flavor-access:is_public') is False)
    expect('flavor gold shared with acme', project in str(gold.get('access_project_ids')))
    keys = [k['Name'] for k in osc('keypair', 'list', region='RegionTwo')]
    expect('keypair check-key copied', 'check-key' in keys)
    owner_keys = [k['Name'] for k in osc(*OWNER, 'keypair', 'list', region='RegionTwo')]
    expect('keypair check-owner-key of user check-owner copied', 'check-owner-key' in owner_keys)
    quota = {q['Resource']: q['Limit'] for q in osc('quota', 'show', 'acme', region='RegionTwo')}
    expect('quotas of acme copied', quota.get('cores') == 33 and quota.get('instances') == 7)
    groups = osc('--os-compute-api-version', '2.64', 'server', 'group', 'list', region='RegionTwo')
    expect('server group check-ha copied', any(g['Name'] == 'check-ha' and g['Policy'] == 'anti-affinity'
                                               for g in groups))
    agg = osc('aggregate', 'show', 'check-fast', region='RegionTwo', check=False) or {}
    expect('aggregate check-fast with its zone and the mapped host',
           agg.get('availability_zone') == AGGREGATE_ZONE and len(agg.get('hosts') or []) == 1)
    expect_no_grant()


def expect_no_grant():
    grants = [a for a in osc('role', 'assignment', 'list', '--names') if a['Role'] == 'cutover']
    expect('no cutover role assignment left', not grants)


def main():
    import check_move
    import check_neverdown
    import check_upgrade
    import check_volumes

    binary = sys.argv[1] if len(sys.argv) > 1 else 'target/release/cutover'
    binary = os.path.abspath(binary)
    if not os.access(binary, os.X_OK):
        sys.exit('cutover-check: no cutover binary at %s (cargo build -p cutover-cli, or give its path)' % binary)
    if not reachable():
        sys.exit('cutover-check: realcloud does not answer (%s): start it with tools/realcloud/realcloud up'
                 % os.path.join(STATE, 'clouds.yaml'))
    phase('tidy what an earlier check left')
    check_move.tidy()
    phase('seed RegionOne')
    project = seed()
    phase('a plan run before sync: every server stays in RegionOne')
    check_neverdown.check(binary)
    phase('preflight, env verify, sync')
    check_sync(binary, project)
    phase('move two servers (snapshot, redeploy), run again, roll back')
    check_move.check(binary)
    phase('move volume servers through the shared Cinder, roll one back')
    check_volumes.check(binary)
    phase('cutover upgrade: every strategy, hosts handed off, old Nova retired')
    check_upgrade.check(binary)
    phase('done')
    if failures:
        sys.exit('cutover-check: %d check(s) failed: %s' % (len(failures), '; '.join(failures)))
    print('cutover-check: all passed in %.0f s' % (time.time() - START))


if __name__ == '__main__':
    # As a module, so that check_move shares its helpers and `failures`.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cutover_check

    cutover_check.main()
