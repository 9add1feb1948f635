"""Running realcloud: the OpenStack services, the clouds.yaml, the smoke
test that boots a server with a port on each compute host and attaches a
volume, and giving a handed-off host back to its region.
"""
import concurrent.futures
import json
import os
import time


from rc_base import *  # noqa: F401,F403
from rc_setup import *  # noqa: F401,F403


# ----------------------------------------------------------------- services

def wsgi(name, module, port, env, threads=4, oslo_args=(), venv=VENV):
    return start(name, [vb('python', venv), os.path.join(HERE, 'wsgi_run.py'),
                        name, module, '%s:%d' % (HOST, port), str(threads)] +
                 list(oslo_args), env=env)


def bootstrap(step):
    cfg = {'keystone_url': KEYSTONE_URL, 'service_password': SERVICE_PASSWORD,
           'endpoints': {}}
    for region, r in REGIONS.items():
        cfg['endpoints'][region] = {
            'identity': KEYSTONE_URL,
            'compute': 'http://%s:%d/v2.1' % (HOST, r['nova']),
            'placement': 'http://%s:%d' % (HOST, r['placement']),
            'image': 'http://%s:%d' % (HOST, PORTS['glance']),
            'network': 'http://%s:%d' % (HOST, PORTS['neutron']),
        }
        cinder = 'http://%s:%d/v3/%%(project_id)s' % (
            HOST, cinder_of(region)['port'])
        cfg['endpoints'][region].update({'volumev3': cinder,
                                         'block-storage': cinder})
    path = os.path.join(RUN, 'bootstrap.json')
    write(path, json.dumps(cfg))
    run([vb('python'), os.path.join(HERE, 'bootstrap.py'), step, path],
        log='bootstrap.log')


def http_services():
    out = [('keystone', 'http://%s:%d/v3' % (HOST, PORTS['keystone'])),
           ('glance', 'http://%s:%d/' % (HOST, PORTS['glance'])),
           ('neutron', 'http://%s:%d/' % (HOST, PORTS['neutron']))]
    for region, r in REGIONS.items():
        out.append(('placement-' + region, 'http://%s:%d/' % (
            HOST, r['placement'])))
        out.append(('nova-api-' + region, 'http://%s:%d/' % (HOST, r['nova'])))
    for c in cinders():
        out.append(('cinder-api' + c['suffix'], 'http://%s:%d/' % (
            HOST, c['port'])))
    return out


def start_openstack():
    wsgi('keystone', 'keystone.wsgi.api', PORTS['keystone'],
         {'OS_KEYSTONE_CONFIG_DIR': os.path.join(ETC, 'keystone')})
    wait('keystone', lambda: http_answers(KEYSTONE_URL), 120, 'keystone')
    say('keystone answers')
    stamp = os.path.join(STATE, '.identity')
    if not os.path.exists(stamp):
        bootstrap('identity')
        write(stamp, 'ok\n')
        say('identities and catalog created')

    wsgi('glance', 'glance.wsgi.api', PORTS['glance'],
         {'OS_GLANCE_CONFIG_DIR': os.path.join(ETC, 'glance')})
    wsgi('neutron', 'neutron.wsgi.api', PORTS['neutron'],
         {'OS_NEUTRON_CONFIG_DIR': os.path.join(ETC, 'neutron'),
          'OS_NEUTRON_CONFIG_FILES': 'neutron.conf;ml2_conf.ini'})
    for region, r in REGIONS.items():
        venv = nova_venv(region)
        module, env = nova_wsgi(region, 'placement')
        env['OS_PLACEMENT_CONFIG_DIR'] = os.path.join(
            ETC, 'placement-' + region)
        wsgi('placement-' + region, module, r['placement'], env, threads=2,
             venv=venv)
        module, env = nova_wsgi(region, 'nova')
        env['OS_NOVA_CONFIG_DIR'] = os.path.join(ETC, 'nova-' + region)
        wsgi('nova-api-' + region, module, r['nova'], env, venv=venv)
    for c in cinders():
        # cinder.wsgi reads no OS_CINDER_* variables: pass --config-file.
        cconf = ['--config-file', os.path.join(ETC, 'cinder' + c['suffix'],
                                               'cinder.conf')]
        wsgi('cinder-api' + c['suffix'], 'cinder.wsgi.api', c['port'], {},
             threads=2, oslo_args=cconf)
        start('cinder-scheduler' + c['suffix'], [vb('cinder-scheduler')] +
              cconf)
        start('cinder-volume' + c['suffix'], [vb('cinder-volume')] + cconf)
    for region, r in REGIONS.items():
        conf = ['--config-file', os.path.join(ETC, 'nova-' + region,
                                              'nova.conf')]
        venv = nova_venv(region)
        start('nova-conductor-' + region, [vb('nova-conductor', venv)] +
              conf)
        start('nova-scheduler-' + region, [vb('nova-scheduler', venv)] +
              conf)
    for name, url in http_services():
        wait(name, lambda u=url: http_answers(u), 180, name)
    say('all APIs answer')
    # Warm every Neutron worker up (its first ports query can be a 500).
    http_answers('http://%s:%d/v2.0/networks' % (HOST, PORTS['neutron']))

    for region, r in REGIONS.items():
        for host in r['computes']:
            start_compute(region, host)
    bootstrap('resources')
    say('networks, image and flavors ready')


def start_compute(region, host):
    """Start the nova-compute of host serving region (its config written)."""
    return start(compute_name(region, host), [
        vb('nova-compute', nova_venv(region)), '--config-file',
        compute_conf(region, host)])


# ------------------------------------------------------------------ clouds

def clouds_yaml():
    path = os.path.join(STATE, 'clouds.yaml')
    auth = '''    auth:
      auth_url: %s
      username: admin
      password: admin
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    identity_api_version: 3
    interface: public
    regions: [RegionOne, RegionTwo]
''' % KEYSTONE_URL
    write(path, 'clouds:\n  real:\n    region_name: RegionOne\n' + auth +
          '  real-regiontwo:\n    region_name: RegionTwo\n' + auth)
    return path


def osc(args, region='RegionOne'):
    env = {'OS_CLIENT_CONFIG_FILE': os.path.join(STATE, 'clouds.yaml'),
           'OS_CLOUD': 'real', 'OS_REGION_NAME': region}
    return run([vb('openstack')] + args, env=env, check=False)


def smoke():
    """Boot a server with a port on every compute host, attach a volume of
    each Cinder to a server in each of its regions in turn (the shared
    one: RegionOne's, detached, then RegionTwo's), delete it all.
    Returns the errors."""
    tag = os.getpid()
    hosts = [(region, h) for region, r in REGIONS.items()
             for h in r['computes']]
    with concurrent.futures.ThreadPoolExecutor(len(hosts)) as ex:
        booted = list(ex.map(lambda rh: smoke_boot(*rh, tag), hosts))
    errs = [b for b in booted if isinstance(b, str)]
    servers = {}  # region -> the id of its first compute's server
    for b in booted:
        if not isinstance(b, str):
            servers.setdefault(b[0], b[1])
    volumes = []
    for c in cinders() if not errs else []:
        volumes.append(('realcloud-smoke%s-%d' % (c['suffix'], tag),
                        c['regions'][0]))
        err = smoke_volume(volumes[-1][0], [(r, servers[r])
                                             for r in c['regions']])
        if err:
            errs.append(err)
            break
    for b in booted:
        if not isinstance(b, str):
            osc(['server', 'delete', '--wait', b[1]], b[0])
    for name, region in volumes:
        osc(['volume', 'delete', name], region)
    return errs


def smoke_boot(region, host, tag):
    """Boot a server on host (an admin's `nova:HOST` zone) with a port and
    check it: (region, server id), or the error."""
    name = 'realcloud-smoke-%s-%d' % (host, tag)
    deadline = time.time() + 240
    err = hypervisor_up(region, host, deadline)
    if err:
        return err
    # A cutover run disables the old hosts of its plan: one a check left
    # so takes no boot, and the cloud is to come up as it was made.
    osc(['compute', 'service', 'set', '--enable', host, 'nova-compute'],
        region)
    while True:
        r = osc(['server', 'create', '--flavor', 'm1.tiny', '--image',
                 'cirros', '--network', 'private', '--availability-zone',
                 'nova:' + host, '--wait', '-f', 'json', name], region)
        if r.returncode == 0:
            say('%s: server ACTIVE on %s' % (region, host))
            break
        with open(os.path.join(LOG, 'smoke.log'), 'a') as f:
            f.write('%s: boot failed, retrying:\n%s\n' % (host, r.stdout))
        osc(['server', 'delete', '--wait', name], region)
        if time.time() > deadline:
            return '%s: boot failed: %s' % (host, r.stdout[-2000:])
        time.sleep(3)
    srv = json.loads(r.stdout[r.stdout.index('{'):])
    ports = osc(['port', 'list', '--server', srv['id'], '-f', 'json', '-c',
                 'ID', '-c', 'Fixed IP Addresses'], region)
    if srv.get('status') != 'ACTIVE' or '10.200.' not in ports.stdout:
        osc(['server', 'delete', '--wait', name], region)
        return '%s: server %s status %s, ports %s' % (
            host, srv['id'], srv.get('status'), ports.stdout)
    return region, srv['id']


def hypervisor_up(region, host, deadline):
    """Wait until host's compute is discovered in region and its hypervisor
    is up; the error or None.

    Every 10 s without it, maps the region's services to its cell by
    service (`nova-manage cell_v2 discover_hosts --by-service`): a compute
    given back after cutover deleted its service record revives its old
    compute node, which Nova 2024.1 keeps flagged as mapped, so the
    scheduler's periodic discovery (by compute node) never maps the host
    again and os-hypervisors hides it."""
    polls = 0
    while True:
        polls += 1
        if polls % 5 == 0:
            run([vb('nova-manage', nova_venv(region)), '--config-file',
                 os.path.join(ETC, 'nova-' + region, 'nova.conf'), 'cell_v2',
                 'discover_hosts', '--by-service'], check=False,
                log='discover.log')
        pid = dict(recorded()).get(compute_name(region, host))
        if not pid or not group_pids(pid):
            return '%s: nova-compute died; see %s' % (host, os.path.join(
                LOG, compute_name(region, host) + '.log'))
        hv = osc(['hypervisor', 'list', '-f', 'value', '-c',
                  'Hypervisor Hostname', '-c', 'State'], region)
        if (host + ' up') in hv.stdout.splitlines():
            say('%s: hypervisor %s up' % (region, host))
            return None
        if time.time() > deadline:
            return '%s: hypervisor %s not up: %s' % (region, host, hv.stdout)
        time.sleep(2)


def give_back(host, old, new):
    """Undo redeploy-host's hand-off of host: stop its nova-compute in new
    and delete its service record there (the caller starts it in old)."""
    name = compute_name(new, host)
    pid = dict(recorded()).get(name)
    if pid:
        stop_group([(name, pid)], 10)
    ids = osc(['compute', 'service', 'list', '--host', host, '--service',
               'nova-compute', '-f', 'value', '-c', 'ID'], new)
    for sid in ids.stdout.split():
        r = osc(['compute', 'service', 'delete', sid], new)
        if r.returncode:  # Nova refuses (409) while servers are on it
            say('%s: the nova-compute record of %s stays: %s' % (
                new, host, r.stdout.strip()))
    os.unlink(os.path.join(HANDOFF, host))
    say('%s given back to %s' % (host, old))


def smoke_volume(name, servers):
    """Create volume name and attach it to each (region, server) in turn,
    detaching it before the next; the error or None."""
    r = osc(['volume', 'create', '--size', '1', name], servers[0][0])
    if r.returncode:
        return 'volume create failed: %s' % r.stdout[-2000:]
    err = volume_becomes(name, servers[0][0], 'available', None)
    for i, (region, server) in enumerate(servers):
        if i:
            prev_region, prev = servers[i - 1]
            osc(['server', 'remove', 'volume', prev, name], prev_region)
            err = volume_becomes(name, region, 'available', None)
        if err:
            return err
        r = osc(['server', 'add', 'volume', server, name], region)
        if r.returncode:
            return '%s: attach failed: %s' % (region, r.stdout[-2000:])
        err = volume_becomes(name, region, 'in-use', server)
        if not err:
            say('%s: volume %s attached to server %s' % (region, name,
                                                         server))
    return err


def volume_becomes(name, region, status, server):
    """Wait until volume name has status (and is attached to server alone,
    or to none); the error or None."""
    deadline = time.time() + 60
    while True:
        r = osc(['volume', 'show', '-f', 'json', name], region)
        v = json.loads(r.stdout) if r.returncode == 0 else {}
        on = [a.get('server_id') for a in v.get('attachments') or []]
        if v.get('status') == status and on == ([server] if server else []):
            return None
        if time.time() > deadline:
            return '%s: volume %s not %s%s: %s, attached to %s' % (
                region, name, status, ' on ' + server if server else '',
                v.get('status'), on)
        time.sleep(1)
