//! A small blocking HTTP/1.1 client over plain `http://` (ureq without
//! TLS): enforcement points run next to the workload, on loopback or a
//! private network; `https://` is refused with a clear error.

use super::TargetError;
use std::time::Duration;

/// A client for one base URL (`http://host:port`, optional path prefix).
pub(crate) struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

/// The longest error body quoted in an error.
const MAX_QUOTED_BODY: usize = 2_000;

impl Client {
    /// A client for `base`; `token` is sent as the `Authorization` header.
    pub(crate) fn new(
        base: &str,
        token: Option<&str>,
        timeout: Duration,
    ) -> Result<Client, TargetError> {
        let base = base.trim_end_matches('/');
        if base.starts_with("https://") {
            return Err(TargetError::Url(format!(
                "{base}: https is not supported by this build; reach the agent over plain http \
                 (loopback or a private network), for example through a local TLS-terminating proxy"
            )));
        }
        let Some(rest) = base.strip_prefix("http://") else {
            return Err(TargetError::Url(format!(
                "{base}: not an http:// URL (give the agent's base URL, like http://127.0.0.1:8180)"
            )));
        };
        if rest.is_empty() || rest.starts_with('/') {
            return Err(TargetError::Url(format!("{base}: the URL has no host")));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build();
        Ok(Client {
            agent: ureq::Agent::new_with_config(config),
            base: base.to_string(),
            token: token.map(str::to_string),
        })
    }

    /// The full URL of a path (`/v1/policies`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request; a JSON body when `body` is given. Answers the body
    /// of a 2xx response, an error otherwise.
    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<String, TargetError> {
        let url = self.url(path);
        let unreachable = |e: ureq::Error| TargetError::Unreachable {
            url: url.clone(),
            message: e.to_string(),
        };
        let with_auth = |mut b: ureq::http::request::Builder| {
            b = b.header("Accept", "application/json");
            if let Some(t) = &self.token {
                b = b.header("Authorization", t.as_str());
            }
            b
        };
        let builder = with_auth(ureq::http::Request::builder().method(method).uri(&url));
        let result = match body {
            Some(b) => {
                let request = builder
                    .header("Content-Type", "application/json")
                    .body(b.to_string())
                    .map_err(|e| TargetError::Url(format!("{url}: {e}")))?;
                self.agent.run(request)
            }
            None => {
                let request = builder
                    .body(())
                    .map_err(|e| TargetError::Url(format!("{url}: {e}")))?;
                self.agent.run(request)
            }
        };
        let mut response = result.map_err(unreachable)?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| TargetError::Unreachable {
                url: url.clone(),
                message: format!("reading the answer: {e}"),
            })?;
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            let mut body = text.trim().to_string();
            if body.len() > MAX_QUOTED_BODY {
                let mut cut = MAX_QUOTED_BODY;
                while !body.is_char_boundary(cut) {
                    cut -= 1;
                }
                body.truncate(cut);
                body.push_str("...");
            }
            if body.is_empty() {
                body = "(empty body)".to_string();
            }
            Err(TargetError::Status {
                method: method.to_string(),
                url,
                status,
                body,
            })
        }
    }
}
