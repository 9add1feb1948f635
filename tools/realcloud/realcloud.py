#!/usr/bin/env python3
"""realcloud: a real two-region OpenStack on this machine, for cutover's tests.

    realcloud up       install what is missing, configure, start, smoke-test
    realcloud down     stop every process it started (by recorded PIDs)
    realcloud reset    down, then wipe the state (databases, config, logs)
    realcloud status   which services run and answer, and their memory

Everything listens on 127.0.0.1 only. See README.md beside this file.
Standard library only: it runs with the system python3; the OpenStack
services run from a venv under the state directory.
"""
import concurrent.futures
import hashlib
import json
import os
import shutil
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
SITE = os.path.join(VENV, 'lib', 'python%d.%d' % sys.version_info[:2],
                    'site-packages')

HOST = '127.0.0.1'
PORTS = {
    'keystone': 25000, 'glance': 25292, 'neutron': 25696,
    'mysql': 25306, 'rabbit': 25671, 'rabbit_dist': 25672, 'epmd': 25369,
}
REGIONS = {
    'RegionOne': {'tag': 'r1', 'nova': 25774, 'placement': 25778,
                  'cinder': 25776},
    'RegionTwo': {'tag': 'r2', 'nova': 25775, 'placement': 25779,
                  'cinder': 25777},
}
SERVICE_PASSWORD = 'realcloud-service'
DB_USER = DB_PASS = 'realcloud'
RABBIT_USER = RABBIT_PASS = 'realcloud'

APT_PACKAGES = ['rabbitmq-server', 'mariadb-server']
PIP_PACKAGES = [
    'keystone==30.0.0', 'nova==34.0.0', 'openstack-placement==16.0.0',
    'glance==33.0.0', 'neutron==29.0.0', 'cinder==29.0.0', 'gunicorn==27.0.1',
    'PyMySQL', 'python-openstackclient==10.5.0',
]
KEYSTONE_URL = 'http://%s:%d/v3' % (HOST, PORTS['keystone'])
DB_URL = 'mysql+pymysql://%s:%s@%s:%d' % (DB_USER, DB_PASS, HOST,
                                           PORTS['mysql'])
RABBIT_URL = 'rabbit://%s:%s@%s:%d' % (RABBIT_USER, RABBIT_PASS, HOST,
                                        PORTS['rabbit'])
RABBIT_NODE = 'realcloud@localhost'


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

SUBST = dict(state=STATE, etc=ETC, db_url=DB_URL, rabbit_url=RABBIT_URL,
             keystone_url=KEYSTONE_URL, service_password=SERVICE_PASSWORD,
             authtoken=AUTHTOKEN, glance_port=PORTS['glance'],
             rabbit_port=PORTS['rabbit'],
             glance_url='http://%s:%d' % (HOST, PORTS['glance']))


# ----------------------------------------------------------------- install

def install():
    missing = [p for p in APT_PACKAGES if subprocess.run(
        ['dpkg-query', '-W', '-f=${Status}', p], capture_output=True,
        text=True).stdout != 'install ok installed']
    if missing:
        say('apt-get install', *missing)
        env = {'DEBIAN_FRONTEND': 'noninteractive'}
        run(['apt-get', 'update'], env=env)
        run(['apt-get', 'install', '-y', '--no-install-recommends'] + missing,
            env=env)
        # Debian's postinst may start the system instances; realcloud runs
        # its own instances, so leave those alone (we did not start them
        # on purpose, and stopping them is not ours to do).

    h = hashlib.sha256()
    h.update('\n'.join(PIP_PACKAGES).encode())
    for root, _, files in sorted(os.walk(os.path.join(HERE, 'drivers'))):
        for f in sorted(files):
            if f.endswith(('.py', '.toml')):
                with open(os.path.join(root, f), 'rb') as fh:
                    h.update(fh.read())
    with open(os.path.join(HERE, 'constraints.txt'), 'rb') as fh:
        h.update(fh.read())
    stamp = os.path.join(VENV, '.realcloud-installed')
    want = h.hexdigest()
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    say('pip install into', VENV, '(first time: a few minutes)')
    if not os.path.exists(os.path.join(VBIN, 'python')):
        run([sys.executable, '-m', 'venv', VENV])
        run([os.path.join(VBIN, 'pip'), 'install', '-q', '--upgrade', 'pip'])
    run([os.path.join(VBIN, 'pip'), 'install', '-q', '-c',
         os.path.join(HERE, 'constraints.txt')] + PIP_PACKAGES, log='pip.log')
    drivers = os.path.join(STATE, 'build', 'drivers')
    shutil.rmtree(drivers, ignore_errors=True)
    shutil.copytree(os.path.join(HERE, 'drivers'), drivers)
    run([os.path.join(VBIN, 'pip'), 'install', '-q', '--no-deps',
         '--force-reinstall', drivers], log='pip.log')
    # Nova loads compute_driver as nova.virt.<name>: a shim re-exports ours.
    write(os.path.join(SITE, 'nova', 'virt', 'cutover_fake.py'),
          'from cutover_realcloud_drivers.virt import SnapshotFakeDriver'
          '  # noqa\n')
    write(stamp, want)


# ------------------------------------------------------------ infrastructure

def rabbit_env():
    base = os.path.join(STATE, 'rabbitmq')
    return {
        'HOME': base,
        'RABBITMQ_NODENAME': RABBIT_NODE,
        'RABBITMQ_NODE_IP_ADDRESS': HOST,
        'RABBITMQ_NODE_PORT': str(PORTS['rabbit']),
        'RABBITMQ_DIST_PORT': str(PORTS['rabbit_dist']),
        'ERL_EPMD_PORT': str(PORTS['epmd']),
        'ERL_EPMD_ADDRESS': HOST,
        'RABBITMQ_MNESIA_BASE': os.path.join(base, 'mnesia'),
        'RABBITMQ_LOG_BASE': os.path.join(LOG, 'rabbitmq'),
        'RABBITMQ_CONFIG_FILE': os.path.join(base, 'rabbitmq.conf'),
        'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(base, 'enabled_plugins'),
        'RABBITMQ_PID_FILE': os.path.join(base, 'rabbitmq.pid'),
        'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS':
            '-kernel inet_dist_use_interface {127,0,0,1}',
    }


def mysql(sql):
    return run(['mariadb', '--no-defaults', '-S',
                os.path.join(RUN, 'mysql.sock'), '-u', 'root', '-e', sql])


def start_infra():
    datadir = os.path.join(STATE, 'mysql')
    if not os.path.isdir(os.path.join(datadir, 'mysql')):
        say('initialising MariaDB datadir')
        os.makedirs(datadir, exist_ok=True)
        run(['mariadb-install-db', '--no-defaults', '--datadir=' + datadir,
             '--user=root', '--auth-root-authentication-method=normal',
             '--skip-test-db'], log='mariadb-install.log')
    start('mariadb', [
        '/usr/sbin/mariadbd', '--no-defaults', '--user=root',
        '--datadir=' + datadir, '--bind-address=' + HOST,
        '--port=%d' % PORTS['mysql'], '--socket=' + os.path.join(
            RUN, 'mysql.sock'),
        '--pid-file=' + os.path.join(RUN, 'mysqld.pidfile'),
        '--skip-name-resolve', '--max-connections=2000',
        '--innodb-buffer-pool-size=128M', '--innodb-log-file-size=64M',
        '--innodb-flush-log-at-trx-commit=2', '--skip-log-bin',
        '--character-set-server=utf8mb4'])

    base = os.path.join(STATE, 'rabbitmq')
    os.makedirs(base, exist_ok=True)
    os.makedirs(os.path.join(LOG, 'rabbitmq'), exist_ok=True)
    write(os.path.join(base, 'rabbitmq.conf'), tmpl('rabbitmq.conf'))
    write(os.path.join(base, 'enabled_plugins'), '[].\n')
    cookie = os.path.join(base, '.erlang.cookie')
    if not os.path.exists(cookie):
        write(cookie, hashlib.sha1(os.urandom(16)).hexdigest().upper())
        os.chmod(cookie, 0o400)
    renv = rabbit_env()
    # Our own epmd on loopback (foreground, so we own and stop it).
    start('epmd', ['epmd', '-address', HOST, '-port', str(PORTS['epmd'])])
    wait('epmd', lambda: tcp_open(PORTS['epmd']), 30, 'epmd')
    start('rabbitmq', ['/usr/lib/rabbitmq/bin/rabbitmq-server'], env=renv)

    wait('MariaDB', lambda: tcp_open(PORTS['mysql']), 120, 'mariadb')
    wait('RabbitMQ', lambda: tcp_open(PORTS['rabbit']), 180, 'rabbitmq')
    say('MariaDB and RabbitMQ up')

    ctl = ['/usr/lib/rabbitmq/bin/rabbitmqctl', '-q', '-n', RABBIT_NODE]
    run(ctl + ['await_startup'], env=renv)
    if RABBIT_USER not in run(ctl + ['list_users'], env=renv).stdout:
        run(ctl + ['add_user', RABBIT_USER, RABBIT_PASS], env=renv)
        run(ctl + ['set_user_tags', RABBIT_USER, 'administrator'], env=renv)
    vhosts = run(ctl + ['list_vhosts'], env=renv).stdout.split()
    for vh in ['neutron'] + [s + '_' + r['tag'] for r in REGIONS.values()
                             for s in ('nova', 'cinder')]:
        if vh not in vhosts:
            run(ctl + ['add_vhost', vh], env=renv)
        run(ctl + ['set_permissions', '-p', vh, RABBIT_USER, '.*', '.*',
                   '.*'], env=renv)

    dbs = ['keystone', 'glance', 'neutron']
    for r in REGIONS.values():
        dbs += ['placement_' + r['tag'], 'cinder_' + r['tag']] + [
            'nova_%s_%s' % (r['tag'], s) for s in ('api', 'cell0', 'cell1')]
    mysql(''.join('CREATE DATABASE IF NOT EXISTS %s CHARACTER SET utf8mb4;'
                  % d for d in dbs) +
          "CREATE USER IF NOT EXISTS '%s'@'127.0.0.1' IDENTIFIED BY '%s';"
          "GRANT ALL PRIVILEGES ON *.* TO '%s'@'127.0.0.1';" % (
              DB_USER, DB_PASS, DB_USER))


# ------------------------------------------------------------------ configs

def write_configs():
    venv_etc = os.path.join(VENV, 'etc')
    write(os.path.join(ETC, 'keystone', 'keystone.conf'),
          tmpl('keystone.conf'))
    write(os.path.join(ETC, 'glance', 'glance-api.conf'),
          tmpl('glance-api.conf'))
    shutil.copy(os.path.join(venv_etc, 'glance', 'glance-api-paste.ini'),
                os.path.join(ETC, 'glance'))
    write(os.path.join(ETC, 'neutron', 'neutron.conf'), tmpl('neutron.conf'))
    write(os.path.join(ETC, 'neutron', 'ml2_conf.ini'), tmpl('ml2_conf.ini'))
    shutil.copy(os.path.join(venv_etc, 'neutron', 'api-paste.ini'),
                os.path.join(ETC, 'neutron'))
    for region, r in REGIONS.items():
        write(os.path.join(ETC, 'placement-' + region, 'placement.conf'),
              tmpl('placement.conf', rtag=r['tag']))
        d = os.path.join(ETC, 'nova-' + region)
        common = tmpl('nova-common.conf', rtag=r['tag'], region=region)
        write(os.path.join(d, 'nova.conf'), common + tmpl(
            'nova-db.conf', rtag=r['tag']) +
            '\n[DEFAULT]\nhost = %s-ctl\n' % r['tag'])
        # The compute gets no database access, as in a real deployment.
        write(os.path.join(d, 'nova-compute.conf'), common +
              '\n[DEFAULT]\nhost = %s-compute\n' % r['tag'])
        shutil.copy(os.path.join(venv_etc, 'nova', 'api-paste.ini'), d)
        d = os.path.join(ETC, 'cinder-' + region)
        write(os.path.join(d, 'cinder.conf'),
              tmpl('cinder.conf', rtag=r['tag'], region=region))
        for f in ('api-paste.ini', 'resource_filters.json'):
            shutil.copy(os.path.join(venv_etc, 'cinder', f), d)
    for sub in ('glance/images', 'glance/staging', 'glance/tasks', 'neutron',
                'lock', 'nova-RegionOne/instances',
                'nova-RegionTwo/instances', 'cinder-RegionOne',
                'cinder-RegionTwo'):
        os.makedirs(os.path.join(STATE, sub), exist_ok=True)


def vb(name):
    return os.path.join(VBIN, name)


def db_sync():
    """Schema and bootstrap steps; only on the first up (stamped)."""
    stamp = os.path.join(STATE, '.synced')
    if os.path.exists(stamp):
        return
    kconf = ['--config-file', os.path.join(ETC, 'keystone', 'keystone.conf')]

    def keystone():
        run([vb('keystone-manage')] + kconf + ['db_sync'], log='sync.log')
        for what in ('fernet_setup', 'credential_setup'):
            run([vb('keystone-manage')] + kconf + [
                what, '--keystone-user', 'root', '--keystone-group', 'root'],
                log='sync.log')
        run([vb('keystone-manage')] + kconf + [
            'bootstrap', '--bootstrap-password', 'admin',
            '--bootstrap-username', 'admin',
            '--bootstrap-project-name', 'admin',
            '--bootstrap-role-name', 'admin',
            '--bootstrap-service-name', 'keystone',
            '--bootstrap-region-id', 'RegionOne',
            '--bootstrap-admin-url', KEYSTONE_URL,
            '--bootstrap-internal-url', KEYSTONE_URL,
            '--bootstrap-public-url', KEYSTONE_URL], log='sync.log')

    def glance():
        run([vb('glance-manage'), '--config-file',
             os.path.join(ETC, 'glance', 'glance-api.conf'), 'db_sync'],
            log='sync.log')

    def neutron():
        run([vb('neutron-db-manage'), '--config-file',
             os.path.join(ETC, 'neutron', 'neutron.conf'), '--config-file',
             os.path.join(ETC, 'neutron', 'ml2_conf.ini'), 'upgrade',
             'heads'], log='sync.log')

    def region(region, r):
        run([vb('placement-manage'), '--config-file',
             os.path.join(ETC, 'placement-' + region, 'placement.conf'),
             'db', 'sync'], log='sync.log')
        run([vb('cinder-manage'), '--config-file',
             os.path.join(ETC, 'cinder-' + region, 'cinder.conf'),
             'db', 'sync'], log='sync.log')
        nm = [vb('nova-manage'), '--config-file',
              os.path.join(ETC, 'nova-' + region, 'nova.conf')]
        run(nm + ['api_db', 'sync'], log='sync.log')
        run(nm + ['cell_v2', 'map_cell0', '--database_connection',
                  '%s/nova_%s_cell0' % (DB_URL, r['tag'])], log='sync.log')
        run(nm + ['db', 'sync'], log='sync.log')
        out = run(nm + ['cell_v2', 'list_cells'], log='sync.log').stdout
        if ' cell1 ' not in out:
            run(nm + ['cell_v2', 'create_cell', '--name', 'cell1'],
                log='sync.log')

    say('database schemas (first time only)')
    with concurrent.futures.ThreadPoolExecutor(3) as ex:
        futs = [ex.submit(keystone), ex.submit(glance), ex.submit(neutron)]
        futs += [ex.submit(region, n, r) for n, r in REGIONS.items()]
        for f in futs:
            f.result()
    write(stamp, 'ok\n')


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


# ------------------------------------------------------------------ commands

EXPECTED = (['mariadb', 'epmd', 'rabbitmq', 'keystone', 'glance', 'neutron'] +
            [s + '-' + r for r in REGIONS for s in (
                'placement', 'nova-api', 'nova-conductor', 'nova-scheduler',
                'nova-compute', 'cinder-api', 'cinder-scheduler',
                'cinder-volume')])


def memory_mb():
    return sum(rss_kb(p) for _, pgid in recorded()
               for p in group_pids(pgid)) / 1024.0


def cmd_up():
    procs = dict(recorded())
    running = [n for n, p in procs.items() if group_pids(p)]
    if running and set(EXPECTED) <= set(running):
        print('realcloud is already running (%d services, %.0f MB RSS); '
              'OS_CLIENT_CONFIG_FILE=%s' % (len(running), memory_mb(),
                                           os.path.join(STATE, 'clouds.yaml')))
        return 0
    if running:
        say('partly running (%s); restarting' % ', '.join(sorted(running)))
        stop_all()
    for _, name in [(0, n) for n, _ in recorded()]:
        os.unlink(pidfile(name))
    os.makedirs(STATE, exist_ok=True)
    install()
    say('installed')
    start_infra()
    write_configs()
    db_sync()
    start_openstack()
    path = clouds_yaml()
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        errs = [e for e in ex.map(smoke, REGIONS) if e]
    if errs:
        print('\n'.join(errs))
        sys.exit('smoke test failed; logs in %s' % LOG)
    say('both regions booted a server with a port, attached a volume, '
        'deleted both')
    print('realcloud is up in %.0f s, %.0f MB RSS' % (time.time() - T0,
                                                      memory_mb()))
    print('export OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=real' % path)
    return 0


def cmd_down():
    if not stop_all():
        print('realcloud: nothing running')
    return 0


def cmd_reset():
    stop_all()
    keep = {'venv'}
    if os.path.isdir(STATE):
        for e in os.listdir(STATE):
            if e not in keep:
                p = os.path.join(STATE, e)
                shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(
                    p) else os.unlink(p)
    print('realcloud: state wiped (kept the install in %s)' % VENV)
    return 0


def cmd_status():
    procs = dict(recorded())
    urls = dict(http_services())
    tcp = {'mariadb': PORTS['mysql'], 'rabbitmq': PORTS['rabbit'],
           'epmd': PORTS['epmd']}
    bad = 0
    for name in EXPECTED:
        pid = procs.get(name)
        pids = group_pids(pid) if pid else []
        mem = sum(rss_kb(p) for p in pids) / 1024.0
        if not pids:
            state = 'stopped'
        elif name in urls:
            state = 'answers' if http_answers(urls[name]) else 'NOT ANSWERING'
        elif name in tcp:
            state = 'answers' if tcp_open(tcp[name]) else 'NOT ANSWERING'
        else:
            state = 'running'
        bad += state not in ('answers', 'running')
        print('%-26s %-14s pid %-8s %6.0f MB' % (name, state, pid or '-', mem))
    print('total RSS %.0f MB' % memory_mb())
    return 1 if bad else 0


def main():
    cmds = {'up': cmd_up, 'down': cmd_down, 'reset': cmd_reset,
            'status': cmd_status}
    if len(sys.argv) != 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    if os.geteuid() != 0:
        sys.exit('realcloud must run as root (it runs MariaDB and RabbitMQ '
                 'as root in its own state directory)')
    sys.exit(cmds[sys.argv[1]]())


if __name__ == '__main__':
    main()
