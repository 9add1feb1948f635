/*!
The command-line interface: global options and one subcommand enum. The
global groups are flattened from their owners: [`CloudArgs`] (cloud,
regions, settings file; see `crate::settings`) and [`OutputArgs`] (`-f`,
`-c`; see `crate::output`).
*/

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::OutputArgs;
use crate::settings::CloudArgs;

#[derive(Debug, Parser)]
#[command(
    name = "cutover",
    version,
    about = "Upgrade an OpenStack cloud's Nova by the parallel compute method",
    after_help = crate::exit_code::HELP
)]
pub struct Cli {
    /// More log output on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(flatten)]
    pub cloud: CloudArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole job on a simulated cloud: starts the simulator with a
    /// built-in scenario of 30 servers, then preflight, env verify, sync,
    /// plan and run, and prints the report (one new host fails every boot:
    /// the server sent there is rolled back, as designed).
    Demo(DemoArgs),
    /// Serve a simulated two-region OpenStack cloud on loopback.
    Sim(SimArgs),
    /// Show the settings in force (flags, environment, cutover.toml, defaults).
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Check that a cutover can start: both regions, admin rights, shared
    /// services, networking, Nova's services, capacity, every old server's
    /// flavor, image, networks and volumes (exit 3 when a check fails).
    Preflight,
    /// The new Nova environment: its configuration, its Keystone region, its services.
    Env {
        #[command(subcommand)]
        command: EnvCommand,
    },
    /// Copy Nova-owned resources (flavors, quotas, aggregates, ...) into the new region.
    Sync(SyncArgs),
    /// Plan the moves: every old server with its strategy, warnings and
    /// rebuild record, hosts in drain order (-o FILE writes it; --show
    /// FILE prints one; --check FILE compares one with the clouds, exit 3
    /// when it no longer fits).
    Plan(PlanArgs),
    /// Apply a plan: take its old hosts out of scheduling and move their
    /// servers under the limits; the same command resumes a stopped run
    /// (exit 3 when a server was rolled back or failed).
    Run(RunArgs),
    /// Show a run's progress from its journal (also while it runs).
    Status(StatusArgs),
    /// Turn moves back into the old region, on request, through the run's
    /// journal: a move not started is left alone, one under way turns back,
    /// one that moved goes back with the same ports, volumes, floating IPs
    /// and power state (exit 3 when a server is not back).
    Rollback(RollbackArgs),
    /// Delete what the migration kept on purpose (snapshots of moved
    /// servers, old servers kept stopped by redeploy), for servers that
    /// moved; asks first unless --yes (exit 3 when something stayed).
    Cleanup(CleanupArgs),
    /// When every old host has moved: delete the old Nova's remaining
    /// services and, with --endpoints, the old region's compute endpoints
    /// (refused, exit 3, while old servers or unmoved hosts remain).
    Retire(RetireArgs),
    /// The whole procedure: preflight, env verify, sync and plan; then,
    /// with --approve, the run (drain, moves, hand-off with
    /// --on-host-empty, rejoin) and retire. Without --approve it stops
    /// once the plan is written, for review.
    Upgrade(UpgradeArgs),
    /// Print a shell completion script: `cutover completions bash >
    /// /etc/bash_completion.d/cutover` (zsh: into a directory of $fpath as
    /// `_cutover`; fish: ~/.config/fish/completions/cutover.fish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or with --dir write one page per command
    /// there (cutover.1, cutover-run.1, ...).
    Man {
        /// Write the pages into DIR (which must exist) instead of printing
        /// the main one.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// `cutover upgrade`: the plan file is written once and then applied as it is.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The plan: written when absent (then the command stops for review
    /// unless --approve), applied as it is when present.
    #[arg(long, value_name = "FILE", default_value = "cutover-plan.yaml")]
    pub plan: PathBuf,
    /// Go on past the plan: move the servers, hand the hosts off, retire
    /// the old Nova's services.
    #[arg(long)]
    pub approve: bool,
    /// A strategy rule for the plan, as `cutover plan --strategy`.
    #[arg(long = "strategy", value_name = "RULE")]
    pub strategies: Vec<String>,
    /// OLD=NEW: where servers of zone OLD boot, as `cutover plan --zone-map`.
    #[arg(long = "zone-map", value_name = "OLD=NEW")]
    pub zone_map: Vec<String>,
    /// The migration id for the plan [default: the time].
    #[arg(long, value_name = "ID")]
    pub migration: Option<String>,
    /// Also delete the old region's compute endpoints when retiring.
    #[arg(long)]
    pub retire_endpoints: bool,
    #[command(flatten)]
    pub hosts: HostArgs,
}

/// `cutover rollback`: the servers named, or every one of the plan.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The plan file the run applied.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// A server to roll back: its old id, or its name, as in the plan
    /// (repeat for more).
    #[arg(value_name = "SERVER")]
    pub servers: Vec<String>,
    /// Roll back every server of the plan.
    #[arg(long)]
    pub all: bool,
    /// The run's journal [default: beside the plan, PLAN with `.journal`].
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Longest wait between two observations while nothing changes.
    #[arg(long, value_name = "SECS", default_value_t = POLL_MAX_SECS, value_parser = clap::value_parser!(u64).range(1..))]
    pub poll_max: u64,
}

/// `cutover cleanup`: never while a run holds the journal.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// The plan file the run applied.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// The run's journal [default: beside the plan, PLAN with `.journal`].
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// List what would be deleted; delete nothing.
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Delete without asking.
    #[arg(long)]
    pub yes: bool,
}

/// `cutover retire`: asks before deleting, on a terminal; `--yes` otherwise.
#[derive(Debug, Args)]
pub struct RetireArgs {
    /// Also delete the old region's endpoints of Nova's own catalog
    /// services (compute, compute_legacy) in Keystone; a shared service's
    /// endpoints are never touched.
    #[arg(long)]
    pub endpoints: bool,
    /// Show what would be deleted; delete nothing.
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Delete without asking (required when stdin is not a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
}

/// `cutover run`'s default longest and shortest poll interval (seconds).
pub const POLL_MAX_SECS: u64 = 30;
pub const POLL_MIN_SECS: f64 = 1.0;

/// `cutover plan`: reads both regions, changes nothing in them.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Write the plan to FILE (YAML, for the operator to read and edit);
    /// without it the plan is only printed.
    #[arg(short = 'o', long = "output", value_name = "FILE", conflicts_with_all = ["show", "check"])]
    pub output: Option<PathBuf>,
    /// Overwrite FILE when it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
    /// A strategy rule KIND=VALUE:STRATEGY (repeat for more; tried in
    /// order, before cutover.toml's [plan] rules): project=NAME|ID,
    /// host=HOST, metadata=KEY or metadata=KEY=VALUE, server=ID,
    /// boot=image|volume; STRATEGY redeploy, snapshot, volume or wait.
    #[arg(long = "strategy", value_name = "RULE", conflicts_with_all = ["show", "check"])]
    pub strategies: Vec<String>,
    /// Keep each snapshot after its server is verified in the new region.
    #[arg(long, conflicts_with_all = ["show", "check"])]
    pub keep_snapshots: bool,
    /// OLD=NEW: servers of availability zone OLD boot in zone NEW of the
    /// new region (OLD= : in its default zone); repeat for more; before
    /// cutover.toml's [plan] zone_map. Recorded in the plan.
    #[arg(long = "zone-map", value_name = "OLD=NEW", conflicts_with_all = ["show", "check"])]
    pub zone_map: Vec<String>,
    /// The migration's name, carried by everything cutover creates
    /// [default: the time of planning, e.g. 20250611-143200].
    #[arg(long, value_name = "NAME", conflicts_with_all = ["show", "check"])]
    pub migration: Option<String>,
    /// Print the plan in FILE as a table (no cloud is read).
    #[arg(long, value_name = "FILE", conflicts_with = "check")]
    pub show: Option<PathBuf>,
    /// Check the plan in FILE against the clouds: each server still where
    /// planned, as planned, and its strategy possible (exit 3 when not).
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
}

/// `cutover run`: limits default to `[limits]` of cutover.toml, else to
/// Nova's own per-host limits (5 snapshots, 10 builds).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The plan file (`cutover plan` writes it).
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// The run's journal [default: beside the plan, PLAN with `.journal`].
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Servers moving at once, in all [default: [limits] total, else no limit].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_parallel: Option<u32>,
    /// Servers moving at once per old host [default: [limits] per_old_host, else 5].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub per_host: Option<u32>,
    /// Boots at once per compute host of the new region (the region gets
    /// this many times its enabled, up hosts) [default: [limits] per_new_host, else 10].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub per_new_host: Option<u32>,
    /// Servers moving at once per project [default: [limits] per_project, else no limit].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub per_project: Option<u32>,
    /// Longest wait between two observations while nothing changes.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub poll_max: u64,
    /// Shortest wait between two observations, while things change
    /// (decimals allowed: 0.05 suits a simulated cloud at a small time scale).
    #[arg(long, value_name = "SECS", default_value_t = POLL_MIN_SECS, value_parser = positive_secs)]
    pub poll_min: f64,
    /// Stop waiting for `wait` servers at WHEN (RFC 3339, e.g.
    /// 2026-12-01T06:00:00Z) or after a duration from this run's start
    /// (90s, 45m, 8h, 2d): those still in the old region are held and
    /// reported, their hosts left disabled.
    #[arg(long, value_name = "WHEN", value_parser = parse_deadline)]
    pub deadline: Option<i64>,
    #[command(flatten)]
    pub hosts: HostArgs,
}

/// Seconds as a finite number above zero (decimals allowed).
fn positive_secs(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() && secs <= 3600.0 => Ok(secs),
        _ => Err(format!("'{text}' is not a number of seconds above 0 (at most 3600)")),
    }
}

/// `--deadline`: a time (RFC 3339) or a duration from now, as Unix seconds.
fn parse_deadline(text: &str) -> Result<i64, String> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(at.timestamp());
    }
    let unit = |c: char| match c {
        's' => Some(1),
        'm' => Some(60),
        'h' => Some(3600),
        'd' => Some(86_400),
        _ => None,
    };
    let (number, scale) = match text.chars().last().and_then(unit) {
        Some(scale) => (&text[..text.len() - 1], scale),
        None => (text, 1),
    };
    let amount: i64 = number.parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
        format!("`{text}` is neither a time (2026-12-01T06:00:00Z) nor a duration (90s, 45m, 8h, 2d)")
    })?;
    Ok(chrono::Utc::now().timestamp() + amount.saturating_mul(scale))
}

/// What becomes of an old host once its servers are gone.
#[derive(Debug, Clone, Args)]
pub struct HostArgs {
    /// For each old host verified empty, run CMD to redeploy it into the
    /// new region; the host name, then the old and new regions and the
    /// migration id are appended as arguments (also in CUTOVER_HOST,
    /// CUTOVER_OLD_REGION, CUTOVER_NEW_REGION, CUTOVER_MIGRATION). CMD is
    /// split like a shell would split it, but never run by a shell. Once
    /// the host is an up, enabled compute of the new region, its old
    /// nova-compute record is deleted. Without it, the hosts are only
    /// watched.
    #[arg(long, value_name = "CMD")]
    pub on_host_empty: Option<String>,
    /// Seconds the hook may run before it is stopped (and the host with it).
    #[arg(long, value_name = "SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub hook_timeout: u64,
    /// Seconds between the two observations that must both find a host empty.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub empty_interval: u64,
    /// Seconds a handed-off host has to join the new region.
    #[arg(long, value_name = "SECS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..))]
    pub rejoin_timeout: u64,
}

/// `cutover status`: the journal named, or the one beside the plan.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The plan whose journal to read (the journal beside it).
    #[arg(value_name = "PLAN", required_unless_present = "journal")]
    pub plan: Option<PathBuf>,
    /// The journal to read.
    #[arg(long, value_name = "PATH", conflicts_with = "plan")]
    pub journal: Option<PathBuf>,
}

/// `cutover sync`: idempotent; never deletes in the new region.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Compare and report only; change nothing ("would create").
    #[arg(long)]
    pub dry_run: bool,
    /// Only these kinds, comma-separated: flavors, keypairs, quotas,
    /// server-groups, aggregates, floating-ips.
    #[arg(long, value_name = "KINDS", value_delimiter = ',', value_parser = parse_kind)]
    pub only: Vec<cutover_core::sync::Kind>,
    /// YAML `old-host: new-host` for the aggregates' hosts [default: [sync] host_map of cutover.toml].
    #[arg(long, value_name = "FILE")]
    pub host_map: Option<PathBuf>,
    /// Print a starting host map (old hosts paired with new ones in order) and exit.
    #[arg(long, conflicts_with_all = ["dry_run", "only"])]
    pub print_host_map: bool,
}

fn parse_kind(text: &str) -> Result<cutover_core::sync::Kind, String> {
    text.parse().map_err(|e: cutover_core::sync::UnknownKind| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Render the new environment's nova.conf from the old one.
    Render(EnvRenderArgs),
    /// Register the new region and its endpoints in Keystone (idempotent).
    Register(EnvRegisterArgs),
    /// Check that the new region runs a conductor, a scheduler and every compute host.
    Verify(EnvVerifyArgs),
}

/// Values the old file cannot give. Each is required only when the old file
/// has a key it replaces; the database URLs may come from the environment
/// so that their passwords stay out of `ps`.
#[derive(Debug, Args)]
pub struct EnvRenderArgs {
    /// The old environment's nova.conf.
    #[arg(long, value_name = "FILE")]
    pub old: PathBuf,
    /// Where to write the new nova.conf (`-` or absent: stdout, unless --diff).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print a unified diff old -> new (passwords hidden); with -o FILE the
    /// file is written too.
    #[arg(long)]
    pub diff: bool,
    /// The new Nova database ([database] connection / sql_connection).
    #[arg(long, value_name = "URL", env = "CUTOVER_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The new Nova API database ([api_database] connection).
    #[arg(long, value_name = "URL", env = "CUTOVER_API_DATABASE_URL", hide_env_values = true)]
    pub api_database_url: Option<String>,
    /// The new controller's address for metadata_host.
    #[arg(long, value_name = "HOST")]
    pub metadata_host: String,
    /// This compute node's address: vncserver_proxyclient_address, and
    /// vncserver_listen unless --vnc-listen.
    #[arg(long, value_name = "ADDR")]
    pub vnc_address: Option<String>,
    /// vncserver_listen when it differs from --vnc-address (e.g. 0.0.0.0).
    #[arg(long, value_name = "ADDR")]
    pub vnc_listen: Option<String>,
    /// novncproxy_base_url, e.g. http://CONTROLLER:6080/vnc_auto.html.
    #[arg(long, value_name = "URL")]
    pub novncproxy_base_url: Option<String>,
    /// Appended to every message topic (compute -> compute_juno).
    #[arg(long, value_name = "SUFFIX", default_value = cutover_core::novaconf::DEFAULT_TOPIC_SUFFIX)]
    pub topic_suffix: String,
}

/// The new region's endpoints, as `keystone endpoint-create` took them:
/// one URL for every interface, or one per interface. Run it again at any
/// time: what is registered is reported, not registered twice.
#[derive(Debug, Args)]
pub struct EnvRegisterArgs {
    /// The new Nova API's URL for every interface, e.g. http://CONTROLLER:8774/v2.1.
    #[arg(long, value_name = "URL")]
    pub compute_url: String,
    /// The internal interface's URL, when it is not --compute-url.
    #[arg(long, value_name = "URL")]
    pub internal_url: Option<String>,
    /// The admin interface's URL, when it is not --compute-url.
    #[arg(long, value_name = "URL")]
    pub admin_url: Option<String>,
    /// Shared services whose old-region endpoints are copied into the new
    /// region (comma-separated) [default: identity,image,network, each
    /// skipped when the old region has none].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "SERVICES")]
    pub shared: Option<Vec<SharedServiceArg>>,
    /// Copy the volume (Cinder) endpoints too, for volumes in the new region.
    #[arg(long)]
    pub volume: bool,
    /// The description of the region, when it is created.
    #[arg(long, value_name = "TEXT")]
    pub region_description: Option<String>,
    /// Change an endpoint registered at another URL (or disabled); without
    /// it such an endpoint is reported as `different` and left alone.
    #[arg(long)]
    pub update: bool,
    /// Show what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SharedServiceArg {
    Identity,
    Image,
    Network,
    Volume,
    Placement,
}

/// The compute hosts the new region must have: `--host`, `--hosts-file`,
/// else the new hosts of the settings' `[sync] host_map`.
#[derive(Debug, Args)]
pub struct EnvVerifyArgs {
    /// A compute host the new region must have (repeat for more).
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
    /// A file naming the expected compute hosts, one per line (`#` comments).
    #[arg(long, value_name = "FILE")]
    pub hosts_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NetworkMode {
    Neutron,
    NovaNetwork,
}

/// `cutover demo`: everything in this process; nothing outside a temporary directory.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Operation durations: 1.0 realistic, 0 instant; the default runs the
    /// demo in about half a minute.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub time_scale: f64,
    /// Keep the simulator running at the end (Ctrl-C stops it), with the
    /// clouds.yaml to explore it with the openstack client.
    #[arg(long)]
    pub keep_running: bool,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to serve on (loopback only); port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Scenario file (YAML); default: the built-in scenario.
    #[arg(long, conflicts_with_all = ["hosts", "servers"])]
    pub scenario: Option<PathBuf>,
    /// Operation durations: 1.0 realistic, 0 instant.
    #[arg(long, allow_negative_numbers = true)]
    pub time_scale: Option<f64>,
    /// Write a clouds.yaml with a cloud named `sim` (admin user) here.
    #[arg(long)]
    pub write_clouds_yaml: Option<PathBuf>,
    /// Generate a scenario with this many old-region hosts.
    #[arg(long, requires = "servers")]
    pub hosts: Option<usize>,
    /// Generate a scenario with this many servers on the old hosts.
    #[arg(long, requires = "hosts")]
    pub servers: Option<usize>,
    /// New-region hosts of a generated scenario (default: room for all).
    #[arg(long, requires = "hosts")]
    pub new_hosts: Option<usize>,
    /// Networking of a generated scenario.
    #[arg(long, value_enum, default_value = "neutron", requires = "hosts")]
    pub network: NetworkMode,
    /// Seed of a generated scenario.
    #[arg(long, default_value_t = 1, requires = "hosts")]
    pub seed: u64,
    /// Print the scenario (built-in, loaded or generated) as YAML and exit.
    #[arg(long)]
    pub print_scenario: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the resolved settings (no secret: credentials stay in clouds.yaml).
    Show,
}
