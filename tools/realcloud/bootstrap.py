"""Create realcloud's identities, catalog and resources (run with the venv's
python; uses openstacksdk). Every step is get-or-create, so it can be rerun.

usage: bootstrap.py identity|resources CONFIG_JSON
"""
import json
import sys
import time

import openstack

REGIONS = ('RegionOne', 'RegionTwo')


def conn(cfg, region='RegionOne'):
    return openstack.connect(
        auth_url=cfg['keystone_url'], username='admin', password='admin',
        project_name='admin', user_domain_name='Default',
        project_domain_name='Default', region_name=region,
        identity_api_version='3', interface='public')


def one(it):
    for x in it:
        return x
    return None


def identity(cfg):
    c = conn(cfg)
    idn = c.identity
    if not idn.find_region('RegionTwo'):
        idn.create_region(id='RegionTwo')
    svc_project = idn.find_project('service', domain_id='default') or \
        idn.create_project(name='service', domain_id='default')
    roles = {}
    for r in ('admin', 'service', 'member', 'reader'):
        roles[r] = idn.find_role(r) or idn.create_role(name=r)

    for name in ('nova', 'placement', 'glance', 'neutron', 'cinder'):
        u = idn.find_user(name, domain_id='default') or idn.create_user(
            name=name, password=cfg['service_password'], domain_id='default')
        for r in ('admin', 'service'):
            idn.assign_project_role_to_user(svc_project, u, roles[r])

    services = {}
    for stype, sname in (('identity', 'keystone'), ('compute', 'nova'),
                         ('placement', 'placement'), ('image', 'glance'),
                         ('network', 'neutron'), ('volumev3', 'cinderv3'),
                         ('block-storage', 'cinder')):
        services[stype] = one(idn.services(type=stype)) or \
            idn.create_service(type=stype, name=sname, is_enabled=True)

    for region in REGIONS:
        for stype, url in cfg['endpoints'][region].items():
            have = {e.interface for e in idn.endpoints(
                service_id=services[stype].id, region_id=region)}
            for iface in ('public', 'internal', 'admin'):
                if iface not in have:
                    idn.create_endpoint(service_id=services[stype].id,
                                        interface=iface, url=url,
                                        region_id=region)
    print('identity: ok')


def wait_for(what, fn, timeout=120):
    t0 = time.time()
    while True:
        try:
            r = fn()
            if r:
                return r
        except Exception as e:  # noqa
            err = e
        else:
            err = None
        if time.time() - t0 > timeout:
            raise SystemExit('timed out waiting for %s: %s' % (what, err))
        time.sleep(1)


def resources(cfg):
    c = conn(cfg)
    net = c.network
    # Neutron 29 can answer 500 on a worker's first ports query: warm up.
    wait_for('neutron', lambda: list(net.networks()) is not None)

    admin_project = c.identity.find_project('admin', domain_id='default')
    private = net.find_network('private') or net.create_network(
        name='private', shared=True, provider_network_type='flat',
        provider_physical_network='physnet1', project_id=admin_project.id)
    if not net.find_subnet('private-subnet'):
        net.create_subnet(name='private-subnet', network_id=private.id,
                          ip_version=4, cidr='10.200.0.0/20',
                          gateway_ip='10.200.0.1', enable_dhcp=False)
    public = net.find_network('public') or net.create_network(
        name='public', is_router_external=True, provider_network_type='flat',
        provider_physical_network='physnet2', project_id=admin_project.id)
    if not net.find_subnet('public-subnet'):
        net.create_subnet(name='public-subnet', network_id=public.id,
                          ip_version=4, cidr='172.24.4.0/24',
                          gateway_ip='172.24.4.1', enable_dhcp=False)
    router = net.find_router('router1')
    if not router:
        router = net.create_router(
            name='router1', external_gateway_info={'network_id': public.id})
        sub = net.find_subnet('private-subnet')
        net.add_interface_to_router(router, subnet_id=sub.id)

    img = c.image
    image = img.find_image('cirros')
    if not image:
        image = img.create_image(
            name='cirros', disk_format='raw', container_format='bare',
            visibility='public', data=b'realcloud fake cirros image\n' * 64)
    wait_for('image active',
             lambda: img.get_image(image.id).status == 'active', 60)

    for region in REGIONS:
        rc = conn(cfg, region)
        wait_for('nova %s' % region, lambda: list(rc.compute.flavors()) is not None)
        # The same ids in both regions, as an operator bootstrapping the
        # new Nova from the old one's flavors would have them: `cutover sync`
        # then finds them equal rather than different.
        for fid, name, vcpus, ram, disk in (('1', 'm1.tiny', 1, 512, 1),
                                            ('2', 'm1.small', 1, 2048, 20),
                                            ('3', 'm1.medium', 2, 4096, 40)):
            if not rc.compute.find_flavor(name):
                rc.compute.create_flavor(id=fid, name=name, vcpus=vcpus,
                                         ram=ram, disk=disk)
    print('resources: ok')


if __name__ == '__main__':
    with open(sys.argv[2]) as f:
        cfg = json.load(f)
    {'identity': identity, 'resources': resources}[sys.argv[1]](cfg)
