/*!
Serving: bind, load the scenario, serve until a shutdown future resolves.
[`RunningSim`] is the handle tests and `cutover sim` hold; dropping it stops
the server.
*/

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::Request;
use axum::ServiceExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::normalize_path::NormalizePath;

use crate::api::router;
use crate::scenario::{load, LoadError, Scenario};
use crate::sim::Sim;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("refusing to listen on {0}: the simulator serves on loopback only")]
    NotLoopback(SocketAddr),
    #[error("invalid scenario: {0}")]
    Scenario(#[from] LoadError),
}

/// Serves `sim` on `listener` until `shutdown` resolves, then finishes the
/// requests in flight. A trailing slash is ignored, as OpenStack's routers
/// ignore it (`/v2.1/` is `/v2.1`).
pub async fn serve(
    listener: TcpListener,
    sim: Sim,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = NormalizePath::trim_trailing_slash(router(sim));
    axum::serve(listener, ServiceExt::<Request>::into_make_service(app)).with_graceful_shutdown(shutdown).await
}

/// A simulator serving in the background.
pub struct RunningSim {
    pub sim: Sim,
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSim {
    /// Binds `addr` (port 0 picks one), loads `scenario` and serves it.
    pub async fn start(
        addr: SocketAddr,
        scenario: &Scenario,
        time_scale: Option<f64>,
    ) -> Result<RunningSim, ServeError> {
        if !addr.ip().is_loopback() {
            return Err(ServeError::NotLoopback(addr));
        }
        let listener = TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind { addr, source })?;
        let world = load(scenario, &format!("http://{addr}"), time_scale)?;
        let sim = Sim::new(world);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, sim.clone(), async {
            let _ = stopped.await;
        }));
        Ok(RunningSim { sim, addr, stop: Some(stop), task: Some(task) })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Keystone's v3 URL, what clients are given as `auth_url`.
    pub fn auth_url(&self) -> String {
        format!("{}/v3", self.base_url())
    }

    /// Stops serving and waits until the server has finished.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One cloud of a `clouds.yaml`: this simulator as `user` scoped to
/// `project`, listing every region (the first is the default, the old one)
/// so that `--os-region-name` can pick any of them.
pub fn clouds_yaml_entry(
    name: &str,
    auth_url: &str,
    regions: &[&str],
    user: &str,
    password: &str,
    project: &str,
) -> String {
    let default = regions.first().copied().unwrap_or("RegionOne");
    format!(
        "  {name}:\n    auth:\n      auth_url: {auth_url}\n      username: {user}\n      password: {password}\n\
         \x20     project_name: {project}\n      user_domain_name: Default\n      project_domain_name: Default\n\
         \x20   region_name: {default}\n    regions: [{}]\n    identity_api_version: 3\n    interface: public\n",
        regions.join(", ")
    )
}

/// The `clouds.yaml` that `--write-clouds-yaml` writes: one cloud, `sim`,
/// for the admin user.
pub fn clouds_yaml(auth_url: &str, regions: &[&str], user: &str, password: &str, project: &str) -> String {
    format!(
        "# Written by `cutover sim`: the simulated cloud, as the admin user.\nclouds:\n{}",
        clouds_yaml_entry("sim", auth_url, regions, user, password, project)
    )
}
