#!/usr/bin/env python3
"""redeploy-host: realcloud's operator-style `--on-host-empty` hook.

    redeploy-host HOST OLD_REGION NEW_REGION MIGRATION

Redeploys an emptied compute host of OLD_REGION into NEW_REGION as a real
redeploy would, on this machine: stops OLD_REGION's nova-compute of HOST
(by its recorded PID, as `realcloud down` does), then starts a nova-compute
under the same host name configured for NEW_REGION (its Nova's message-bus
vhost and Placement, an emptied state_path: a new node identity, as after
a reinstall) and records it, so that `realcloud status` shows it and
`realcloud down` stops it. Joining is cutover's to check; the hook only
waits until the new process has stayed up a few seconds, so that a broken
start fails here, with its log.

Idempotent (cutover may run it twice for a host): a host whose NEW_REGION
compute already runs is left alone, exit 0. Exit 2 for arguments that are
not a realcloud host and region pair; 1 when the new compute dies.
`realcloud up` gives handed-off hosts back to their old region.
"""
import os
import shutil
import sys
import time

from rc_base import *  # noqa: F401,F403
from rc_services import start_compute

SETTLE_SECS = 5


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    host, old, new, migration = sys.argv[1:]
    if old not in REGIONS or new not in REGIONS or old == new:
        print('redeploy-host: regions %r -> %r: realcloud has %s' % (
            old, new, ', '.join(REGIONS)), file=sys.stderr)
        return 2
    if host not in REGIONS[old]['computes']:
        print('redeploy-host: %r is not a compute host of %s (%s)' % (
            host, old, ', '.join(REGIONS[old]['computes'])), file=sys.stderr)
        return 2
    procs = dict(recorded())
    there = procs.get(compute_name(new, host))
    if there and group_pids(there):
        say('%s already runs as a compute of %s (pid %d)' % (host, new, there))
        return 0
    here = procs.get(compute_name(old, host))
    if here:
        say('stopping the %s nova-compute of %s' % (old, host))
        stop_group([(compute_name(old, host), here)], 10)
    # Recorded before the start: `up` gives the host back even if the hook
    # dies between the two.
    write(os.path.join(HANDOFF, host), '%s %s %s\n' % (old, new, migration))
    # A reinstalled host starts with an empty disk: a new node identity
    # also when this host was handed off to NEW_REGION before.
    shutil.rmtree(os.path.join(STATE, 'nova-' + new, host), ignore_errors=True)
    pid = start_compute(new, host)
    say('started nova-compute of %s for %s, pid %d (log %s)' % (
        host, new, pid, os.path.join(LOG, compute_name(new, host) + '.log')))
    time.sleep(SETTLE_SECS)
    if not group_pids(pid):
        with open(os.path.join(LOG, compute_name(new, host) + '.log')) as f:
            print(f.read()[-3000:], file=sys.stderr)
        print('redeploy-host: the new nova-compute of %s died' % host,
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
