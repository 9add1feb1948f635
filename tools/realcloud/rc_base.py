"""realcloud's ground: where its state lives, its ports and credentials,
starting and stopping recorded processes, and small helpers.
"""
import os
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
STATE = os.environ.get('REALCLOUD_STATE', '/var/tmp/cutover-realcloud')
VENV = os.path.join(STATE, 'venv')
ETC = os.path.join(STATE, 'etc')
RUN = os.path.join(STATE, 'run')
LOG = os.path.join(STATE, 'log')
VBIN = os.path.join(VENV, 'bin')

HOST = '127.0.0.1'
PORTS = {
    'keystone': 25000, 'glance': 25292, 'neutron': 25696,
    'mysql': 25306, 'rabbit': 25671, 'rabbit_dist': 25672, 'epmd': 25369,
}
# Each region's Nova API and Placement ports, its compute hosts, and the
# port of its own Cinder when Cinder is per region (the shared one listens
# on RegionOne's). RegionOne has two computes so that one can be handed off
# (redeploy-host) while the other still holds servers.
REGIONS = {
    'RegionOne': {'tag': 'r1', 'nova': 25774, 'placement': 25778,
                  'cinder': 25776, 'computes': ['r1-compute', 'r1-compute2']},
    'RegionTwo': {'tag': 'r2', 'nova': 25775, 'placement': 25779,
                  'cinder': 25777, 'computes': ['r2-compute']},
}
# 'shared' (default): one Cinder in both regions' catalogs, as the
# parallel-compute procedure has it; 'per-region': the earlier layout, a
# Cinder per region (a volume of one region cannot be attached in the other).
CINDER_LAYOUTS = ('shared', 'per-region')


def made_layout():
    """The layout the state was made with ({'cinder': .., 'regionone-nova':
    ..}, from the `.layout` stamp; empty before the first `up`): an unset
    REALCLOUD_* variable means that one, so the hook and later commands
    need not repeat the variables."""
    try:
        with open(os.path.join(STATE, '.layout')) as f:
            return dict(kv.split('=', 1) for kv in f.read().split())
    except (OSError, ValueError):
        return {}


CINDER_LAYOUT = (os.environ.get('REALCLOUD_CINDER') or
                 made_layout().get('cinder', 'shared'))
SERVICE_PASSWORD = 'realcloud-service'
DB_USER = DB_PASS = 'realcloud'
RABBIT_USER = RABBIT_PASS = 'realcloud'

APT_PACKAGES = ['rabbitmq-server', 'mariadb-server']
PIP_PACKAGES = [
    'keystone==30.0.0', 'nova==34.0.0', 'openstack-placement==16.0.0',
    'glance==33.0.0', 'neutron==29.0.0', 'cinder==29.0.0', 'gunicorn==27.0.1',
    'PyMySQL', 'python-openstackclient==10.5.0',
]
# RegionOne's Nova and Placement: an older series from its own venv (by
# default 2024.1, whose maximum microversion 2.96 is the simulator's), so
# that cutover meets a real old Nova's microversions, or 'current' (those
# of PIP_PACKAGES, as in RegionTwo). An older Nova's WSGI entry points are
# functions (MODULE:FUNCTION) rather than the `application` of a module.
OLD_NOVAS = {
    '2024.1': {
        'pip': ['nova==29.4.0', 'openstack-placement==11.0.0',
                'gunicorn==21.2.0', 'PyMySQL'],
        'constraints': 'constraints-nova-2024.1.txt',
        'nova_wsgi': 'nova.api.openstack.compute.wsgi:init_application',
        'placement_wsgi': 'placement.wsgi:init_application',
        # Its API imports eventlet's monkey patching, under which gunicorn's
        # gthread worker hangs on its second request (WORKER TIMEOUT);
        # Nova's own switch turns the patching off.
        'api_env': {'OS_NOVA_DISABLE_EVENTLET_PATCHING': '1'},
    },
}
OLD_NOVA = (os.environ.get('REALCLOUD_OLD_NOVA') or
            made_layout().get('regionone-nova', '2024.1'))


def nova_venv(region):
    """The venv RegionOne's or RegionTwo's Nova and Placement run from."""
    if region == 'RegionOne' and OLD_NOVA != 'current':
        return os.path.join(STATE, 'venv-nova-' + OLD_NOVA)
    return VENV


def nova_wsgi(region, service):
    """The WSGI entry point of region's 'nova' or 'placement' API, and the
    environment it needs besides its config."""
    if region == 'RegionOne' and OLD_NOVA != 'current':
        old = OLD_NOVAS[OLD_NOVA]
        return old[service + '_wsgi'], dict(old.get('api_env', {}) if (
            service == 'nova') else {})
    return {'nova': 'nova.wsgi.osapi_compute',
            'placement': 'placement.wsgi.api'}[service], {}


def site_packages(venv):
    return os.path.join(venv, 'lib', 'python%d.%d' % sys.version_info[:2],
                        'site-packages')


KEYSTONE_URL = 'http://%s:%d/v3' % (HOST, PORTS['keystone'])
DB_URL = 'mysql+pymysql://%s:%s@%s:%d' % (DB_USER, DB_PASS, HOST,
                                           PORTS['mysql'])
RABBIT_URL = 'rabbit://%s:%s@%s:%d' % (RABBIT_USER, RABBIT_PASS, HOST,
                                        PORTS['rabbit'])
RABBIT_NODE = 'realcloud@localhost'


def cinders():
    """The Cinder deployments of the layout: [{'suffix', 'host', 'db',
    'port', 'regions'}]; suffix names its processes and directories
    (cinder-api<suffix>, etc/cinder<suffix>), db its database and vhost."""
    if CINDER_LAYOUT == 'per-region':
        return [{'suffix': '-' + region, 'host': r['tag'] + '-cinder',
                 'db': 'cinder_' + r['tag'], 'port': r['cinder'],
                 'regions': [region]} for region, r in REGIONS.items()]
    return [{'suffix': '', 'host': 'cinder', 'db': 'cinder',
             'port': REGIONS['RegionOne']['cinder'],
             'regions': list(REGIONS)}]


def cinder_of(region):
    return [c for c in cinders() if region in c['regions']][0]


def compute_name(region, host):
    """The recorded name of the nova-compute of host serving region."""
    return 'nova-compute-%s-%s' % (region, host)


def layout_names():
    """Every process of the original layout (no host handed off)."""
    return (['mariadb', 'epmd', 'rabbitmq', 'keystone', 'glance', 'neutron'] +
            ['cinder-%s%s' % (s, c['suffix']) for c in cinders()
             for s in ('api', 'scheduler', 'volume')] +
            [s + '-' + r for r in REGIONS for s in (
                'placement', 'nova-api', 'nova-conductor', 'nova-scheduler')] +
            [compute_name(r, h) for r in REGIONS
             for h in REGIONS[r]['computes']])


# A host redeploy-host handed off: HANDOFF/<host> holds "OLD NEW MIGRATION"
# until `up` gives the host back to its region (see README.md).
HANDOFF = os.path.join(STATE, 'handoff')


def handoffs():
    """{host: (old_region, new_region)} of the hosts handed off."""
    out = {}
    if os.path.isdir(HANDOFF):
        for host in os.listdir(HANDOFF):
            with open(os.path.join(HANDOFF, host)) as f:
                old, new = f.read().split()[:2]
            out[host] = (old, new)
    return out


def say(*a):
    print('[realcloud %6.1fs]' % (time.time() - T0), *a, flush=True)


T0 = time.time()


# --------------------------------------------------------------- processes

def pidfile(name):
    return os.path.join(RUN, name + '.pid')


def recorded():
    """[(name, pid)] in start order."""
    if not os.path.isdir(RUN):
        return []
    out = []
    for f in os.listdir(RUN):
        if f.endswith('.pid'):
            try:
                with open(os.path.join(RUN, f)) as fh:
                    pid, started = fh.read().split()
                out.append((float(started), f[:-4], int(pid)))
            except (OSError, ValueError):
                pass
    return [(n, p) for _, n, p in sorted(out)]


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def group_pids(pgid):
    pids = []
    for d in os.listdir('/proc'):
        if d.isdigit():
            try:
                with open('/proc/%s/stat' % d) as f:
                    fields = f.read().rsplit(')', 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != 'Z':
                    pids.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def rss_kb(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def start(name, cmd, env=None):
    """Start cmd in its own session (so its pid is its process group id)."""
    os.makedirs(RUN, exist_ok=True)
    os.makedirs(LOG, exist_ok=True)
    full_env = dict(os.environ)
    full_env.update(env or {})
    log = open(os.path.join(LOG, name + '.log'), 'ab')
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, env=full_env, cwd=STATE,
                         start_new_session=True)
    log.close()
    with open(pidfile(name), 'w') as f:
        f.write('%d %f\n' % (p.pid, time.time()))
    return p.pid


def stop_group(procs, timeout):
    """SIGTERM the process groups together, SIGKILL what is left."""
    for name, pid in procs:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + timeout
    while time.time() < deadline and any(group_pids(p) for _, p in procs):
        time.sleep(0.2)
    for name, pid in procs:
        if group_pids(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    time.sleep(0.3)
    for name, pid in procs:
        left = group_pids(pid)
        print('stopped %-24s pid %-7d%s' % (
            name, pid, ' (STILL RUNNING: %s)' % left if left else ''))
        if not left:
            os.unlink(pidfile(name))


def stop_all():
    procs = recorded()
    if not procs:
        return False
    infra = ('rabbitmq', 'epmd', 'mariadb')
    # OpenStack services first (all together), then RabbitMQ, epmd, MariaDB.
    stop_group([np for np in procs if np[0] not in infra], 10)
    for name in infra:
        stop_group([np for np in procs if np[0] == name], 30)
    return True


# ----------------------------------------------------------------- helpers

def run(cmd, env=None, check=True, quiet=True, log=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    r = subprocess.run(cmd, env=full_env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, cwd=STATE)
    if log:
        os.makedirs(LOG, exist_ok=True)
        with open(os.path.join(LOG, log), 'a') as f:
            f.write('$ %s\n%s\n' % (' '.join(cmd), r.stdout))
    if check and r.returncode != 0:
        sys.exit('command failed (%d): %s\n%s' % (
            r.returncode, ' '.join(cmd), r.stdout[-4000:]))
    if not quiet:
        print(r.stdout)
    return r


def tcp_open(port):
    try:
        socket.create_connection((HOST, port), timeout=1).close()
        return True
    except OSError:
        return False


def http_answers(url):
    try:
        urllib.request.urlopen(url, timeout=5).read()
        return True
    except urllib.error.HTTPError as e:
        return e.code < 500
    except Exception:  # noqa: connection refused, reset, timeout
        return False


def wait(what, fn, timeout=180, pid_name=None):
    t = time.time()
    while not fn():
        if pid_name and not any(alive(p) for n, p in recorded()
                                if n == pid_name):
            sys.exit('%s died; see %s' % (
                pid_name, os.path.join(LOG, pid_name + '.log')))
        if time.time() - t > timeout:
            sys.exit('timed out waiting for %s' % what)
        time.sleep(0.5)


def tmpl(name, **extra):
    with open(os.path.join(HERE, 'templates', name)) as f:
        return string.Template(f.read()).substitute(SUBST, **extra)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


AUTHTOKEN = '''www_authenticate_uri = %s
auth_url = %s
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
password = %s
service_token_roles_required = true''' % (
    KEYSTONE_URL, KEYSTONE_URL, SERVICE_PASSWORD)

SUBST = dict(state=STATE, etc=ETC, venv=VENV, db_url=DB_URL, rabbit_url=RABBIT_URL,
             keystone_url=KEYSTONE_URL, service_password=SERVICE_PASSWORD,
             authtoken=AUTHTOKEN, glance_port=PORTS['glance'],
             rabbit_port=PORTS['rabbit'],
             glance_url='http://%s:%d' % (HOST, PORTS['glance']))


