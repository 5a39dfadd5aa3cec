//! Which tools a draft must not grant outright: those whose names or
//! arguments suggest a deletion, a deploy, a payment or another write.
//! The words are matched whole, after splitting names at `_`, `-`, `.`,
//! `/`, spaces and lower-to-upper case changes (`deleteRepo` → `delete`,
//! `repo`), so `undeleted_count` is not a deletion.

use crate::inventory::Impact;

/// Why a tool is treated as sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Deletes or destroys something.
    Deletion,
    /// Deploys, releases or changes running systems.
    Deploy,
    /// Moves money.
    Payment,
    /// Writes, sends or runs something.
    Write,
    /// The analyst marked it.
    Marked,
}

impl Sensitivity {
    /// What it suggests, for messages (`a deletion`, ...).
    pub fn phrase(self) -> &'static str {
        match self {
            Sensitivity::Deletion => "a deletion",
            Sensitivity::Deploy => "a deploy",
            Sensitivity::Payment => "a payment",
            Sensitivity::Write => "a write",
            Sensitivity::Marked => "an action the analyst marked",
        }
    }

    /// The inventory impact a tool of this kind gets in a draft.
    pub fn impact(self) -> Impact {
        match self {
            Sensitivity::Deletion | Sensitivity::Deploy => Impact::Destructive,
            Sensitivity::Payment => Impact::External,
            Sensitivity::Write | Sensitivity::Marked => Impact::Write,
        }
    }
}

/// The words of each kind, most serious kind first.
const WORDS: &[(Sensitivity, &[&str])] = &[
    (
        Sensitivity::Deletion,
        &[
            "delete",
            "del",
            "remove",
            "rm",
            "drop",
            "destroy",
            "purge",
            "truncate",
            "erase",
            "wipe",
            "revoke",
            "terminate",
            "kill",
            "unlink",
            "rmdir",
        ],
    ),
    (
        Sensitivity::Deploy,
        &[
            "deploy",
            "release",
            "rollout",
            "rollback",
            "publish",
            "promote",
            "install",
            "upgrade",
            "scale",
            "restart",
            "reboot",
            "shutdown",
            "provision",
            "migrate",
            "rotate",
            "isolate",
            "quarantine",
            "disable",
            "suspend",
            "lock",
            "block",
            "reset",
        ],
    ),
    (
        Sensitivity::Payment,
        &[
            "pay", "payment", "payments", "payout", "transfer", "refund", "charge", "purchase",
            "wire", "withdraw", "buy", "iban", "amount",
        ],
    ),
    (
        Sensitivity::Write,
        &[
            "write", "create", "update", "edit", "put", "post", "patch", "set", "insert", "upsert",
            "modify", "commit", "push", "merge", "send", "email", "exec", "execute", "run",
            "shell", "bash", "command", "cmd", "move", "mv", "rename", "upload", "approve",
            "grant", "assign", "apply", "change", "save", "submit", "replace", "book", "reserve",
            "schedule", "cancel",
        ],
    ),
];

/// Words that name a read: a tool whose name has one (and no word above)
/// is not judged by its argument names (`read_invoice(amount)` reads).
const READ_WORDS: &[&str] = &[
    "read",
    "get",
    "list",
    "search",
    "query",
    "fetch",
    "describe",
    "show",
    "view",
    "find",
    "lookup",
    "check",
    "count",
    "inspect",
    "browse",
    "preview",
    "summarize",
    "summarise",
];

/// The words of a name, lower-cased.
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The most serious kind a name suggests, with the word that suggests it.
pub fn of_name(name: &str) -> Option<(Sensitivity, String)> {
    let words = words(name);
    WORDS.iter().find_map(|(kind, list)| {
        words
            .iter()
            .find(|w| list.contains(&w.as_str()))
            .map(|w| (*kind, w.clone()))
    })
}

/// Why a tool is sensitive: its name first, then its argument names
/// (`args`), with the word and where it was found.
pub fn classify<'a>(
    tool: &str,
    args: impl IntoIterator<Item = &'a str>,
) -> Option<(Sensitivity, String)> {
    if let Some((kind, word)) = of_name(tool) {
        return Some((kind, format!("its name has `{word}`")));
    }
    if words(tool).iter().any(|w| READ_WORDS.contains(&w.as_str())) {
        return None;
    }
    let mut best: Option<(Sensitivity, String)> = None;
    for arg in args {
        if let Some((kind, word)) = of_name(arg) {
            // Arguments only count for the kinds that are plainly about
            // what happens (a `command` argument runs something).
            if best.as_ref().is_none_or(|(b, _)| kind < *b) {
                best = Some((kind, format!("its argument `{arg}` has `{word}`")));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("deleteRepo"), ["delete", "repo"]);
        assert_eq!(words("k8s.apply-manifest"), ["k8s", "apply", "manifest"]);
        assert_eq!(words("HTTPGet"), ["httpget"]);
        assert_eq!(words("undeleted_count"), ["undeleted", "count"]);
    }

    #[test]
    fn tools_are_classified_by_whole_words() {
        assert_eq!(
            of_name("delete_repo").map(|x| x.0),
            Some(Sensitivity::Deletion)
        );
        assert_eq!(
            of_name("deploy_production").map(|x| x.0),
            Some(Sensitivity::Deploy)
        );
        assert_eq!(
            of_name("issueRefund").map(|x| x.0),
            Some(Sensitivity::Payment)
        );
        assert_eq!(of_name("send_email").map(|x| x.0), Some(Sensitivity::Write));
        assert_eq!(of_name("search_tickets"), None);
        assert_eq!(of_name("undeleted_count"), None);
        assert_eq!(of_name("get_resource"), None);
    }

    #[test]
    fn arguments_count_when_the_name_says_nothing() {
        let (kind, why) = classify("stripe", ["amount_cents", "customer"]).expect("payment");
        assert_eq!(kind, Sensitivity::Payment);
        assert!(why.contains("amount_cents"), "{why}");
        assert_eq!(classify("lookup", ["query", "limit"]), None);
        assert_eq!(
            classify("read_invoice", ["amount_cents"]),
            None,
            "a read is a read"
        );
        assert_eq!(
            of_name("rotate_credentials").map(|x| x.0),
            Some(Sensitivity::Deploy)
        );
        let (kind, _) = classify("tool", ["command", "force_delete"]).expect("sensitive");
        assert_eq!(kind, Sensitivity::Deletion, "the most serious kind wins");
    }
}
