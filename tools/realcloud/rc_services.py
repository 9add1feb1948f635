"""Running realcloud: the OpenStack services, the clouds.yaml, and the
smoke test that boots a server with a port in each region.
"""
import json
import os
import time


from rc_base import *  # noqa: F401,F403
from rc_setup import *  # noqa: F401,F403


# ----------------------------------------------------------------- services

def wsgi(name, module, port, env, threads=4, oslo_args=()):
    return start(name, [vb('python'), os.path.join(HERE, 'wsgi_run.py'),
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
            'volumev3': 'http://%s:%d/v3/%%(project_id)s' % (
                HOST, r['cinder']),
            'block-storage': 'http://%s:%d/v3/%%(project_id)s' % (
                HOST, r['cinder']),
        }
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
        out.append(('cinder-api-' + region, 'http://%s:%d/' % (
            HOST, r['cinder'])))
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
        wsgi('placement-' + region, 'placement.wsgi.api', r['placement'],
             {'OS_PLACEMENT_CONFIG_DIR': os.path.join(
                 ETC, 'placement-' + region)}, threads=2)
        wsgi('nova-api-' + region, 'nova.wsgi.osapi_compute', r['nova'],
             {'OS_NOVA_CONFIG_DIR': os.path.join(ETC, 'nova-' + region)})
        # cinder.wsgi reads no OS_CINDER_* variables: pass --config-file.
        cconf = ['--config-file', os.path.join(ETC, 'cinder-' + region,
                                               'cinder.conf')]
        wsgi('cinder-api-' + region, 'cinder.wsgi.api', r['cinder'], {},
             threads=2, oslo_args=cconf)
        start('cinder-scheduler-' + region, [vb('cinder-scheduler')] + cconf)
        start('cinder-volume-' + region, [vb('cinder-volume')] + cconf)
    for region, r in REGIONS.items():
        conf = ['--config-file', os.path.join(ETC, 'nova-' + region,
                                              'nova.conf')]
        start('nova-conductor-' + region, [vb('nova-conductor')] + conf)
        start('nova-scheduler-' + region, [vb('nova-scheduler')] + conf)
    for name, url in http_services():
        wait(name, lambda u=url: http_answers(u), 180, name)
    say('all APIs answer')
    # Warm every Neutron worker up (its first ports query can be a 500).
    http_answers('http://%s:%d/v2.0/networks' % (HOST, PORTS['neutron']))

    for region, r in REGIONS.items():
        start('nova-compute-' + region, [
            vb('nova-compute'), '--config-file',
            os.path.join(ETC, 'nova-' + region, 'nova-compute.conf')])
    bootstrap('resources')
    say('networks, image and flavors ready')


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


def smoke(region):
    """Boot a server with a port in region, check it, delete it."""
    name = 'realcloud-smoke-%s-%d' % (region, os.getpid())
    deadline = time.time() + 240
    while True:  # the new compute must be discovered and report to placement
        pid = dict(recorded()).get('nova-compute-' + region)
        if not pid or not group_pids(pid):
            return '%s: nova-compute died; see %s' % (
                region, os.path.join(LOG, 'nova-compute-%s.log' % region))
        hv = osc(['hypervisor', 'list', '-f', 'value', '-c', 'State'], region)
        if 'up' in hv.stdout:
            say('%s: hypervisor up' % region)
            break
        if time.time() > deadline:
            return '%s: no hypervisor up: %s' % (region, hv.stdout)
        time.sleep(2)
    while True:
        r = osc(['server', 'create', '--flavor', 'm1.tiny', '--image',
                 'cirros', '--network', 'private', '--wait', '-f', 'json',
                 name], region)
        if r.returncode == 0:
            say('%s: server ACTIVE' % region)
            break
        with open(os.path.join(LOG, 'smoke.log'), 'a') as f:
            f.write('%s: boot failed, retrying:\n%s\n' % (region, r.stdout))
        osc(['server', 'delete', '--wait', name], region)
        if time.time() > deadline:
            return '%s: boot failed: %s' % (region, r.stdout[-2000:])
        time.sleep(3)
    srv = json.loads(r.stdout[r.stdout.index('{'):])
    ports = osc(['port', 'list', '--server', srv['id'], '-f', 'json', '-c',
                 'ID', '-c', 'Fixed IP Addresses'], region)
    err = None
    if srv.get('status') != 'ACTIVE' or '10.200.' not in ports.stdout:
        err = '%s: server %s status %s, ports %s' % (
            region, srv['id'], srv.get('status'), ports.stdout)
    else:
        err = smoke_volume(region, name)
    osc(['server', 'delete', '--wait', name], region)
    osc(['volume', 'delete', name], region)
    return err


def volume_status(region, name):
    return osc(['volume', 'show', '-f', 'value', '-c', 'status', name],
               region).stdout.strip()


def smoke_volume(region, server):
    """Create a volume in region's Cinder and attach it to server."""
    r = osc(['volume', 'create', '--size', '1', server], region)
    if r.returncode:
        return '%s: volume create failed: %s' % (region, r.stdout[-2000:])
    for want in ('available', 'in-use'):
        deadline = time.time() + 60
        while volume_status(region, server) != want:
            if time.time() > deadline:
                return '%s: volume not %s: %s' % (
                    region, want, volume_status(region, server))
            time.sleep(1)
        if want == 'available':
            r = osc(['server', 'add', 'volume', server, server], region)
            if r.returncode:
                return '%s: attach failed: %s' % (region, r.stdout[-2000:])
    return None


