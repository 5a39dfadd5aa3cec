//! The command-line advice added to library errors: the libraries say what
//! is wrong and what to do in neutral words (the desktop app shows them as
//! they are); this module names the `writ` command or flag that does it,
//! printed as `hint: ...` after the error.

use writ_bundle::targets::TargetError;
use writ_bundle::{BundleError, VerifyError};
use writ_core::scenario::ScenarioError;
use writ_store::approvals::{ReviewError, ReviewState};
use writ_store::approvers::ApproverError;
use writ_store::export::ExportError;
use writ_store::report::ReportError;
use writ_store::suites::SuiteProblem;
use writ_store::StoreError;

/// The command-line hint for the first error in `e`'s chain that has one.
pub fn for_error(e: &anyhow::Error) -> Option<String> {
    e.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            store(e)
        } else if let Some(e) = cause.downcast_ref::<ReviewError>() {
            review(e)
        } else if let Some(e) = cause.downcast_ref::<ExportError>() {
            export(e)
        } else if let Some(e) = cause.downcast_ref::<ReportError>() {
            report(e)
        } else if let Some(e) = cause.downcast_ref::<ScenarioError>() {
            scenario(e)
        } else if let Some(e) = cause.downcast_ref::<BundleError>() {
            bundle(e)
        } else if let Some(e) = cause.downcast_ref::<VerifyError>() {
            for_verify(e)
        } else {
            None
        }
    })
}

/// Prints `hint: ...` to stderr when there is a hint.
pub fn eprint(hint: Option<String>) {
    if let Some(h) = hint {
        eprintln!("hint: {h}");
    }
}

/// The command-line hint for a suite that could not run.
pub fn for_suite(problem: &SuiteProblem) -> String {
    match problem {
        SuiteProblem::NoVersion { suite } => format!(
            "bind one with `writ suites add FILE --version V --name {suite} --replace`, or run it with --version"
        ),
        SuiteProblem::NoTraceSet { suite } => format!(
            "bind one with `writ suites add FILE --traces SET --name {suite} --replace`, or run it with --traces"
        ),
        SuiteProblem::VersionHasErrors { version } => check_version(version),
    }
}

fn check_version(short: &str) -> String {
    format!("run `writ check @{short}` to see them")
}

fn store(e: &StoreError) -> Option<String> {
    Some(match e {
        StoreError::NotAWorkspace { .. } => "create a workspace with `writ init PATH`".into(),
        StoreError::Missing { path } => format!("create one with `writ init {}`", path.display()),
        StoreError::NameTaken { what: "suite", .. } => {
            "choose another --name, or replace it with --replace".into()
        }
        StoreError::NameTaken { .. } => "choose another --name".into(),
        StoreError::VersionHasErrors { version, .. } => check_version(version),
        StoreError::VerdictFilterNeedsRun => "give the run with --run RUN".into(),
        StoreError::Scenario(e) => return scenario(e),
        StoreError::Review(e) => return review(e),
        StoreError::Approver(e) => return approver(e),
        _ => return None,
    })
}

fn approver(e: &ApproverError) -> Option<String> {
    Some(match e {
        ApproverError::OtherRole { .. } => {
            "make one with `writ key generate --approver NAME --out FILE --by APPROVER_KEY`".into()
        }
        ApproverError::NotAnApprover { .. } => {
            "an approver registers it with `writ key add --approver NAME PUBLIC.pem --by THEIR_KEY`"
                .into()
        }
        ApproverError::SignatureRequired => {
            "sign with --key FILE, your approver key (or set $WRIT_KEY)".into()
        }
        ApproverError::NoApprovers => {
            "register the first with `writ key generate --approver NAME --out FILE`".into()
        }
        _ => return None,
    })
}

fn review(e: &ReviewError) -> Option<String> {
    Some(match e {
        ReviewError::CheckFailed { short, .. } => format!("see them with `writ check @{short}`"),
        ReviewError::NoSuites { short } => {
            format!("bind one with `writ suites add FILE --version {short}`")
        }
        ReviewError::NoTraceSet => "import one with `writ traces import FILE --name NAME`".into(),
        ReviewError::NotInReview {
            short,
            state: ReviewState::Rejected,
        } => format!("submit it again with `writ review {short} --resubmit`"),
        ReviewError::NotInReview { short, .. } => format!("submit it with `writ review {short}`"),
        ReviewError::SuitesFail { short, .. } => format!(
            "see why with `writ test --suite NAME`; gather the evidence again with `writ review {short}`"
        ),
        ReviewError::StaleEvidence {
            short,
            approved_by_some: true,
            ..
        } => format!(
            "reject it (`writ reject {short} --comment ...`) and submit it again with `writ review {short} --resubmit`"
        ),
        ReviewError::StaleEvidence { short, .. } | ReviewError::Changed { short } => {
            format!("run `writ review {short}` again")
        }
        ReviewError::CommentRequired => "give --comment TEXT".into(),
        ReviewError::NoActor => {
            "sign it with --key YOUR_APPROVER_KEY (a legacy workspace also takes --as NAME)".into()
        }
        _ => return None,
    })
}

fn export(e: &ExportError) -> Option<String> {
    match e {
        ExportError::NotApproved { version, .. } => Some(format!(
            "submit it with `writ review {version}` and have someone other than its author run `writ approve {version}`"
        )),
        ExportError::VersionHasErrors { version, .. } => Some(check_version(version)),
        ExportError::Bundle(e) => bundle(e),
        ExportError::Store(e) => store(e),
    }
}

fn report(e: &ReportError) -> Option<String> {
    match e {
        ReportError::BadTime(_) => Some("give --generated-at in that form".into()),
        ReportError::Store(e) => store(e),
    }
}

fn scenario(e: &ScenarioError) -> Option<String> {
    match e {
        ScenarioError::Project { path, .. } => Some(format!("run `writ check {}`", path.display())),
        _ => None,
    }
}

fn bundle(e: &BundleError) -> Option<String> {
    match e {
        BundleError::BadKey { .. } => {
            Some("make one with `writ key generate` or `openssl genpkey -algorithm ed25519`".into())
        }
        _ => None,
    }
}

/// The command-line hint for a bundle that could not be translated for or
/// sent to a target.
pub fn for_target(e: &TargetError) -> Option<String> {
    match e {
        TargetError::Verify(e) => for_verify(e),
        _ => None,
    }
}

/// The command-line hint for a bundle that failed verification.
pub fn for_verify(e: &VerifyError) -> Option<String> {
    match e {
        VerifyError::UntrustedKey { .. } => Some("pass its public key with --trust".into()),
        VerifyError::Approvals(_) => Some(
            "pass the public key of each approver you trust with --approvers (from `writ key list` in the workspace)".into(),
        ),
        _ => None,
    }
}
