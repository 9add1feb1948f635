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
}

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
    /// Boots at once in the new region [default: [limits] per_new_host, else 10].
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
    #[arg(long, value_name = "SECS", default_value_t = 1.0, value_parser = positive_secs)]
    pub poll_min: f64,
}

/// Seconds as a finite number above zero (decimals allowed).
fn positive_secs(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() && secs <= 3600.0 => Ok(secs),
        _ => Err(format!("'{text}' is not a number of seconds above 0 (at most 3600)")),
    }
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
    /// demo in well under two minutes.
    #[arg(long, default_value_t = 0.02, allow_negative_numbers = true)]
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
