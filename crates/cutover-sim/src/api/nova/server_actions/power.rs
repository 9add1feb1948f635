/*!
Power actions: `os-stop`, `os-start` and `reboot`, with the state checks
of `compute_api.stop/start/reboot` (lock, host, vm and task state) and the
task states the compute manager passes through.
*/

use axum::response::Response;
use serde_json::Value;

use super::common::accepted;
use super::common::{begin, check_state, check_unlocked, invalid_input, step};
use crate::api::nova::instance_actions;
use crate::api::nova::lookup::visible_server_mut;
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{PowerState, Server, VmState};
use crate::sim::Sim;

/// `check_instance_host`: a server never placed on a host cannot be
/// powered on or off.
fn check_host(server: &Server) -> ApiResult<()> {
    if server.host.is_none() {
        return Err(ApiError::conflict(format!("Instance {} is not ready", server.id)));
    }
    Ok(())
}

/// `must_have_launched`: the server booted at least once.
fn check_launched(server: &Server, action: &str) -> ApiResult<()> {
    if server.launched_at.is_none() {
        return Err(super::common::invalid_state(action, &server.id, "launched_at", "None"));
    }
    Ok(())
}

/// A power transition: which states allow it, the task it runs as, how
/// long it takes and where it ends.
struct Transition {
    action: &'static str,
    /// The compute manager's event for it.
    event: &'static str,
    allowed: &'static [VmState],
    task: &'static str,
    secs: fn(&crate::clock::TimeModel) -> f64,
    done: (VmState, PowerState),
}

const STOP: Transition = Transition {
    action: "stop",
    event: "compute_stop_instance",
    allowed: &[VmState::Active, VmState::Error],
    task: "powering-off",
    secs: |t| t.stop_secs,
    done: (VmState::Stopped, PowerState::Shutdown),
};

const START: Transition = Transition {
    action: "start",
    event: "compute_start_instance",
    allowed: &[VmState::Stopped],
    task: "powering-on",
    secs: |t| t.start_secs,
    done: (VmState::Active, PowerState::Running),
};

fn power(sim: &Sim, nova: &Nova, id: &str, t: &Transition) -> ApiResult<Response> {
    let mut w = sim.world();
    let now = w.now;
    let secs = (t.secs)(&w.time);
    let server = visible_server_mut(&mut w, nova, id)?;
    check_unlocked(server, nova)?;
    check_host(server)?;
    check_state(server, t.action, t.allowed, true)?;
    check_launched(server, t.action)?;
    let generation = begin(server, now, Some(t.task));
    let done = t.done;
    step(&mut w, &nova.region, id, generation, secs, move |s, _| {
        s.vm_state = done.0;
        s.power_state = done.1;
        s.task_state = None;
    });
    instance_actions::record(&mut w, nova, id, t.action, Some(t.event));
    instance_actions::finish_after(&mut w, &nova.region, id, t.event, secs, None);
    Ok(accepted())
}

pub fn stop(sim: &Sim, nova: &Nova, id: &str) -> ApiResult<Response> {
    power(sim, nova, id, &STOP)
}

pub fn start(sim: &Sim, nova: &Nova, id: &str) -> ApiResult<Response> {
    power(sim, nova, id, &START)
}

/// Task states a hard reboot may interrupt (`task_states.ALLOW_REBOOT`).
const ALLOW_REBOOT: [&str; 8] = [
    "rebooting",
    "reboot_pending",
    "reboot_started",
    "resuming",
    "rebooting_hard",
    "unpausing",
    "pausing",
    "suspending",
];

pub fn reboot(sim: &Sim, nova: &Nova, id: &str, args: &Value) -> ApiResult<Response> {
    super::common::only_keys("reboot", args, &["type"])?;
    let hard = match args.get("type") {
        Some(Value::String(t)) if t.eq_ignore_ascii_case("soft") => false,
        Some(Value::String(t)) if t.eq_ignore_ascii_case("hard") => true,
        Some(other) => {
            return Err(invalid_input(
                "type",
                other,
                format!("{other} is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']"),
            ))
        }
        None => return Err(invalid_input("reboot", args, "'type' is a required property")),
    };
    let mut w = sim.world();
    let now = w.now;
    let secs = w.time.reboot_secs;
    let server = visible_server_mut(&mut w, nova, id)?;
    check_unlocked(server, nova)?;
    let task = if hard {
        check_state(
            server,
            "reboot",
            &[VmState::Active, VmState::Stopped, VmState::Paused, VmState::Suspended, VmState::Error],
            false,
        )?;
        if let Some(t) = server.task_state.as_deref().filter(|t| !ALLOW_REBOOT.contains(t)) {
            return Err(super::common::invalid_state("reboot", id, "task_state", t));
        }
        "rebooting_hard"
    } else {
        check_state(server, "reboot", &[VmState::Active], true)?;
        "rebooting"
    };
    check_launched(server, "reboot")?;
    let generation = begin(server, now, Some(task));
    step(&mut w, &nova.region, id, generation, secs, |s, _| {
        s.vm_state = VmState::Active;
        s.power_state = PowerState::Running;
        s.task_state = None;
    });
    instance_actions::record(&mut w, nova, id, "reboot", Some("compute_reboot_instance"));
    instance_actions::finish_after(&mut w, &nova.region, id, "compute_reboot_instance", secs, None);
    Ok(accepted())
}
