//! Where a policy's text sits in its project: the file (as a path relative
//! to the project root) and the policy's range in that file, so an editor
//! can open the file and mark the whole policy.

use crate::project::Project;
use serde::Serialize;

/// The place of one policy's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PolicyLocation {
    /// The policy's Writ id.
    pub id: String,
    /// The file holding it, relative to the project root (`policies/base.cedar`).
    pub file: String,
    /// First byte of the policy's text in the file.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
    /// The same range in UTF-16 code units, as editors in a web view count.
    pub start_utf16: usize,
    /// One past the last UTF-16 code unit.
    pub end_utf16: usize,
}

/// The location of policy `id` in `project`, or `None` when the project has
/// no such policy or its text could not be found in its file.
pub fn locate_policy(project: &Project, id: &str) -> Option<PolicyLocation> {
    let info = project.policies.get(id)?;
    let span = info.span?;
    let file = project
        .files
        .policies
        .iter()
        .find(|f| f.shown == info.file)?;
    let (start_utf16, end_utf16) = utf16_range(&file.text, span.start, span.end)?;
    Some(PolicyLocation {
        id: id.to_string(),
        file: file.relative.clone(),
        start: span.start,
        end: span.end,
        start_utf16,
        end_utf16,
    })
}

/// Byte range `start..end` of `text` in UTF-16 code units; `None` when the
/// range is not on character boundaries inside the text.
fn utf16_range(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let before = text.get(..start)?;
    let inside = text.get(start..end)?;
    let from = before.encode_utf16().count();
    Some((from, from + inside.encode_utf16().count()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{check_project, today_utc};
    use std::path::Path;

    fn sample(v: &str) -> Project {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../sample-policies")
            .join(v);
        check_project(&root, today_utc())
            .project
            .expect("the sample checks")
    }

    #[test]
    fn every_sample_policy_is_located_at_its_own_text() {
        for v in ["v1", "v2"] {
            let p = sample(v);
            assert!(!p.policies.policies.is_empty());
            for info in &p.policies.policies {
                let loc = locate_policy(&p, &info.id).expect("located");
                let file = p
                    .files
                    .policies
                    .iter()
                    .find(|f| f.relative == loc.file)
                    .expect("the file is one of the project's");
                let text = &file.text[loc.start..loc.end];
                assert_eq!(text, info.text);
                if !info.id.contains(':') {
                    assert!(text.contains(&format!("@id(\"{}\")", info.id)), "{text}");
                }
            }
        }
        assert!(locate_policy(&sample("v2"), "no-such-policy").is_none());
    }

    #[test]
    fn utf16_offsets_count_code_units() {
        let text = "// ünïcödé 🙂\n@id(\"a\")\npermit(principal, action, resource);\n";
        let start = text.find("@id").unwrap();
        let end = text.len() - 1;
        let (from, to) = utf16_range(text, start, end).expect("on boundaries");
        let utf16: Vec<u16> = text.encode_utf16().collect();
        let shown = String::from_utf16(&utf16[from..to]).unwrap();
        assert_eq!(shown, &text[start..end]);
        assert!(from < start, "multi-byte characters count less in UTF-16");
        // Not on a character boundary: no range.
        assert_eq!(utf16_range(text, 4, 8), None);
        assert_eq!(utf16_range(text, 0, text.len() + 1), None);
    }
}
