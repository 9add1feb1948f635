/*!
`cutover upgrade`'s sequence as values: which [`Step`] comes next, or why
the upgrade stops, given what is known (a plan file there at the start,
`--approve`, each step's [`Outcome`]). Pure: the caller carries each step
out and renders it; this module only says what follows.
*/

use std::path::Path;

use cutover_core::plan::HostPlan;

/// One step of the upgrade, each the work of one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `cutover preflight`.
    Preflight,
    /// `cutover env verify`, with the hosts the settings' host map names.
    EnvVerify,
    /// `cutover sync`, every kind.
    Sync,
    /// `cutover plan -o PLAN`.
    MakePlan,
    /// `cutover plan --check PLAN`.
    CheckPlan,
    /// `cutover run PLAN`.
    Run,
    /// `cutover retire --yes`.
    Retire,
}

/// How a step that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did what it was to do.
    Done,
    /// It ended leaving what it cannot fix, its report saying what (sync's
    /// differences).
    Incomplete,
    /// The run moved every server and handed each emptied host off.
    HandedOff,
}

/// Why the upgrade stops without failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The plan is written and checked; without `--approve` nothing changes.
    ForReview,
    /// Every server moved, but no hook handed the emptied hosts off.
    Drained,
    /// A step other than sync ended incomplete.
    Incomplete(Step),
    /// Every step is done, the old Nova retired.
    Finished,
}

/// What comes after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Do(Step),
    Stop(Stop),
}

/// What the upgrade knows before its first step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upgrade {
    /// The plan file was there: it is checked and applied as it is, never
    /// made again.
    pub plan_exists: bool,
    /// `--approve`: go on past the plan.
    pub approve: bool,
}

impl Upgrade {
    /// The first step: nothing is done before both regions are checked.
    pub fn first(&self) -> Step {
        Step::Preflight
    }

    /// What follows `step`, which ended with `outcome`. A step that fails
    /// stops the upgrade with its error, so it is not asked about here.
    pub fn after(&self, step: Step, outcome: Outcome) -> Next {
        // What sync cannot make equal is in its report; the plan's checks
        // say whether the servers can still move.
        if outcome == Outcome::Incomplete && step != Step::Sync {
            return Next::Stop(Stop::Incomplete(step));
        }
        match step {
            Step::Preflight => Next::Do(Step::EnvVerify),
            Step::EnvVerify if self.plan_exists => Next::Do(Step::CheckPlan),
            Step::EnvVerify => Next::Do(Step::Sync),
            Step::Sync => Next::Do(Step::MakePlan),
            Step::MakePlan => Next::Do(Step::CheckPlan),
            Step::CheckPlan if self.approve => Next::Do(Step::Run),
            Step::CheckPlan => Next::Stop(Stop::ForReview),
            Step::Run if outcome == Outcome::HandedOff => Next::Do(Step::Retire),
            Step::Run => Next::Stop(Stop::Drained),
            Step::Retire => Next::Stop(Stop::Finished),
        }
    }

    /// The heading printed before `step` (`plan`: the plan file); `None`
    /// when the step goes on under the one before (a new plan's check).
    pub fn heading(&self, step: Step, plan: &Path) -> Option<String> {
        let plan = plan.display();
        Some(match step {
            Step::Preflight => "preflight: both regions, admin rights, services, capacity".into(),
            Step::EnvVerify => "env verify: the new region's conductor, scheduler and compute hosts".into(),
            Step::CheckPlan if self.plan_exists => {
                format!("plan: {plan} exists; checked against the clouds, applied as it is")
            }
            Step::CheckPlan => return None,
            Step::Sync => "sync: flavors, keypairs, quotas, server groups, aggregates into the new region".into(),
            Step::MakePlan => format!("plan: written to {plan}"),
            Step::Run => "run: drain the old hosts, move every server, hand each emptied host off".into(),
            Step::Retire => "retire: the old Nova's remaining services".into(),
        })
    }
}

impl Step {
    /// The command the step is, as the operator would type it.
    pub fn command(self) -> &'static str {
        match self {
            Step::Preflight => "preflight",
            Step::EnvVerify => "env verify",
            Step::Sync => "sync",
            Step::MakePlan => "plan",
            Step::CheckPlan => "plan --check",
            Step::Run => "run",
            Step::Retire => "retire",
        }
    }
}

impl Stop {
    /// What the operator is told when the upgrade stops here (`plan`: the
    /// plan file); `None` when there is nothing to add.
    pub fn text(self, plan: &Path) -> Option<String> {
        match self {
            Stop::ForReview => Some(format!(
                "\ncutover upgrade: nothing has changed yet. Read {plan} (`cutover plan --show {plan}`), edit it if \
                 need be, then run the same command with --approve to apply it.",
                plan = plan.display()
            )),
            Stop::Drained => Some(
                "\ncutover upgrade: every server moved; the old hosts are drained but not handed off (no \
                 --on-host-empty): redeploy them, then `cutover retire`."
                    .into(),
            ),
            Stop::Incomplete(step) => {
                Some(format!("`cutover {}` left work undone (see its report): the upgrade stops", step.command()))
            }
            Stop::Finished => None,
        }
    }

    /// Whether the upgrade stops short of what it was asked (the caller
    /// fails then).
    pub fn is_failure(self) -> bool {
        matches!(self, Stop::Incomplete(_))
    }
}

/// Whether the run hands the emptied hosts off, so that the old Nova can
/// be retired after it: `--on-host-empty` gives a hook for every host, or
/// the plan (`None`: unreadable) gives each of its hosts its own.
pub fn hands_off(hook_for_all: bool, plan_hosts: Option<&[HostPlan]>) -> bool {
    hook_for_all || plan_hosts.is_some_and(|hosts| hosts.iter().all(|h| h.on_empty.is_some()))
}

/// The note printed when sync ends incomplete (`why`: its one line) and the
/// upgrade goes on.
pub fn going_on(why: &str) -> String {
    format!("cutover upgrade: {why}; going on")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps taken and where the upgrade stops, each step ending with
    /// the outcome `outcome` gives it.
    fn walk(upgrade: Upgrade, outcome: impl Fn(Step) -> Outcome) -> (Vec<Step>, Stop) {
        let mut steps = vec![upgrade.first()];
        loop {
            let step = *steps.last().unwrap();
            match upgrade.after(step, outcome(step)) {
                Next::Do(next) => steps.push(next),
                Next::Stop(stop) => return (steps, stop),
            }
            assert!(steps.len() <= 8, "the sequence ends: {steps:?}");
        }
    }

    fn done(_: Step) -> Outcome {
        Outcome::Done
    }

    fn handed_off(step: Step) -> Outcome {
        if step == Step::Run {
            Outcome::HandedOff
        } else {
            Outcome::Done
        }
    }

    use Step::*;

    #[test]
    fn without_a_plan_or_approval_it_syncs_plans_checks_and_stops_for_review() {
        let (steps, stop) = walk(Upgrade { plan_exists: false, approve: false }, done);
        assert_eq!(steps, [Preflight, EnvVerify, Sync, MakePlan, CheckPlan]);
        assert_eq!(stop, Stop::ForReview);
    }

    #[test]
    fn an_existing_plan_is_checked_never_made_again_nor_synced() {
        let (steps, stop) = walk(Upgrade { plan_exists: true, approve: false }, done);
        assert_eq!(steps, [Preflight, EnvVerify, CheckPlan]);
        assert_eq!(stop, Stop::ForReview);
    }

    #[test]
    fn approved_with_a_hand_off_it_runs_and_retires() {
        let (steps, stop) = walk(Upgrade { plan_exists: true, approve: true }, handed_off);
        assert_eq!(steps, [Preflight, EnvVerify, CheckPlan, Run, Retire]);
        assert_eq!(stop, Stop::Finished);
        let (steps, _) = walk(Upgrade { plan_exists: false, approve: true }, handed_off);
        assert_eq!(steps, [Preflight, EnvVerify, Sync, MakePlan, CheckPlan, Run, Retire]);
    }

    #[test]
    fn approved_without_a_hand_off_it_stops_once_drained_never_retiring() {
        for plan_exists in [true, false] {
            let (steps, stop) = walk(Upgrade { plan_exists, approve: true }, done);
            assert_eq!(steps.last(), Some(&Run));
            assert_eq!(stop, Stop::Drained);
            assert!(!stop.is_failure());
        }
    }

    #[test]
    fn an_incomplete_sync_goes_on_to_the_plan() {
        let incomplete_sync = |step| if step == Sync { Outcome::Incomplete } else { handed_off(step) };
        let (steps, stop) = walk(Upgrade { plan_exists: false, approve: true }, incomplete_sync);
        assert_eq!(steps, [Preflight, EnvVerify, Sync, MakePlan, CheckPlan, Run, Retire]);
        assert_eq!(stop, Stop::Finished);
        assert_eq!(
            going_on("2 of 9 resources differ and were left as they are"),
            "cutover upgrade: 2 of 9 resources differ and were left as they are; going on"
        );
    }

    #[test]
    fn any_other_incomplete_step_stops_as_a_failure() {
        let upgrade = Upgrade { plan_exists: false, approve: true };
        for step in [Preflight, EnvVerify, MakePlan, CheckPlan, Run, Retire] {
            let stop = Stop::Incomplete(step);
            assert_eq!(upgrade.after(step, Outcome::Incomplete), Next::Stop(stop));
            assert!(stop.is_failure());
            let text = stop.text(Path::new("p.yaml")).unwrap();
            assert!(text.contains(&format!("`cutover {}`", step.command())), "{text}");
        }
    }

    #[test]
    fn the_stops_say_what_the_operator_does_next() {
        let plan = Path::new("plans/p.yaml");
        let review = Stop::ForReview.text(plan).unwrap();
        assert_eq!(
            review,
            "\ncutover upgrade: nothing has changed yet. Read plans/p.yaml (`cutover plan --show plans/p.yaml`), \
             edit it if need be, then run the same command with --approve to apply it."
        );
        let drained = Stop::Drained.text(plan).unwrap();
        assert!(drained.contains("not handed off (no --on-host-empty)") && drained.ends_with("`cutover retire`."));
        assert_eq!(Stop::Finished.text(plan), None);
    }

    #[test]
    fn the_hosts_are_handed_off_by_one_hook_for_all_or_one_each() {
        let host = |on_empty: Option<&str>| HostPlan {
            name: "old-1".into(),
            servers: Vec::new(),
            on_empty: on_empty.map(String::from),
        };
        let each = [host(Some("redeploy old-1")), host(Some("redeploy old-2"))];
        let one_without = [host(Some("redeploy old-1")), host(None)];
        assert!(hands_off(true, None));
        assert!(hands_off(true, Some(&one_without)));
        assert!(hands_off(false, Some(&each)));
        assert!(!hands_off(false, Some(&one_without)));
        assert!(!hands_off(false, None), "a plan that cannot be read hands nothing off");
    }

    #[test]
    fn a_new_plans_check_goes_under_the_plans_heading() {
        let plan = Path::new("p.yaml");
        let new = Upgrade { plan_exists: false, approve: false };
        assert_eq!(new.heading(MakePlan, plan).as_deref(), Some("plan: written to p.yaml"));
        assert_eq!(new.heading(CheckPlan, plan), None);
        let existing = Upgrade { plan_exists: true, approve: false };
        let heading = existing.heading(CheckPlan, plan).unwrap();
        assert_eq!(heading, "plan: p.yaml exists; checked against the clouds, applied as it is");
        for step in [Preflight, EnvVerify, Sync, Run, Retire] {
            assert!(new.heading(step, plan).is_some_and(|h| h.starts_with(step.command())), "{step:?}");
        }
    }
}
