/*!
`/os-keypairs`: a user's keypairs (admins reach other users' with
`user_id` from 2.10). Create imports a public key, or before 2.92 has Nova
generate the pair; 2.2 adds `type`, 2.35 paging, 2.92 requires the key.
*/

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use rand::Rng;
use serde_json::{json, Value};

use super::common::{admin, empty, Id};
use crate::api::common::{ok, page, reply, JsonBody};
use crate::api::nova::lookup::{region, region_mut};
use crate::api::nova::Nova;
use crate::error::{ApiError, ApiResult};
use crate::model::compute::{keypair_fingerprint, Keypair};
use crate::model::iso_micros;
use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new().route("/os-keypairs", get(list).post(create)).route("/os-keypairs/{id}", get(show).delete(delete))
}

/// The user whose keypairs a request is about: the caller, or with
/// `user_id` (2.10+) another user when policy lets the caller.
fn target_user(nova: &Nova, requested: Option<&str>, rule: &str) -> Result<String, ApiError> {
    match requested {
        Some(u) if nova.at_least(10) && u != nova.caller.user_id => {
            admin(nova, rule)?;
            Ok(u.to_string())
        }
        _ => Ok(nova.caller.user_id.clone()),
    }
}

fn not_found(name: &str, user: &str) -> ApiError {
    ApiError::not_found(format!("Keypair {name} not found for user {user}"))
}

fn brief_json(nova: &Nova, k: &Keypair) -> Value {
    let mut v = json!({"name": k.name, "public_key": k.public_key, "fingerprint": k.fingerprint});
    if nova.at_least(2) {
        v["type"] = json!(k.kind);
    }
    v
}

async fn list(State(sim): State<Sim>, nova: Nova, Query(q): Query<HashMap<String, String>>) -> ApiResult<Response> {
    let user = target_user(&nova, q.get("user_id").map(|s| s.as_str()), "os_compute_api:os-keypairs:index")?;
    let w = sim.world();
    let r = region(&w, &nova)?;
    let mine: Vec<&Keypair> = r.keypairs.values().filter(|k| k.user_id == user).collect();
    let (marker, limit) = if nova.at_least(35) {
        let limit =
            q.get("limit").map(|l| l.parse::<usize>()).transpose().map_err(|_| ApiError::bad_request("limit"))?;
        (q.get("marker").map(|s| s.as_str()), limit)
    } else {
        (None, None)
    };
    let items = page(&mine, |k| k.name.as_str(), marker, limit)
        // Nova maps `MarkerNotFound` to 400 here (not 404 as for servers).
        .map_err(|_| ApiError::bad_request(format!("Marker {} could not be found.", marker.unwrap_or(""))))?;
    let body: Vec<Value> = items.iter().map(|k| json!({"keypair": brief_json(&nova, k)})).collect();
    let mut out = json!({"keypairs": body});
    if let (Some(l), Some(last)) = (limit, items.last()) {
        if items.len() == l {
            let href =
                format!("{}/compute/{}/v2.1/os-keypairs?limit={l}&marker={}", w.base_url, nova.region, last.name);
            out["keypairs_links"] = json!([{"rel": "next", "href": href}]);
        }
    }
    Ok(ok(out))
}

async fn show(
    State(sim): State<Sim>,
    nova: Nova,
    Id(name): Id,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let user = target_user(&nova, q.get("user_id").map(|s| s.as_str()), "os_compute_api:os-keypairs:show")?;
    let w = sim.world();
    let k = region(&w, &nova)?.keypairs.get(&(user.clone(), name.clone())).ok_or_else(|| not_found(&name, &user))?;
    let mut v = brief_json(&nova, k);
    v["user_id"] = json!(k.user_id);
    v["id"] = json!(k.id);
    v["created_at"] = json!(iso_micros(&k.created_at));
    v["updated_at"] = Value::Null;
    v["deleted_at"] = Value::Null;
    v["deleted"] = json!(false);
    Ok(ok(json!({"keypair": v})))
}

async fn delete(
    State(sim): State<Sim>,
    nova: Nova,
    Id(name): Id,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let user = target_user(&nova, q.get("user_id").map(|s| s.as_str()), "os_compute_api:os-keypairs:delete")?;
    let mut w = sim.world();
    region_mut(&mut w, &nova)?.keypairs.remove(&(user.clone(), name.clone())).ok_or_else(|| not_found(&name, &user))?;
    Ok(empty(if nova.at_least(2) { StatusCode::NO_CONTENT } else { StatusCode::ACCEPTED }))
}

/// Nova's name rule: letters, digits, space, `_` and `-` (2.92 adds `@`
/// and `.`), no leading or trailing space.
fn valid_name(nova: &Nova, name: &str) -> bool {
    let extra = if nova.at_least(92) { " _-@." } else { " _-" };
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with(' ')
        && !name.ends_with(' ')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

/// The fingerprint of an imported key of `kind`, or Nova's 400.
fn fingerprint_of(kind: &str, public_key: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::bad_request("Keypair data is invalid: failed to generate fingerprint");
    match kind {
        "ssh" => keypair_fingerprint(public_key).ok_or_else(invalid),
        _ => {
            // An x509 certificate in PEM: the fingerprint is of its DER bytes.
            use md5::Digest as _;
            let body: String = public_key.lines().filter(|l| !l.starts_with("-----")).collect();
            let der = base64::engine::general_purpose::STANDARD.decode(body.trim()).map_err(|_| invalid())?;
            if !public_key.contains("BEGIN CERTIFICATE") || der.is_empty() {
                return Err(invalid());
            }
            Ok(md5::Md5::digest(&der).iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"))
        }
    }
}

/// A key pair made up by the simulator for a create without `public_key`
/// (before 2.92): a well-formed ed25519 public key and a matching-looking
/// OpenSSH private key. Nothing in the simulator checks the two match.
fn generate(rng: &mut impl Rng) -> (String, String) {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut public: Vec<u8> = Vec::new();
    let put = |buf: &mut Vec<u8>, data: &[u8]| {
        buf.extend_from_slice(&(data.len() as u32).to_be_bytes());
        buf.extend_from_slice(data);
    };
    let key: [u8; 32] = rng.random();
    put(&mut public, b"ssh-ed25519");
    put(&mut public, &key);
    let secret: [u8; 32] = rng.random();
    let mut private = b"openssh-key-v1\0".to_vec();
    put(&mut private, b"none");
    put(&mut private, b"none");
    put(&mut private, b"");
    private.extend_from_slice(&1u32.to_be_bytes());
    put(&mut private, &public);
    let mut inner = Vec::new();
    let check: u32 = rng.random();
    inner.extend_from_slice(&check.to_be_bytes());
    inner.extend_from_slice(&check.to_be_bytes());
    put(&mut inner, b"ssh-ed25519");
    put(&mut inner, &key);
    put(&mut inner, &[secret.as_slice(), key.as_slice()].concat());
    put(&mut inner, b"Generated-by-Nova");
    let mut pad = 1u8;
    while inner.len() % 8 != 0 {
        inner.push(pad);
        pad += 1;
    }
    put(&mut private, &inner);
    let text = b64(&private);
    let lines: Vec<&str> = text.as_bytes().chunks(70).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
    let private_pem =
        format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n", lines.join("\n"));
    (format!("ssh-ed25519 {} Generated-by-Nova", b64(&public)), private_pem)
}

async fn create(State(sim): State<Sim>, nova: Nova, JsonBody(body): JsonBody<Value>) -> ApiResult<Response> {
    let kp = body
        .get("keypair")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::bad_request("'keypair' is a required property"))?;
    let name = kp
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("'name' is a required property"))?
        .to_string();
    if !valid_name(&nova, &name) {
        return Err(ApiError::bad_request("Keypair data is invalid: Keypair name contains unsafe characters"));
    }
    let kind = match kp.get("type") {
        Some(_) if !nova.at_least(2) => {
            return Err(ApiError::bad_request("Additional properties are not allowed ('type' was unexpected)"))
        }
        Some(Value::String(t)) if t == "ssh" || t == "x509" => t.clone(),
        Some(_) => return Err(ApiError::bad_request("Invalid input for field/attribute type.")),
        None => "ssh".into(),
    };
    let requested_user = match kp.get("user_id") {
        Some(_) if !nova.at_least(10) => {
            return Err(ApiError::bad_request("Additional properties are not allowed ('user_id' was unexpected)"))
        }
        Some(v) => Some(v.as_str().ok_or_else(|| ApiError::bad_request("Invalid input for field/attribute user_id."))?),
        None => None,
    };
    let user = target_user(&nova, requested_user, "os_compute_api:os-keypairs:create")?;
    let public_key = match kp.get("public_key") {
        Some(Value::String(k)) => Some(k.clone()),
        None if !nova.at_least(92) => None,
        None => return Err(ApiError::bad_request("'public_key' is a required property")),
        Some(_) => return Err(ApiError::bad_request("Invalid input for field/attribute public_key.")),
    };
    if public_key.is_none() && kind == "x509" {
        return Err(ApiError::bad_request("Keypair data is invalid: Cannot generate x509 keypairs"));
    }
    let mut w = sim.world();
    let now = w.now;
    let (public_key, private_key) = match public_key {
        Some(k) => (k, None),
        None => {
            let (public, private) = generate(&mut w.rng);
            (public, Some(private))
        }
    };
    let fingerprint = fingerprint_of(&kind, &public_key)?;
    let r = region_mut(&mut w, &nova)?;
    let quota = r.effective_quota(nova.caller.project_id.as_deref().unwrap_or("")).key_pairs;
    let count = r.keypairs.values().filter(|k| k.user_id == user).count() as i64;
    if quota >= 0 && count >= quota {
        return Err(ApiError::forbidden("Quota exceeded, too many key pairs."));
    }
    let key = (user.clone(), name.clone());
    if r.keypairs.contains_key(&key) {
        return Err(ApiError::conflict(format!("Key pair '{name}' already exists.")));
    }
    let id = r.next_int_id();
    let k = Keypair { name, user_id: user, public_key, fingerprint, kind, created_at: now, id };
    let mut v = brief_json(&nova, &k);
    v["user_id"] = json!(k.user_id);
    if let Some(p) = private_key {
        v["private_key"] = json!(p);
    }
    r.keypairs.insert(key, k);
    Ok(reply(if nova.at_least(2) { StatusCode::CREATED } else { StatusCode::OK }, json!({"keypair": v})))
}
