use super::*;

fn svc(binary: &str, host: &str, up: bool, enabled: bool) -> ComputeService {
    ComputeService {
        id: format!("{binary}@{host}"),
        binary: binary.into(),
        host: host.into(),
        zone: if binary == COMPUTE { "nova".into() } else { "internal".into() },
        enabled,
        up,
        disabled_reason: (!enabled).then(|| "maintenance".to_string()),
    }
}

fn hv(host: &str) -> Hypervisor {
    Hypervisor {
        id: format!("hv-{host}"),
        hostname: format!("{host}.example.org").into(),
        service_host: Some(host.into()),
        up: true,
        enabled: true,
        resources: None,
    }
}

fn healthy() -> (Vec<ComputeService>, Vec<Hypervisor>) {
    let services = vec![
        svc(COMPUTE, "new-2", true, true),
        svc("nova-scheduler", "ctl", true, true),
        svc(COMPUTE, "new-1", true, true),
        svc("nova-conductor", "ctl", true, true),
        svc("nova-consoleauth", "ctl", true, true),
    ];
    (services, vec![hv("new-1"), hv("new-2")])
}

fn expected(hosts: &[&str]) -> BTreeSet<HostName> {
    hosts.iter().map(|&h| h.into()).collect()
}

fn brief(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|r| format!("{} {} {} {}", r.binary, r.host.as_deref().unwrap_or("-"), r.verdict.as_str(), r.detail))
        .map(|s| s.trim_end().to_string())
        .collect()
}

#[test]
fn a_healthy_region_passes_in_service_list_order() {
    let (services, hypervisors) = healthy();
    let rows = verify(&services, &hypervisors, Some(&expected(&["new-1", "new-2"])));
    assert_eq!(
        brief(&rows),
        [
            "nova-conductor ctl ok",
            "nova-scheduler ctl ok",
            "nova-consoleauth ctl ok",
            "nova-compute new-1 ok",
            "nova-compute new-2 ok",
        ]
    );
    assert_eq!(rows[3].hypervisor.as_deref(), Some("new-1.example.org"));
}

#[test]
fn missing_control_services_and_hosts_fail() {
    let (mut services, hypervisors) = healthy();
    services.retain(|s| s.binary != "nova-scheduler");
    let rows = verify(&services, &hypervisors, Some(&expected(&["new-1", "new-3"])));
    let fails: Vec<String> = brief(&rows).into_iter().filter(|r| r.contains(" fail")).collect();
    assert_eq!(
        fails,
        [
            "nova-scheduler - fail no nova-scheduler service registered",
            "nova-compute new-3 fail expected host has not registered"
        ]
    );
    assert!(brief(&rows).contains(&"nova-compute new-2 warn not an expected host".to_string()));
}

#[test]
fn an_expected_host_down_disabled_or_without_hypervisor_fails() {
    let (mut services, mut hypervisors) = healthy();
    services.push(svc(COMPUTE, "new-3", false, true));
    services.push(svc(COMPUTE, "new-4", true, false));
    hypervisors.retain(|h| h.hostname != "new-2.example.org");
    let rows = verify(&services, &hypervisors, Some(&expected(&["new-1", "new-2", "new-3", "new-4"])));
    let b = brief(&rows);
    assert!(b.contains(&"nova-compute new-2 fail no hypervisor registered".to_string()), "{b:?}");
    assert!(b.contains(&"nova-compute new-3 fail down".to_string()), "{b:?}");
    assert!(b.contains(&"nova-compute new-4 fail disabled: maintenance".to_string()), "{b:?}");
}

#[test]
fn a_down_conductor_fails_unless_another_is_up() {
    let (mut services, hypervisors) = healthy();
    services.push(svc("nova-conductor", "ctl-2", false, true));
    let rows = verify(&services, &hypervisors, None);
    assert!(brief(&rows).contains(&"nova-conductor ctl-2 warn down (another nova-conductor is up)".to_string()));
    services.retain(|s| !(s.binary == "nova-conductor" && s.host == "ctl"));
    let rows = verify(&services, &hypervisors, None);
    assert!(brief(&rows).contains(&"nova-conductor ctl-2 fail down".to_string()));
}

#[test]
fn without_expected_hosts_one_usable_compute_is_enough() {
    let (mut services, hypervisors) = healthy();
    services[0].up = false;
    let rows = verify(&services, &hypervisors, None);
    assert!(rows.iter().all(|r| r.verdict != Verdict::Fail), "{:?}", brief(&rows));
    assert!(brief(&rows).contains(&"nova-compute new-2 warn down".to_string()));
    services.retain(|s| s.binary != COMPUTE);
    let rows = verify(&services, &hypervisors, None);
    assert_eq!(brief(&rows).last().unwrap(), "nova-compute - fail no nova-compute service is up and enabled");
}
