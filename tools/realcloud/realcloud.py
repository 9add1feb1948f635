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
import os
import shutil
import sys
import time


from rc_base import *  # noqa: F401,F403
from rc_setup import *  # noqa: F401,F403
from rc_services import *  # noqa: F401,F403


# ------------------------------------------------------------------ commands

def memory_mb():
    return sum(rss_kb(p) for _, pgid in recorded()
               for p in group_pids(pgid)) / 1024.0


def cmd_up():
    check_layout()
    procs = dict(recorded())
    running = {n for n, p in procs.items() if group_pids(p)}
    handed = handoffs()
    # A handed-off host's compute in its old region is stopped on purpose.
    want = set(layout_names()) - {compute_name(old, h)
                                  for h, (old, _) in handed.items()}
    if running and want <= running:
        if not handed:
            print('realcloud is already running (%d services, %.0f MB RSS); '
                  'OS_CLIENT_CONFIG_FILE=%s' % (
                      len(running), memory_mb(),
                      os.path.join(STATE, 'clouds.yaml')))
            return 0
        for host, (old, new) in sorted(handed.items()):
            give_back(host, old, new)
            start_compute(old, host)
        for host, (old, _) in sorted(handed.items()):
            err = hypervisor_up(old, host, time.time() + 240)
            if err:
                sys.exit(err)
        print('realcloud: %s back in %s as at first, in %.0f s' % (
            ', '.join(sorted(handed)), ', '.join(sorted(
                {old for old, _ in handed.values()})), time.time() - T0))
        return 0
    if running:
        say('partly running (%s); restarting' % ', '.join(sorted(running)))
        stop_all()
    for name, _ in recorded():
        os.unlink(pidfile(name))
    os.makedirs(STATE, exist_ok=True)
    install()
    say('installed')
    start_infra()
    write_configs()
    db_sync()
    path = clouds_yaml()
    start_openstack()
    for host, (old, new) in sorted(handed.items()):
        give_back(host, old, new)
    errs = smoke()
    if errs:
        print('\n'.join(errs))
        sys.exit('smoke test failed; logs in %s' % LOG)
    say('every compute booted a server with a port; %s; all deleted' % (
        'one volume attached in both regions' if CINDER_LAYOUT == 'shared'
        else 'a volume attached in each region'))
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
    if os.path.isdir(STATE):
        for e in os.listdir(STATE):
            if e != 'venv' and not e.startswith('venv-'):
                p = os.path.join(STATE, e)
                shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(
                    p) else os.unlink(p)
    print('realcloud: state wiped (kept the installs: %s*)' % VENV)
    return 0


def cmd_status():
    procs = dict(recorded())
    urls = dict(http_services())
    tcp = {'mariadb': PORTS['mysql'], 'rabbitmq': PORTS['rabbit'],
           'epmd': PORTS['epmd']}
    handed = handoffs()
    notes = {}
    for host, (old, new) in handed.items():
        notes[compute_name(old, host)] = 'handed off to ' + new
        notes[compute_name(new, host)] = 'handed off from ' + old
    names = layout_names()
    names += sorted(set(procs) - set(names)) + sorted(
        set(notes) - set(procs) - set(names))
    bad = 0
    for name in names:
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
        handed_away = notes.get(name, '').startswith('handed off to')
        bad += state not in ('answers', 'running') and not handed_away
        print('%-36s %-14s pid %-8s %6.0f MB %s' % (
            name, state, pid or '-', mem, notes.get(name, '')))
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
