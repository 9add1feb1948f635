"""cutover against the real cloud: the phases that exist so far.

Seeds realcloud's RegionOne with Nova-owned resources (a private flavor
with an extra spec and project access, a keypair, project quotas, a server
group, an aggregate with a zone), then runs the real `cutover` binary:
`preflight`, `env verify`, `sync` twice, and checks with the real
`openstack` client that RegionTwo holds the same, that the second sync
changed nothing, and that no `cutover` role assignment is left.

usage: tools/realcloud/cutover-check [path/to/cutover]
"""

import json
import os
import subprocess
import sys
import tempfile

STATE = os.environ.get('REALCLOUD_STATE', '/var/tmp/cutover-realcloud')
OSC = os.path.join(STATE, 'venv', 'bin', 'openstack')
PUBKEY = ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGGhEAl0N0kLTw2Fhgs8mQXBdSo1qZGkU0KffKxvi3Pt '
          'check@cutover')
ENV = dict(os.environ, OS_CLIENT_CONFIG_FILE=os.path.join(STATE, 'clouds.yaml'), OS_CLOUD='real',
           CUTOVER_OLD_REGION='RegionOne', CUTOVER_NEW_REGION='RegionTwo')
for key in [k for k in ENV if k.startswith('OS_') and k not in ('OS_CLIENT_CONFIG_FILE', 'OS_CLOUD')]:
    del ENV[key]
failures = []


def osc(*args, region='RegionOne', check=True, parse=True):
    cmd = [OSC, '--os-region-name', region] + list(args) + (['-f', 'json'] if parse else [])
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    if check and out.returncode != 0:
        sys.exit('openstack %s: %s' % (' '.join(args), out.stderr.strip()))
    return json.loads(out.stdout) if parse and out.returncode == 0 and out.stdout.strip() else None


def cutover(binary, *args):
    out = subprocess.run([binary] + list(args), env=ENV, capture_output=True, text=True, cwd=tempfile.gettempdir())
    print('cutover %s -> exit %d' % (' '.join(args), out.returncode))
    return out


def expect(what, ok):
    print('  %s %s' % ('ok  ' if ok else 'FAIL', what))
    if not ok:
        failures.append(what)


def seed():
    project = osc('project', 'create', '--or-show', 'acme')['id']
    if osc('flavor', 'show', 'gold', check=False) is None:
        osc('flavor', 'create', '--id', 'gold', '--ram', '512', '--vcpus', '1', '--disk', '1', '--private',
            '--property', 'hw:cpu_policy=shared', '--project', project, 'gold')
    if osc('keypair', 'show', 'check-key', check=False) is None:
        with tempfile.NamedTemporaryFile('w', suffix='.pub') as f:
            f.write(PUBKEY + '\n')
            f.flush()
            osc('keypair', 'create', '--public-key', f.name, 'check-key')
    osc('quota', 'set', '--cores', '33', '--instances', '7', 'acme', parse=False)
    groups = osc('--os-compute-api-version', '2.64', 'server', 'group', 'list')
    if not any(g['Name'] == 'check-ha' for g in groups):
        osc('--os-compute-api-version', '2.64', 'server', 'group', 'create', '--policy', 'anti-affinity', 'check-ha')
    if osc('aggregate', 'show', 'check-fast', check=False) is None:
        osc('aggregate', 'create', '--zone', 'az-check', 'check-fast')
        host = [s['Host'] for s in osc('compute', 'service', 'list') if s['Binary'] == 'nova-compute'][0]
        osc('aggregate', 'add', 'host', 'check-fast', host)
    return project


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else 'target/release/cutover'
    binary = os.path.abspath(binary)
    project = seed()
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
    quota = {q['Resource']: q['Limit'] for q in osc('quota', 'show', 'acme', region='RegionTwo')}
    expect('quotas of acme copied', quota.get('cores') == 33 and quota.get('instances') == 7)
    groups = osc('--os-compute-api-version', '2.64', 'server', 'group', 'list', region='RegionTwo')
    expect('server group check-ha copied', any(g['Name'] == 'check-ha' and g['Policy'] == 'anti-affinity'
                                               for g in groups))
    agg = osc('aggregate', 'show', 'check-fast', region='RegionTwo', check=False) or {}
    expect('aggregate check-fast with its zone and the mapped host',
           agg.get('availability_zone') == 'az-check' and len(agg.get('hosts') or []) == 1)
    grants = [a for a in osc('role', 'assignment', 'list', '--names') if a['Role'] == 'cutover']
    expect('no cutover role assignment left', not grants)
    if failures:
        sys.exit('cutover-check: %d check(s) failed' % len(failures))
    print('cutover-check: all passed')


if __name__ == '__main__':
    main()
