//! The framework controls of a policy's `@control` annotation, e.g.
//! `"OWASP ASI02; MAESTRO L4; NIST AI RMF MANAGE 2.4"`.

/// A framework a control belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Framework {
    /// OWASP Top 10 for Agentic AI (`ASI01`..`ASI10`).
    OwaspAgentic,
    /// CSA MAESTRO threat-model layers (`L1`..`L7`).
    Maestro,
    /// NIST AI RMF functions (GOVERN, MAP, MEASURE, MANAGE).
    NistAiRmf,
    /// Anything else, kept as written.
    Other,
}

impl Framework {
    /// Every framework, in report order.
    pub const ALL: [Framework; 4] = [
        Framework::OwaspAgentic,
        Framework::Maestro,
        Framework::NistAiRmf,
        Framework::Other,
    ];

    /// The framework's name as shown.
    pub fn title(self) -> &'static str {
        match self {
            Framework::OwaspAgentic => "OWASP Agentic AI Top 10",
            Framework::Maestro => "CSA MAESTRO",
            Framework::NistAiRmf => "NIST AI RMF",
            Framework::Other => "Other",
        }
    }
}

/// One control a policy names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControlRef {
    /// Its framework.
    pub framework: Framework,
    /// The control within it (`ASI02`, `L4`, `MANAGE 2.4`, or the text as written).
    pub control: String,
}

const NIST_FUNCTIONS: [&str; 4] = ["GOVERN", "MAP", "MEASURE", "MANAGE"];

/// Parses a `@control` annotation: `;`-separated references, each
/// `OWASP ASInn`, `MAESTRO Ln` (optionally `CSA MAESTRO`), or
/// `NIST AI RMF <FUNCTION> [n.n]`; anything else is kept under
/// [`Framework::Other`]. Empty parts are skipped.
pub fn parse_controls(text: &str) -> Vec<ControlRef> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(parse_one)
        .collect()
}

fn parse_one(part: &str) -> ControlRef {
    let words: Vec<&str> = part.split_whitespace().collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
    let other = || ControlRef {
        framework: Framework::Other,
        control: words.join(" "),
    };
    match upper
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["OWASP", rest @ ..] => match rest.last() {
            Some(c)
                if c.starts_with("ASI")
                    && c.len() > 3
                    && c[3..].chars().all(|d| d.is_ascii_digit()) =>
            {
                ControlRef {
                    framework: Framework::OwaspAgentic,
                    control: c.to_string(),
                }
            }
            _ => other(),
        },
        ["MAESTRO", l] | ["CSA", "MAESTRO", l]
            if l.len() == 2
                && l.starts_with('L')
                && ('1'..='7').contains(&l.chars().nth(1).unwrap_or('0')) =>
        {
            ControlRef {
                framework: Framework::Maestro,
                control: l.to_string(),
            }
        }
        ["NIST", "AI", "RMF", f, rest @ ..] if NIST_FUNCTIONS.contains(f) && rest.len() <= 1 => {
            ControlRef {
                framework: Framework::NistAiRmf,
                control: std::iter::once(*f)
                    .chain(rest.iter().copied())
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        }
        _ => other(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_form_parses_into_three_frameworks() {
        let c = parse_controls("OWASP ASI02; OWASP ASI10; MAESTRO L4; NIST AI RMF MANAGE 2.4");
        let got: Vec<(Framework, &str)> = c
            .iter()
            .map(|c| (c.framework, c.control.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Framework::OwaspAgentic, "ASI02"),
                (Framework::OwaspAgentic, "ASI10"),
                (Framework::Maestro, "L4"),
                (Framework::NistAiRmf, "MANAGE 2.4"),
            ]
        );
    }

    #[test]
    fn unknown_or_malformed_parts_are_kept_as_other() {
        let c = parse_controls(" ;ISO 42001 A.6; MAESTRO L9; NIST AI RMF GOVERN; csa maestro l2 ");
        let got: Vec<(Framework, &str)> = c
            .iter()
            .map(|c| (c.framework, c.control.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Framework::Other, "ISO 42001 A.6"),
                (Framework::Other, "MAESTRO L9"),
                (Framework::NistAiRmf, "GOVERN"),
                (Framework::Maestro, "L2"),
            ]
        );
    }
}
