/*!
The parts the servers and copies of an observation play in a move, by its
direction. Going out, the server leaves the old region and is rebuilt in
the new one; going back (a rollback asked for after the move), the rebuild
leaves the new region and is rebuilt in the old one. Every stage works on
these parts, so each route is written once for both directions.
*/

use super::action::Side;
use super::observation::{ImageView, Observation, Seen, ServerView};
use super::route::{Direction, Route, ServerMove};
use crate::id::ServerId;

pub(crate) struct Sides<'a> {
    /// The region the server leaves, and the server there.
    pub from: Side,
    pub source: &'a Seen<ServerView>,
    /// The source's id: the plan's going out, the observed rebuild's going back.
    pub source_id: Option<&'a ServerId>,
    /// How messages name the source.
    pub what: &'static str,
    /// The region the server goes to, and its rebuild there.
    pub to: Side,
    pub rebuild: &'a Seen<ServerView>,
    /// The server rebuilt where it came from, once its source is gone.
    pub restored: &'a Seen<ServerView>,
    /// The snapshot of the source, and the name it is made with.
    pub image: &'a Seen<ImageView>,
    pub image_name: String,
    /// The source's root volume `delete_on_termination`.
    pub root_delete_on_termination: &'a Seen<bool>,
}

impl<'a> Sides<'a> {
    pub fn of(plan: &'a ServerMove, direction: Direction, obs: &'a Observation) -> Sides<'a> {
        match direction {
            Direction::Out => Sides {
                from: Side::Old,
                source: &obs.source,
                source_id: Some(&plan.source),
                what: "the source server",
                to: Side::New,
                rebuild: &obs.target,
                restored: &obs.restored,
                image: &obs.image,
                image_name: plan.snapshot_name.clone(),
                root_delete_on_termination: &obs.root_delete_on_termination,
            },
            // The rebuild in the new region is found by its metadata, so a
            // server booted there again after a failed return is `target` too.
            Direction::Back => Sides {
                from: Side::New,
                source: &obs.target,
                source_id: obs.target.present().map(|s| &s.id),
                what: "the server in the new region",
                to: Side::Old,
                rebuild: &obs.restored,
                restored: &obs.target,
                image: &obs.back_image,
                image_name: plan.back_snapshot_name(),
                root_delete_on_termination: &obs.target_root_delete_on_termination,
            },
        }
    }

    /// The side and server the route rebuilds on: the rebuild going
    /// forward, the source turning back to it, the restored server after it.
    pub fn rebuilt(&self, route: Route) -> (Side, &'a Seen<ServerView>) {
        match route {
            Route::Forward => (self.to, self.rebuild),
            Route::BackToSource => (self.from, self.source),
            Route::Restore => (self.from, self.restored),
        }
    }
}
