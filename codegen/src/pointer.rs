//! JSON pointers into the spec (RFC 6901), written as URI fragments such as `#/paths/~1calls/post`.
//! The only place that escapes (`~` as `~0`, `/` as `~1`) and unescapes reference tokens.

/// A JSON pointer into the spec, rendered as a URI fragment (`#/a/b~1c`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pointer(Vec<String>);

impl Pointer {
    /// The document root, `#`.
    pub fn root() -> Self {
        Self::default()
    }

    /// This pointer with one more reference token.
    pub fn join(&self, token: impl AsRef<str>) -> Self {
        let mut tokens = self.0.clone();
        tokens.push(token.as_ref().to_owned());
        Self(tokens)
    }

    /// Parses a local reference such as `#/components/schemas/x`.
    pub fn from_ref(reference: &str) -> Option<Self> {
        let rest = reference.strip_prefix('#')?;
        if rest.is_empty() {
            return Some(Self::root());
        }
        let rest = rest.strip_prefix('/')?;
        Some(Self(
            rest.split('/')
                .map(|token| token.replace("~1", "/").replace("~0", "~"))
                .collect(),
        ))
    }

    /// The reference tokens, unescaped.
    pub fn tokens(&self) -> &[String] {
        &self.0
    }
}

impl std::fmt::Display for Pointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("#")?;
        for token in &self.0 {
            write!(f, "/{}", token.replace('~', "~0").replace('/', "~1"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_pointers_round_trip() {
        let cases: &[(&str, &[&str])] = &[
            ("#", &[]),
            ("#/components/schemas/x", &["components", "schemas", "x"]),
            (
                "#/paths/~1calls~1{id}/post",
                &["paths", "/calls/{id}", "post"],
            ),
            ("#/a~0b/~01", &["a~b", "~1"]),
            ("#/", &[""]),
        ];
        for (reference, tokens) in cases {
            let pointer = Pointer::from_ref(reference).expect("a local reference");
            assert_eq!(pointer.tokens(), *tokens, "{reference}");
            assert_eq!(pointer.to_string(), *reference);
        }
        for not_local in ["other.yaml#/x", "x", ""] {
            assert_eq!(Pointer::from_ref(not_local), None, "{not_local}");
        }
    }
}
