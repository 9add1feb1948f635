"""Records the differential-conformance fixtures from the real cloud.

Runs the call script (crates/cutover-sim/tests/differential/calls.yaml)
against `realcloud` and writes, per step, the response status, the headers
that matter and the body *shape* (every JSON key path with its value
types; arrays as the union of their elements) to fixtures/<step>.json.
The Rust test `differential` replays the script against the simulator and
compares.  Keep shape() and the header list in step with
crates/cutover-sim/tests/differential/script.rs.
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
DIFF = os.path.join(ROOT, 'crates', 'cutover-sim', 'tests', 'differential')
# Headers whose value is compared, and headers whose presence is.
VALUE_HEADERS = ('content-type', 'openstack-api-version',
                 'x-openstack-nova-api-version')
PRESENCE_HEADERS = ('location', 'x-subject-token', 'x-openstack-request-id')


def type_name(v):
    if v is None:
        return 'null'
    if isinstance(v, bool):
        return 'boolean'
    if isinstance(v, int):
        return 'integer'
    if isinstance(v, float):
        return 'float'
    if isinstance(v, str):
        return 'string'
    if isinstance(v, list):
        return 'array'
    return 'object'


def child(path, key):
    return '/' + key if path == '/' else path + '/' + key


def walk(v, path, out):
    out.setdefault(path, set()).add(type_name(v))
    if isinstance(v, dict):
        for k, x in v.items():
            walk(x, child(path, k.replace('~', '~0').replace('/', '~1')), out)
    elif isinstance(v, list):
        for x in v:
            walk(x, child(path, '[]'), out)


def shape(text):
    """Key path -> '|'-joined sorted value types; {} for an empty body."""
    if not text.strip():
        return {}
    try:
        body = json.loads(text)
    except ValueError:
        return {'/': 'non-json'}
    out = {}
    walk(body, '/', out)
    return {p: '|'.join(sorted(t)) for p, t in out.items()}


def subst(value, env):
    if isinstance(value, str):
        def var(m):
            if m.group(1) not in env:
                raise SystemExit('unknown variable ${%s}' % m.group(1))
            return env[m.group(1)]
        return re.sub(r'\$\{(\w+)\}', var, value)
    if isinstance(value, list):
        return [subst(v, env) for v in value]
    if isinstance(value, dict):
        return {k: subst(v, env) for k, v in value.items()}
    return value


def pointer(body, ptr):
    cur = body
    for part in ptr.split('/')[1:]:
        part = part.replace('~1', '/').replace('~0', '~')
        if isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return None
    return cur


class Client:
    def __init__(self, auth_url):
        self.auth_url = auth_url.rstrip('/')
        self.catalog = []
        self.token = None

    def endpoint(self, service, region):
        if service == 'auth':
            return self.auth_url
        for svc in self.catalog:
            if svc['type'] != service:
                continue
            for ep in svc['endpoints']:
                if ep['interface'] == 'public' and ep.get('region_id', ep.get('region')) == region:
                    return ep['url'].rstrip('/')
        raise SystemExit('no %s endpoint in %s' % (service, region))

    def send(self, method, url, mv, body):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header('Accept', 'application/json')
        if data is not None:
            req.add_header('Content-Type', 'application/json')
        if self.token:
            req.add_header('X-Auth-Token', self.token)
        if mv:
            req.add_header('OpenStack-API-Version', 'compute ' + mv)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode()


def run_step(client, step, mv, env):
    method = step.get('method', 'GET')
    url = client.endpoint(step['service'], step.get('region', 'RegionOne')) + subst(step['path'], env)
    body = subst(step['body'], env) if 'body' in step else None
    wait = step.get('wait')
    deadline = time.time() + (wait or {}).get('timeout', 0)
    while True:
        status, headers, text = client.send(method, url, mv, body)
        if not wait:
            break
        if 'status' in wait:
            done = status == wait['status']
        else:
            try:
                done = pointer(json.loads(text), wait['pointer']) == wait['equals']
            except ValueError:
                done = False
        if done:
            break
        if time.time() > deadline:
            raise SystemExit('%s: timed out waiting (%s): %s %s' % (step['name'], wait, status, text[:300]))
        time.sleep(1)
    return status, headers, text


def capture(step, headers, text, env):
    for var, src in step.get('capture', {}).items():
        if src.startswith('header:') or src.startswith('header-tail:'):
            kind, name = src.split(':', 1)
            value = headers.get(name.lower())
            if value is not None and kind == 'header-tail':
                value = value.rstrip('/').rsplit('/', 1)[-1]
        else:
            value = pointer(json.loads(text) if text.strip() else None, src)
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
        if not isinstance(value, str):
            raise SystemExit('%s: cannot capture %s from %s: %s' % (step['name'], var, src, text[:500]))
        env[var] = value


def fixture(step, mv, status, headers):
    kept = {h: headers[h] for h in VALUE_HEADERS if h in headers}
    kept.update({h: '<present>' for h in PRESENCE_HEADERS if h in headers})
    return {'method': step.get('method', 'GET'), 'path': step['path'],
            'microversion': mv, 'status': status, 'headers': kept}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--auth-url', default='http://127.0.0.1:25000/v3')
    ap.add_argument('--out', default=os.path.join(DIFF, 'fixtures'))
    args = ap.parse_args()
    with open(os.path.join(DIFF, 'calls.yaml')) as f:
        script = yaml.safe_load(f)
    env = dict(script.get('vars', {}))
    client = Client(args.auth_url)
    os.makedirs(args.out, exist_ok=True)
    written = set()
    t0 = time.time()
    for step in script['steps']:
        for mv in step.get('microversions', [step.get('microversion')]):
            status, headers, text = run_step(client, step, mv, env)
            if step['name'] == 'keystone-auth':
                client.token = headers['x-subject-token']
                client.catalog = json.loads(text)['token']['catalog']
            capture(step, headers, text, env)
            print('%6.1fs %-40s %s' % (time.time() - t0, step['name'] + ('@' + mv if mv else ''), status))
            if step.get('record', True) is False:
                continue
            name = step['name'] + ('@' + mv if mv else '') + '.json'
            doc = fixture(step, mv, status, headers)
            doc['shape'] = shape(text)
            with open(os.path.join(args.out, name), 'w') as f:
                json.dump(doc, f, indent=1, sort_keys=True)
                f.write('\n')
            written.add(name)
    for stale in set(os.listdir(args.out)) - written:
        if stale.endswith('.json'):
            os.remove(os.path.join(args.out, stale))
    print('%d fixtures in %s' % (len(written), os.path.relpath(args.out, ROOT)))


if __name__ == '__main__':
    sys.exit(main())
