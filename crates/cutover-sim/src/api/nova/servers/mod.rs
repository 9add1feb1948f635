/*!
Nova servers API (filled in by its owner).
*/

use axum::Router;

use crate::sim::Sim;

pub fn routes() -> Router<Sim> {
    Router::new()
}
