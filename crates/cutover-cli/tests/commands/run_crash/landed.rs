/*!
Where the kills of the crash trials landed, read from the journal (and the
hook's log) right after each kill: the figures the trials print, and the
coverage they assert.
*/

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use cutover_core::machine::host::HostStage;
use cutover_engine::hosts;
use cutover_journal::Journal;

use super::Trial;
use crate::util::endstate::safety;
use crate::util::hooks::{hook_calls, hook_ends};

#[derive(Debug, Default)]
pub(super) struct Landed {
    pub(super) kills: u64,
    /// Kills with a call sent and its outcome not written (an intent
    /// without outcome in the journal).
    pub(super) mid_call: u64,
    /// Kills before the journal existed.
    pub(super) before_journal: u64,
    /// The stages servers were at when killed.
    pub(super) stages: BTreeSet<String>,
    /// What set each kill off.
    pub(super) triggers: BTreeMap<&'static str, u64>,
    /// Kills with an old host in the middle of its hand-off: empty,
    /// handed off or joined, not retired yet.
    pub(super) in_hand_off: u64,
    /// Kills while a host's hook ran (its start journaled, not its end).
    pub(super) hook_running: u64,
    /// Hooks still running when their run was killed (they go on, in
    /// their own process group).
    pub(super) orphan_hooks: u64,
    /// The old hosts' stages when killed.
    pub(super) host_stages: BTreeSet<String>,
    /// Hook calls beyond one per host handed off.
    pub(super) hook_reruns: u64,
    /// Every hook call's exit status: a hook left running by a killed run
    /// ends by itself, often failing to write to its closed stdout.
    pub(super) hook_statuses: BTreeMap<i32, u64>,
    /// `cutover retire` killed, and killed with some of its deletions done.
    pub(super) retire_kills: u64,
    pub(super) retire_midway: u64,
}

impl Landed {
    pub(super) fn add(&mut self, other: Landed) {
        self.kills += other.kills;
        self.mid_call += other.mid_call;
        self.before_journal += other.before_journal;
        self.stages.extend(other.stages);
        for (what, n) in other.triggers {
            *self.triggers.entry(what).or_default() += n;
        }
        self.in_hand_off += other.in_hand_off;
        self.hook_running += other.hook_running;
        self.orphan_hooks += other.orphan_hooks;
        self.host_stages.extend(other.host_stages);
        self.hook_reruns += other.hook_reruns;
        for (status, n) in other.hook_statuses {
            *self.hook_statuses.entry(status).or_default() += n;
        }
        self.retire_kills += other.retire_kills;
        self.retire_midway += other.retire_midway;
    }

    /// What the journal says the run killed by `what` was doing.
    pub(super) fn note(&mut self, t: &Trial, what: &'static str) {
        self.kills += 1;
        *self.triggers.entry(what).or_default() += 1;
        let path = t.journal();
        let Some(journaled) = safety::journaled(&path) else {
            self.before_journal += 1;
            return;
        };
        for (_, planned) in t.plan.servers() {
            let (state, _) = &journaled[planned.server.id.as_str()];
            let stage = state.stage(&t.plan.server_move(planned));
            if let Some(stage) = stage.filter(|_| state.at > 0 || state.stopped_at.is_some()) {
                self.stages.insert(format!("{:?} {stage:?}", state.route));
            }
        }
        let journal = Journal::open_read_only(&path).expect("the journal opens");
        let actions = journal.actions(None).expect("the journal's actions read");
        self.mid_call += u64::from(actions.iter().any(|a| a.outcome.is_none()));
        if t.kind == super::Kind::Run {
            return;
        }
        let (mut hook_running, mut in_hand_off) = (false, false);
        for host in &t.plan.hosts {
            let (state, hook) = hosts::journaled(&journal, &host.name).expect("the hosts' keys read");
            if let Some(state) = state {
                self.host_stages.insert(format!("{:?}", state.stage));
                in_hand_off |= matches!(state.stage, HostStage::Empty | HostStage::HandedOff | HostStage::JoinedNew);
            }
            hook_running |= hook.is_some_and(|h| h.end.is_none());
        }
        self.hook_running += u64::from(hook_running);
        self.in_hand_off += u64::from(in_hand_off || hook_running);
        let (calls, ends) = (hook_calls(&t.cloud).len(), hook_ends(&t.cloud).len());
        self.orphan_hooks += calls.saturating_sub(ends) as u64;
    }

    /// After a hand-off trial's run completed: the hook's calls beyond one
    /// per host it handed off.
    pub(super) fn note_end(&mut self, t: &Trial) {
        let journal = Journal::open_read_only(&t.journal()).expect("the journal opens");
        let handed_off = t
            .plan
            .hosts
            .iter()
            .filter(|h| hosts::journaled(&journal, &h.name).is_ok_and(|(_, hook)| hook.is_some()))
            .count();
        self.hook_reruns += hook_calls(&t.cloud).len().saturating_sub(handed_off) as u64;
        for (status, _) in hook_ends(&t.cloud) {
            *self.hook_statuses.entry(status).or_default() += 1;
        }
    }
}

impl fmt::Display for Landed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} kills ({:?}), {} during a call, {} before the journal existed; servers were killed at {:?}",
            self.kills, self.triggers, self.mid_call, self.before_journal, self.stages
        )?;
        if !self.host_stages.is_empty() || self.retire_kills > 0 {
            write!(
                f,
                "; {} kills during a host's hand-off, {} while a hook ran ({} hooks went on after their run was \
                 killed; {} hook calls beyond one per host; hooks exited {:?}), old hosts were killed at {:?}; \
                 cutover retire killed {} times, {} of them with deletions done",
                self.in_hand_off,
                self.hook_running,
                self.orphan_hooks,
                self.hook_reruns,
                self.hook_statuses,
                self.host_stages,
                self.retire_kills,
                self.retire_midway
            )?;
        }
        Ok(())
    }
}
