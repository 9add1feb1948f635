/*!
Env register: the new region in Keystone, with compute endpoints at the
operator's URLs and the shared services' endpoints copied from the old
region. Keystone is shared, so everything goes through a connection to the
OLD region: the new one need not be in the catalog yet. What is there is
reported and left alone; a second run changes nothing.
*/

use cutover_cloud::{Profile, RegionClient};
use cutover_core::model::Interface;
use cutover_core::newenv::register::{self, EndpointAction, Outcome, Plan, RegionAction, Request};

use crate::{connect, Error, Result};

/// What to register and how.
pub struct Options<'a> {
    pub request: &'a Request,
    /// The new region's description when it is created.
    pub description: &'a str,
    pub dry_run: bool,
    /// Whether an endpoint registered at another URL is changed.
    pub update: bool,
}

/// One row of what was done.
pub struct Row {
    /// `region` or `endpoint`.
    pub resource: &'static str,
    /// The region's name, or the endpoint's service type.
    pub name: String,
    pub interface: Option<Interface>,
    /// The endpoint's URL, with the registered one when they differ and
    /// it was left so.
    pub url: Option<String>,
    pub outcome: Outcome,
}

/// What registering did: the plan, the rows done (also when a later call
/// failed), and the failure that stopped it.
pub struct Registered {
    pub plan: Plan,
    pub rows: Vec<Row>,
    pub failure: Option<Error>,
}

impl Registered {
    /// How many rows changed something.
    pub fn changed(&self) -> usize {
        self.rows.iter().filter(|r| matches!(r.outcome, Outcome::Created | Outcome::Updated)).count()
    }

    /// How many endpoints are registered otherwise and were left alone.
    pub fn different(&self) -> usize {
        self.rows.iter().filter(|r| r.outcome == Outcome::Different).count()
    }
}

/// Reads the catalog, plans and (unless a dry run) carries the plan out.
/// An error before anything was planned is returned as `Err`; one while
/// carrying out is [`Registered::failure`], after the rows done.
pub async fn register(profile: &Profile, options: &Options<'_>) -> Result<Registered> {
    let request = options.request;
    let client = connect(profile, &request.old_region, "").await?;
    let catalog = client.keystone_catalog().await?;
    let endpoints = register::wanted_endpoints(&catalog, request).map_err(|e| Error::Input(e.to_string()))?;
    for skipped in &endpoints.skipped {
        tracing::info!("region {} has no {skipped} endpoint: none copied", request.old_region);
    }
    let plan = register::plan(&catalog, &request.new_region, endpoints.wanted);
    let mut rows = Vec::new();
    let failure = apply(&client, &plan, options, &mut rows).await.err();
    Ok(Registered { plan, rows, failure })
}

/// Carries out the plan (unless a dry run), a row per outcome.
async fn apply(client: &RegionClient, plan: &Plan, options: &Options<'_>, rows: &mut Vec<Row>) -> Result<()> {
    let apply = !options.dry_run;
    let region_outcome = match (&plan.region_action, apply) {
        (RegionAction::Exists, _) => Outcome::Exists,
        (RegionAction::Create, false) => Outcome::WouldCreate,
        (RegionAction::Create, true) => {
            match client.create_region(&plan.region, options.description).await {
                Ok(()) => Outcome::Created,
                // Created meanwhile by someone else: it is there, as asked.
                Err(e) if e.is_conflict() => Outcome::Exists,
                Err(e) => return Err(e.into()),
            }
        }
    };
    rows.push(Row {
        resource: "region",
        name: plan.region.to_string(),
        interface: None,
        url: None,
        outcome: region_outcome,
    });
    for step in &plan.endpoints {
        let outcome = Outcome::of(&step.action, apply, options.update);
        let w = &step.wanted;
        match (&step.action, outcome) {
            (EndpointAction::Create, Outcome::Created) => {
                client.create_endpoint(&w.service_id, &plan.region, w.interface, &w.url).await?;
            }
            (EndpointAction::Differs { id, .. }, Outcome::Updated) => {
                client.update_endpoint(id, &w.url).await?;
            }
            _ => {}
        }
        let url = match &step.action {
            // Both URLs, so the operator sees what --update would replace.
            EndpointAction::Differs { current_url, enabled, .. } if outcome != Outcome::Updated => {
                let state = if *enabled { "" } else { ", disabled" };
                format!("{} (registered: {current_url}{state})", w.url)
            }
            _ => w.url.clone(),
        };
        rows.push(Row {
            resource: "endpoint",
            name: w.service_type.clone(),
            interface: Some(w.interface),
            url: Some(url),
            outcome,
        });
    }
    Ok(())
}
