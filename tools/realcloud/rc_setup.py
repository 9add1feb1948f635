"""Installing and preparing realcloud: packages, MariaDB and RabbitMQ,
service configuration files and database schemas.
"""
import concurrent.futures
import hashlib
import os
import shutil
import subprocess
import sys


from rc_base import *  # noqa: F401,F403 (the shared constants and helpers)


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

    install_venv(VENV, PIP_PACKAGES, 'constraints.txt')
    if OLD_NOVA != 'current':
        old = OLD_NOVAS[OLD_NOVA]
        install_venv(nova_venv('RegionOne'), old['pip'], old['constraints'])


def install_venv(venv, packages, constraints):
    """pip-install packages (pinned by the file constraints beside this
    one) and our drivers into venv, unless its stamp says it is done."""
    h = hashlib.sha256()
    h.update('\n'.join(packages).encode())
    for root, _, files in sorted(os.walk(os.path.join(HERE, 'drivers'))):
        for f in sorted(files):
            if f.endswith(('.py', '.toml')):
                with open(os.path.join(root, f), 'rb') as fh:
                    h.update(fh.read())
    with open(os.path.join(HERE, constraints), 'rb') as fh:
        h.update(fh.read())
    stamp = os.path.join(venv, '.realcloud-installed')
    want = h.hexdigest()
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    say('pip install into', venv, '(first time: a few minutes)')
    pip = os.path.join(venv, 'bin', 'pip')
    if not os.path.exists(os.path.join(venv, 'bin', 'python')):
        run([sys.executable, '-m', 'venv', venv])
        run([pip, 'install', '-q', '--upgrade', 'pip'])
    run([pip, 'install', '-q', '-c', os.path.join(HERE, constraints)] +
        packages, log='pip.log')
    drivers = os.path.join(STATE, 'build', 'drivers')
    shutil.rmtree(drivers, ignore_errors=True)
    shutil.copytree(os.path.join(HERE, 'drivers'), drivers)
    run([pip, 'install', '-q', '--no-deps', '--force-reinstall', drivers],
        log='pip.log')
    # Nova loads compute_driver as nova.virt.<name>: a shim re-exports ours.
    write(os.path.join(site_packages(venv), 'nova', 'virt',
                       'cutover_fake.py'),
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
    for vh in (['neutron'] + ['nova_' + r['tag'] for r in REGIONS.values()] +
               [c['db'] for c in cinders()]):
        if vh not in vhosts:
            run(ctl + ['add_vhost', vh], env=renv)
        run(ctl + ['set_permissions', '-p', vh, RABBIT_USER, '.*', '.*',
                   '.*'], env=renv)

    dbs = ['keystone', 'glance', 'neutron'] + [c['db'] for c in cinders()]
    for r in REGIONS.values():
        dbs += ['placement_' + r['tag']] + [
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
        write(os.path.join(d, 'nova.conf'), nova_common(
            region, os.path.join(STATE, 'nova-' + region)) + tmpl(
            'nova-db.conf', rtag=r['tag']) +
            '\n[DEFAULT]\nhost = %s-ctl\n' % r['tag'])
        for host in r['computes']:
            compute_conf(region, host)
        shutil.copy(os.path.join(nova_venv(region), 'etc', 'nova',
                                 'api-paste.ini'), d)
    for c in cinders():
        d = os.path.join(ETC, 'cinder' + c['suffix'])
        write(os.path.join(d, 'cinder.conf'), tmpl(
            'cinder.conf', cinder_dir='cinder' + c['suffix'],
            cinder_host=c['host'], cinder_db=c['db'],
            nova_region=c['regions'][0]))
        for f in ('api-paste.ini', 'resource_filters.json'):
            shutil.copy(os.path.join(venv_etc, 'cinder', f), d)
        os.makedirs(os.path.join(STATE, 'cinder' + c['suffix']),
                    exist_ok=True)
    for sub in ('glance/images', 'glance/staging', 'glance/tasks', 'neutron',
                'lock'):
        os.makedirs(os.path.join(STATE, sub), exist_ok=True)


def nova_common(region, nova_state):
    return tmpl('nova-common.conf', rtag=REGIONS[region]['tag'],
                region=region, nova_state=nova_state)


def compute_conf(region, host):
    """Write the nova-compute config of host serving region; its path.

    Each compute host has its own state_path (its node identity
    `compute_id`, instances, locks), as on separate machines; the one a
    handed-off host gets in its new region is a fresh one, as after a
    reinstall. The compute gets no database access, as in a real deployment.
    """
    nova_state = os.path.join(STATE, 'nova-' + region, host)
    os.makedirs(os.path.join(nova_state, 'instances'), exist_ok=True)
    path = os.path.join(ETC, 'nova-' + region, 'nova-compute-%s.conf' % host)
    write(path, nova_common(region, nova_state) +
          '\n[DEFAULT]\nhost = %s\n' % host)
    return path


def check_layout():
    """Refuse a state made for another layout: the catalog, the databases,
    the vhosts and RegionOne's schema are made once, on the first `up`."""
    stamp = os.path.join(STATE, '.layout')
    want = 'cinder=%s regionone-nova=%s\n' % (CINDER_LAYOUT, OLD_NOVA)
    if CINDER_LAYOUT not in CINDER_LAYOUTS:
        sys.exit('REALCLOUD_CINDER must be one of %s' % ', '.join(
            CINDER_LAYOUTS))
    if OLD_NOVA != 'current' and OLD_NOVA not in OLD_NOVAS:
        sys.exit('REALCLOUD_OLD_NOVA must be current or one of %s' %
                 ', '.join(OLD_NOVAS))
    have = open(stamp).read() if os.path.exists(stamp) else None
    if have is None and not os.path.exists(os.path.join(STATE, '.synced')):
        write(stamp, want)
    elif have != want:
        sys.exit('the state in %s was made for another layout (%s); '
                 '`realcloud reset` first' % (
                     STATE, (have or 'cinder per region, one compute per '
                             'region').strip()))


def vb(name, venv=VENV):
    return os.path.join(venv, 'bin', name)


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

    def cinder(c):
        run([vb('cinder-manage'), '--config-file',
             os.path.join(ETC, 'cinder' + c['suffix'], 'cinder.conf'),
             'db', 'sync'], log='sync.log')

    def region(region, r):
        venv = nova_venv(region)
        run([vb('placement-manage', venv), '--config-file',
             os.path.join(ETC, 'placement-' + region, 'placement.conf'),
             'db', 'sync'], log='sync.log')
        nm = [vb('nova-manage', venv), '--config-file',
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
        futs += [ex.submit(cinder, c) for c in cinders()]
        for f in futs:
            f.result()
    write(stamp, 'ok\n')


