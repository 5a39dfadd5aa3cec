//! `writ export avp --bundle PATH --trust KEY.pub.pem... --out DIR`: verify
//! a signed bundle and write Amazon Verified Permissions' request bodies
//! (`PutSchema`, one `CreatePolicy` per policy). The work is in
//! `writ_bundle::targets::avp`.

use std::path::PathBuf;
use std::process::ExitCode;
use writ_bundle::bundle;
use writ_bundle::targets::{self, avp};

/// `writ export ...`.
#[derive(clap::Subcommand)]
pub enum ExportCommand {
    /// Write the Amazon Verified Permissions inputs of a verified bundle:
    /// schema.json (a PutSchema body), policies/<id>.json (one CreatePolicy
    /// body each) and index.json, into a new folder. Verification failures
    /// exit with `writ bundle verify`'s codes and write nothing.
    Avp(AvpArgs),
}

/// Arguments of `writ export avp`.
#[derive(clap::Args)]
pub struct AvpArgs {
    /// The bundle folder or .tar.gz.
    #[arg(long, value_name = "PATH")]
    bundle: PathBuf,
    /// Trusted public keys (SPKI PEM); any of them may have signed.
    #[arg(long, value_name = "KEY.pub.pem", num_args = 1.., required = true)]
    trust: Vec<PathBuf>,
    /// The folder to write (must not exist).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The policy store id written into every body (default: a placeholder to replace).
    #[arg(long, value_name = "ID", default_value = avp::PLACEHOLDER_POLICY_STORE_ID)]
    policy_store_id: String,
    /// A JSON object from template @id to the policy template id AVP
    /// assigned it (after applying templates/*.json): the linked bodies then
    /// hold those ids instead of `{{template:<@id>}}` placeholders.
    #[arg(long, value_name = "FILE")]
    apply_ids: Option<PathBuf>,
}

/// Runs an export subcommand.
pub fn export(cmd: ExportCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ExportCommand::Avp(a) => export_avp(a),
    }
}

fn export_avp(a: AvpArgs) -> anyhow::Result<ExitCode> {
    avp::check_policy_store_id(&a.policy_store_id)
        .map_err(|e| anyhow::anyhow!("--policy-store-id: {e}"))?;
    let trusted = bundle::read_trusted(&a.trust)?;
    let apply_ids = a.apply_ids.as_deref().map(avp::read_apply_ids).transpose();
    let result = apply_ids.and_then(|ids| {
        targets::open_verified(&a.bundle, &trusted, time::OffsetDateTime::now_utc())
            .and_then(|b| avp::export_with(&b, &a.policy_store_id, &a.out, ids.as_ref()))
    });
    match result {
        Ok(e) => {
            println!(
                "wrote {}: schema.json (PutSchema), {} CreatePolicy bodies in policies/, index.json",
                a.out.display(),
                e.policies.len()
            );
            if !e.templates.is_empty() || !e.links.is_empty() {
                let filled = e.links.iter().all(|l| l.template_id_filled);
                println!(
                    "templates {} CreatePolicyTemplate bodies in templates/, {} template-linked CreatePolicy bodies in policies/{}",
                    e.templates.len(),
                    e.links.len(),
                    if filled || e.links.is_empty() {
                        ""
                    } else {
                        " (template ids are {{template:<@id>}} placeholders: apply templates/ first, then rerun with --apply-ids)"
                    }
                );
                println!("order     index.json apply_order");
            }
            println!("version   {}", e.policy_version);
            println!("digest    {}", e.bundle_digest);
            println!("store id  {}", e.policy_store_id);
            let cut = e
                .policies
                .iter()
                .filter(|p| p.description_truncated)
                .count();
            if cut > 0 {
                println!("note      {cut} description(s) cut to AVP's 150 characters");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}: {e}; nothing was written", a.bundle.display());
            crate::hint::eprint(crate::hint::for_target(&e));
            Ok(ExitCode::from(e.exit_code()))
        }
    }
}
