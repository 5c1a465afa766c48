//! `WWW-Authenticate` challenges and token scopes.

use std::collections::BTreeMap;
use std::fmt;

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm="…"`: send the credentials with every request.
    Basic,
    /// `Bearer realm="…",service="…",scope="…"`: fetch a token from `realm`.
    Bearer {
        /// Token service URL.
        realm: String,
        /// The `service` parameter for the token request, when sent.
        service: Option<String>,
        /// Scopes named by the challenge.
        scopes: Vec<String>,
    },
}

impl Challenge {
    /// Parses the first Basic or Bearer challenge of a header value; other schemes give `None`.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        let params = parse_params(rest);
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Challenge::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let realm = params.get("realm")?.clone();
        let scopes = params
            .get("scope")
            .map(|scope| {
                scope
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Some(Challenge::Bearer {
            realm,
            service: params.get("service").cloned(),
            scopes,
        })
    }
}

/// Parses `key="value", key=token` pairs, honouring backslash escapes inside quotes.
fn parse_params(input: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() {
            break;
        }
        if chars.next() != Some('=') {
            continue;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    other => value.push(other),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        params.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    params
}

/// An action on a repository that a token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Read manifests and blobs.
    Pull,
    /// Write manifests and blobs.
    Push,
}

/// A token scope: `repository:<name>:<actions>`, or `registry:catalog:*` for the catalog.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Actions on one repository.
    Repository {
        /// Repository name.
        name: String,
        /// Granted actions, sorted.
        actions: Vec<Action>,
    },
    /// Listing the catalog.
    Catalog,
}

impl Scope {
    /// `repository:<name>:pull`.
    pub fn pull(name: &str) -> Scope {
        Scope::Repository {
            name: name.to_owned(),
            actions: vec![Action::Pull],
        }
    }

    /// `repository:<name>:pull,push`.
    pub fn push(name: &str) -> Scope {
        Scope::Repository {
            name: name.to_owned(),
            actions: vec![Action::Pull, Action::Push],
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Catalog => f.write_str("registry:catalog:*"),
            Scope::Repository { name, actions } => {
                let actions: Vec<&str> = actions
                    .iter()
                    .map(|action| match action {
                        Action::Pull => "pull",
                        Action::Push => "push",
                    })
                    .collect();
                write!(f, "repository:{name}:{}", actions.join(","))
            }
        }
    }
}

/// Merges scopes so each repository appears once with the union of its actions, in a stable
/// order; the result is both the token request's `scope` list and the token cache key.
pub fn merge_scopes(scopes: &[Scope]) -> Vec<Scope> {
    let mut repositories: BTreeMap<&str, Vec<Action>> = BTreeMap::new();
    let mut catalog = false;
    for scope in scopes {
        match scope {
            Scope::Catalog => catalog = true,
            Scope::Repository { name, actions } => {
                let merged = repositories.entry(name).or_default();
                merged.extend(actions.iter().copied());
                merged.sort();
                merged.dedup();
            }
        }
    }
    let mut merged: Vec<Scope> = repositories
        .into_iter()
        .map(|(name, actions)| Scope::Repository {
            name: name.to_owned(),
            actions,
        })
        .collect();
    // The destination (the repository with push) goes first, because some token services keep
    // only the first `scope` parameter.
    merged.sort_by_key(|scope| match scope {
        Scope::Repository { actions, .. } => !actions.contains(&Action::Push),
        Scope::Catalog => true,
    });
    if catalog {
        merged.push(Scope::Catalog);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge_from_distribution() {
        let header = r#"Bearer realm="https://auth.example.test/token",service="registry.example.test",scope="repository:mirror/nginx:pull,push""#;
        assert_eq!(
            Challenge::parse(header),
            Some(Challenge::Bearer {
                realm: "https://auth.example.test/token".to_owned(),
                service: Some("registry.example.test".to_owned()),
                scopes: vec!["repository:mirror/nginx:pull,push".to_owned()],
            })
        );
    }

    #[test]
    fn challenge_with_escapes_and_spaces() {
        let header = r#"bearer realm="https://a.test/t?x=\"y\"", service = "s""#;
        let Some(Challenge::Bearer {
            realm,
            service,
            scopes,
        }) = Challenge::parse(header)
        else {
            panic!("not bearer");
        };
        assert_eq!(realm, r#"https://a.test/t?x="y""#);
        assert_eq!(service.as_deref(), Some("s"));
        assert!(scopes.is_empty());
    }

    #[test]
    fn basic_and_unknown_challenges() {
        assert_eq!(
            Challenge::parse(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::parse("Negotiate abc"), None);
        assert_eq!(Challenge::parse("Bearer service=\"x\""), None);
    }

    #[test]
    fn mount_scopes_put_destination_first() {
        let merged = merge_scopes(&[
            Scope::pull("base/nginx"),
            Scope::push("mirror/nginx"),
            Scope::pull("mirror/nginx"),
        ]);
        let rendered: Vec<String> = merged.iter().map(ToString::to_string).collect();
        assert_eq!(
            rendered,
            [
                "repository:mirror/nginx:pull,push",
                "repository:base/nginx:pull"
            ]
        );
    }
}
