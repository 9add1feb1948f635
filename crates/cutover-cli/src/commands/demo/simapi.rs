/*!
The simulator as the demo reaches it: over HTTP only, as the scenario's
admin. Keystone gives the token and the catalog, Nova the hypervisors and
services a region lists, and the simulator's own `/sim/` extension moves a
redeployed host and mends a broken hypervisor.
*/

use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};

use crate::commands::sim::admin_of;

/// What a hypervisor has (what a redeployed host brings to the new region).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub vcpus: u32,
    pub memory_mb: u64,
    pub disk_gb: u64,
}

impl std::fmt::Display for Capacity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} vCPUs, {} GiB RAM, {} GiB disk", self.vcpus, self.memory_mb / 1024, self.disk_gb)
    }
}

/// A token of the scenario's admin, and where the simulator and each
/// region's Nova answer.
#[derive(Clone)]
pub struct SimApi {
    http: Client,
    base: String,
    token: String,
    catalog: Vec<Value>,
}

/// A call that did not answer 2xx: its status and the error body's message.
#[derive(Debug)]
pub struct Refused {
    pub status: StatusCode,
    pub message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for Refused {}

impl SimApi {
    /// Authenticates at `base_url`'s Keystone as the scenario's admin.
    pub async fn connect(base_url: &str, scenario: &cutover_sim::Scenario) -> anyhow::Result<SimApi> {
        let admin = admin_of(scenario)?;
        let domain = json!({"name": "Default"});
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": admin.name, "password": admin.password, "domain": domain}}},
            "scope": {"project": {"name": admin.project, "domain": domain}},
        }});
        let http = Client::new();
        let answer = http.post(format!("{base_url}/v3/auth/tokens")).json(&body).send().await?;
        let token = answer.headers().get("x-subject-token").and_then(|v| v.to_str().ok()).map(str::to_string);
        let (status, body) = (answer.status(), answer.json::<Value>().await.unwrap_or_default());
        let Some(token) = token.filter(|_| status.is_success()) else {
            return Err(Refused { status, message: message(&body) }.into());
        };
        let catalog = body["token"]["catalog"].as_array().cloned().unwrap_or_default();
        Ok(SimApi { http, base: base_url.to_string(), token, catalog })
    }

    /// `POST /sim/hosts/{host}/move`: the host redeployed from `from` into `to`.
    pub async fn move_host(&self, host: &str, from: &str, to: &str) -> Result<(), Refused> {
        let url = format!("{}/sim/hosts/{host}/move", self.base);
        self.send(self.http.post(url).json(&json!({"from": from, "to": to}))).await.map(drop)
    }

    /// `POST /sim/regions/{region}/hosts/{host}/spawns`: boots there succeed again.
    pub async fn mend(&self, region: &str, host: &str) -> Result<(), Refused> {
        let url = format!("{}/sim/regions/{region}/hosts/{host}/spawns", self.base);
        self.send(self.http.post(url).json(&json!({"state": "succeed"}))).await.map(drop)
    }

    /// Each compute host of `region` with what its hypervisor has, as Nova
    /// lists them (`os-hypervisors/detail` at 2.1, which still shows it).
    pub async fn hypervisors(&self, region: &str) -> Result<Vec<(String, Capacity)>, Refused> {
        let body = self.nova(region, "os-hypervisors/detail").await?;
        let list = body["hypervisors"].as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(list
            .iter()
            .map(|h| {
                let host = h["service"]["host"].as_str().or(h["hypervisor_hostname"].as_str()).unwrap_or_default();
                let number = |key: &str| h[key].as_u64().unwrap_or(0);
                let capacity = Capacity {
                    vcpus: u32::try_from(number("vcpus")).unwrap_or(u32::MAX),
                    memory_mb: number("memory_mb"),
                    disk_gb: number("local_gb"),
                };
                (host.to_string(), capacity)
            })
            .collect())
    }

    /// The services `region`'s Nova lists, as `binary on host`.
    pub async fn services(&self, region: &str) -> Result<Vec<String>, Refused> {
        let body = self.nova(region, "os-services").await?;
        let list = body["services"].as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(list.iter().map(|s| format!("{} on {}", text(&s["binary"]), text(&s["host"]))).collect())
    }

    /// `GET` of `path` under `region`'s public compute endpoint.
    async fn nova(&self, region: &str, path: &str) -> Result<Value, Refused> {
        let endpoint = self
            .catalog
            .iter()
            .filter(|service| service["type"] == "compute")
            .flat_map(|service| service["endpoints"].as_array().cloned().unwrap_or_default())
            .find(|e| e["region_id"] == region && e["interface"] == "public");
        let Some(url) = endpoint.as_ref().and_then(|e| e["url"].as_str()) else {
            let message = format!("region {region} has no public compute endpoint in the catalog");
            return Err(Refused { status: StatusCode::NOT_FOUND, message });
        };
        self.send(self.http.request(Method::GET, format!("{}/{path}", url.trim_end_matches('/')))).await
    }

    async fn send(&self, request: RequestBuilder) -> Result<Value, Refused> {
        let answer = request
            .header("X-Auth-Token", &self.token)
            .send()
            .await
            .map_err(|e| Refused { status: e.status().unwrap_or(StatusCode::BAD_GATEWAY), message: e.to_string() })?;
        let status = answer.status();
        let body = answer.json::<Value>().await.unwrap_or_default();
        if status.is_success() {
            Ok(body)
        } else {
            Err(Refused { status, message: message(&body) })
        }
    }
}

/// The message of an error body: `{"<kind>": {"message": ...}}` as every
/// OpenStack service and `/sim/` say it.
fn message(body: &Value) -> String {
    body.as_object().and_then(|o| o.values().find_map(|v| v["message"].as_str())).unwrap_or("(no message)").to_string()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}
