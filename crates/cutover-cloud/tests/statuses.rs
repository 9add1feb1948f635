/*!
Statuses from a cloud's answers: parsed once into their enums, and a value
the APIs do not document is an error naming the region, the resource, the
status and the value. The simulator answers only documented statuses, so a
proxy in front of one of its services rewrites a status on its way.
*/

mod util;

use std::net::SocketAddr;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::response::Response;
use cutover_cloud::Error;
use cutover_core::model::{ImageStatus, ServerStatus, VolumeStatus};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use util::SimCloud;

/// What the proxy changes: in answers to paths ending with `path`, the
/// `status` of the first entry under `key` becomes `status`.
#[derive(Clone)]
struct Rewrite {
    path: &'static str,
    key: &'static str,
    status: &'static str,
}

#[derive(Clone)]
struct Proxy {
    sim: String,
    own: String,
    client: reqwest::Client,
    rewrite: Rewrite,
}

/// A proxy on `127.0.0.1:0` in front of the simulator; stops when dropped.
struct Running {
    base: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start_proxy(sim: String, rewrite: Rewrite) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr: SocketAddr = listener.local_addr().unwrap();
    let own = format!("http://{addr}");
    let proxy = Proxy { sim, own: own.clone(), client: reqwest::Client::new(), rewrite };
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Running { base: own, stop: Some(stop) }
}

/// Forwards one request to the simulator, and its answer back with the
/// simulator's address replaced by the proxy's (version documents and
/// page links point at it) and the rewrite applied.
async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_string();
    let body = to_bytes(body, usize::MAX).await.unwrap();
    let mut outgoing = p.client.request(parts.method.clone(), format!("{}{path}", p.sim)).body(body.to_vec());
    for (name, value) in &parts.headers {
        if name != "host" {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = outgoing.send().await.expect("the simulator answers");
    let status = answer.status();
    let headers = answer.headers().clone();
    let mut text = answer.text().await.unwrap().replace(&p.sim, &p.own);
    if parts.uri.path().ends_with(p.rewrite.path) {
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json[p.rewrite.key][0]["status"] = p.rewrite.status.into();
        text = json.to_string();
    }
    let mut response = Response::builder().status(status);
    for (name, value) in &headers {
        if name != "content-length" && name != "transfer-encoding" {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(text)).unwrap()
}

/// Sends the calls to RegionOne's services of catalog types `kinds` through
/// a proxy applying `rewrite`.
async fn behind_proxy(cloud: &SimCloud, kinds: &[&str], rewrite: Rewrite) -> Running {
    let sim = cloud.running.base_url();
    let proxy = start_proxy(sim.clone(), rewrite).await;
    let mut world = cloud.sim().world();
    let ids: Vec<String> =
        world.identity.services.values().filter(|s| kinds.contains(&s.kind.as_str())).map(|s| s.id.clone()).collect();
    for endpoint in world.identity.endpoints.values_mut() {
        if ids.contains(&endpoint.service_id) && endpoint.region_id.as_deref() == Some("RegionOne") {
            endpoint.url = endpoint.url.replace(&sim, &proxy.base);
        }
    }
    proxy
}

fn assert_named(err: Error, resource: &str, words: &[&str]) {
    let text = err.to_string();
    assert!(matches!(&err, Error::UnknownStatus { resource: r, .. } if *r == resource), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
    for word in ["region RegionOne", resource].iter().chain(words) {
        assert!(text.contains(word), "{word} in: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_the_apis_document_are_parsed_into_their_enums() {
    let cloud = SimCloud::start().await;
    let region = cloud.region("RegionOne").await;
    // Each as the simulator renders it (the scenario has ACTIVE and SHUTOFF ones).
    let rendered = |id: &str| cloud.sim().read().compute["RegionOne"].servers[id].status().to_string();
    let servers = region.server_statuses(&[]).await.expect("servers");
    assert!(servers.iter().any(|s| s.status == ServerStatus::Shutoff), "{servers:?}");
    assert!(servers.iter().all(|s| s.status.as_str() == rendered(&s.id)), "{servers:?}");
    let summaries = region.servers().await.expect("summaries");
    assert!(summaries.iter().any(|s| s.status == ServerStatus::Active), "{summaries:?}");
    assert!(summaries.iter().all(|s| s.status.as_str() == rendered(&s.id)), "{summaries:?}");
    let volumes = region.volumes().await.expect("volumes");
    assert!(volumes.iter().any(|v| v.status == VolumeStatus::InUse), "{volumes:?}");
    let images = region.images().await.expect("images");
    assert!(images.iter().any(|i| i.status == ImageStatus::Active), "{images:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_server_status_is_an_error_naming_it() {
    let cloud = SimCloud::start().await;
    let rewrite = Rewrite { path: "servers/detail", key: "servers", status: "FROZEN" };
    let _proxy = behind_proxy(&cloud, &["compute"], rewrite).await;
    let region = cloud.region("RegionOne").await;
    let err = region.server_statuses(&[]).await.expect_err("an unknown status");
    let Error::UnknownStatus { id, .. } = &err else { panic!("{err}") };
    assert!(cloud.sim().read().compute["RegionOne"].servers.contains_key(id), "{err}");
    let id = id.clone();
    assert_named(err, "server", &[&id, r#"Nova server status "FROZEN" is not one cutover knows"#]);
    // The inventory's listing reads the same answer, and fails the same way.
    assert_named(region.servers().await.expect_err("unknown"), "server", &["FROZEN"]);
    // RegionTwo's Nova, not behind the proxy, still answers what cutover knows.
    cloud.region("RegionTwo").await.server_statuses(&[]).await.expect("another region is unaffected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_volume_or_image_status_is_an_error_naming_it() {
    let cloud = SimCloud::start().await;
    let rewrite = Rewrite { path: "volumes/detail", key: "volumes", status: "thawing" };
    let _volumes = behind_proxy(&cloud, &["block-storage", "volumev3"], rewrite).await;
    let region = cloud.region("RegionOne").await;
    let err = region.volumes().await.expect_err("an unknown status");
    assert_named(err, "volume", &[r#"Cinder volume status "thawing" is not one cutover knows"#]);

    let cloud = SimCloud::start().await;
    let rewrite = Rewrite { path: "/images", key: "images", status: "ACTIVE" };
    let _images = behind_proxy(&cloud, &["image"], rewrite).await;
    let region = cloud.region("RegionOne").await;
    let err = region.images().await.expect_err("Nova's spelling is not Glance's");
    assert_named(err, "image", &[r#"Glance image status "ACTIVE" is not one cutover knows"#]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_compute_service_status_is_an_error_naming_it() {
    // Read as a bool before, an unknown value made the service "disabled".
    let cloud = SimCloud::start().await;
    let rewrite = Rewrite { path: "os-services", key: "services", status: "paused" };
    let _compute = behind_proxy(&cloud, &["compute"], rewrite).await;
    let region = cloud.region("RegionOne").await;
    let err = region.compute_services().await.expect_err("an unknown status");
    assert_named(err, "compute service", &[r#"Nova service status "paused" is not one cutover knows"#]);
}
