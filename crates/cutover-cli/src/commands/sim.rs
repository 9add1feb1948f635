/*!
`cutover sim`: serve a simulated cloud until SIGINT or SIGTERM.
*/

use anyhow::Context as _;
use cutover_sim::model::compute::Networking;
use cutover_sim::{clouds_yaml, generate, GenerateOptions, RunningSim, Scenario, ServeError};

use super::run::wait_for_signal;
use crate::cli::{NetworkMode, SimArgs};
use crate::errors::InputError;

pub fn run(args: SimArgs, runtime: &tokio::runtime::Handle) -> anyhow::Result<()> {
    if let Some(scale) = args.time_scale {
        if !(scale >= 0.0 && scale.is_finite()) {
            return Err(InputError(format!("--time-scale must be a number >= 0, not {scale}")).into());
        }
    }
    let scenario = scenario(&args)?;
    if args.print_scenario {
        print!("{}", yaml_serde::to_string(&scenario).context("rendering the scenario")?);
        return Ok(());
    }
    runtime.block_on(serve(args, scenario))
}

fn scenario(args: &SimArgs) -> anyhow::Result<Scenario> {
    if let (Some(hosts), Some(servers)) = (args.hosts, args.servers) {
        if hosts == 0 {
            return Err(InputError("--hosts must be at least 1".into()).into());
        }
        let networking = match args.network {
            NetworkMode::Neutron => Networking::Neutron,
            NetworkMode::NovaNetwork => Networking::NovaNetwork,
        };
        return Ok(generate(&GenerateOptions {
            hosts,
            servers,
            new_hosts: args.new_hosts,
            networking,
            seed: args.seed,
        }));
    }
    match &args.scenario {
        None => Ok(Scenario::builtin()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| InputError(format!("cannot read scenario {}: {e}", path.display())))?;
            parse_scenario(&text).map_err(|e| InputError(format!("scenario {}: {e}", path.display())).into())
        }
    }
}

/// A scenario file's text, parsed; the error is one line, its quotes of
/// the text bounded.
pub(crate) fn parse_scenario(text: &str) -> Result<Scenario, String> {
    Scenario::from_yaml(text).map_err(|e| cutover_core::quote::one_line(&e.to_string()))
}

/// A scenario the simulator would refuse to load (a reference to nothing,
/// a duplicate): one line, its quotes bounded.
pub(crate) fn refused_scenario(err: &ServeError) -> InputError {
    InputError(cutover_core::quote::one_line(&err.to_string()))
}

async fn serve(args: SimArgs, scenario: Scenario) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let running = RunningSim::start(args.listen, &scenario, args.time_scale).await.map_err(|e| match e {
        ServeError::Scenario(_) | ServeError::NotLoopback(_) => anyhow::Error::new(refused_scenario(&e)),
        other => anyhow::Error::new(other),
    })?;
    if let Some(path) = &args.write_clouds_yaml {
        write_clouds_yaml(&scenario, &running.auth_url(), path)?;
        eprintln!("cutover sim: wrote {} (cloud `sim`)", path.display());
    }
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "simulator loaded");
    println!("{}", running.auth_url());
    wait_for_signal().await?;
    eprintln!("cutover sim: stopping");
    running.stop().await.context("stopping the simulator")?;
    Ok(())
}

/// A clouds.yaml with one cloud, `sim`, for the scenario's first admin
/// user, scoped to the project where it holds `admin`.
pub(super) fn write_clouds_yaml(scenario: &Scenario, auth_url: &str, path: &std::path::Path) -> anyhow::Result<()> {
    let admin = admin_of(scenario)?;
    let regions: Vec<&str> = scenario.regions.iter().map(|r| r.name.as_str()).collect();
    let text = clouds_yaml(auth_url, &regions, admin.name, admin.password, admin.project);
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The scenario's first user holding `admin`, and the project where it does.
pub(super) struct Admin<'a> {
    pub name: &'a str,
    pub password: &'a str,
    pub project: &'a str,
}

pub(super) fn admin_of(scenario: &Scenario) -> Result<Admin<'_>, InputError> {
    let admin = scenario.users.iter().find(|u| u.roles.values().flatten().any(|r| r == "admin"));
    let Some(admin) = admin else {
        return Err(InputError("the scenario has no user with the admin role to write clouds.yaml for".into()));
    };
    let project =
        admin.roles.iter().find(|(_, r)| r.iter().any(|r| r == "admin")).map(|(p, _)| p.as_str()).unwrap_or("admin");
    Ok(Admin { name: &admin.name, password: &admin.password, project })
}
