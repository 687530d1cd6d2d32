//! Where a notification's resource is: its `resourceUrl` (such as
//! `/communications/calls/{call-id}/participants`) read into the ids it names.
//!
//! Graph names a call's resources under `/communications/calls/{call-id}`, and under the deprecated
//! `/app/calls/{call-id}` in older deliveries; both read the same. Literal segments match without
//! regard to ASCII case. An absolute URL (`https://graph.microsoft.com/v1.0/communications/...`),
//! a query, a fragment and a trailing `/` are allowed.

/// A call's resource, as its URL names it. Read one with [`ResourcePath::parse`], or with the
/// `resource_path()` method of a generated notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourcePath<'a> {
    /// The call itself: `/communications/calls/{call-id}`.
    Call {
        /// The call's id.
        call_id: &'a str,
    },
    /// The call's roster: `/communications/calls/{call-id}/participants`.
    Participants {
        /// The call's id.
        call_id: &'a str,
    },
    /// One participant: `/communications/calls/{call-id}/participants/{participant-id}`.
    Participant {
        /// The call's id.
        call_id: &'a str,
        /// The participant's id.
        participant_id: &'a str,
    },
    /// An operation on the call: `/communications/calls/{call-id}/operations/{operation-id}`.
    Operation {
        /// The call's id.
        call_id: &'a str,
        /// The operation's id.
        operation_id: &'a str,
    },
}

impl<'a> ResourcePath<'a> {
    /// Reads a resource URL; `None` if it names no resource of a call. Never panics.
    pub fn parse(url: &'a str) -> Option<Self> {
        let mut segments = segments(url);
        let root = segments.next()?;
        if !root.eq_ignore_ascii_case("communications") && !root.eq_ignore_ascii_case("app") {
            return None;
        }
        if !segments.next()?.eq_ignore_ascii_case("calls") {
            return None;
        }
        let call_id = id(segments.next()?)?;
        let path = match (segments.next(), segments.next()) {
            (None, _) => Self::Call { call_id },
            (Some(child), None) if child.eq_ignore_ascii_case("participants") => {
                Self::Participants { call_id }
            }
            (Some(child), Some(participant)) if child.eq_ignore_ascii_case("participants") => {
                Self::Participant {
                    call_id,
                    participant_id: id(participant)?,
                }
            }
            (Some(child), Some(operation)) if child.eq_ignore_ascii_case("operations") => {
                Self::Operation {
                    call_id,
                    operation_id: id(operation)?,
                }
            }
            _ => return None,
        };
        segments.next().is_none().then_some(path)
    }

    /// The id of the call the resource belongs to.
    pub fn call_id(&self) -> &'a str {
        match *self {
            Self::Call { call_id }
            | Self::Participants { call_id }
            | Self::Participant { call_id, .. }
            | Self::Operation { call_id, .. } => call_id,
        }
    }

    /// The participant's id, for a resource that is one participant.
    pub fn participant_id(&self) -> Option<&'a str> {
        match *self {
            Self::Participant { participant_id, .. } => Some(participant_id),
            _ => None,
        }
    }

    /// The operation's id, for a resource that is an operation.
    pub fn operation_id(&self) -> Option<&'a str> {
        match *self {
            Self::Operation { operation_id, .. } => Some(operation_id),
            _ => None,
        }
    }
}

/// A segment that names a resource: anything but nothing.
fn id(segment: &str) -> Option<&str> {
    (!segment.is_empty()).then_some(segment)
}

/// The segments of a resource URL's path, after the host and the API version (`v1.0`, `beta`).
fn segments(url: &str) -> std::str::Split<'_, char> {
    // Both are ASCII, so where either is found is a character boundary.
    let end = url.bytes().position(|b| matches!(b, b'?' | b'#'));
    let url = end.map_or(url, |end| &url[..end]);
    // A path, the usual form, has no scheme: no need to look for one.
    let path = if url.starts_with('/') {
        url
    } else {
        match url.split_once("://") {
            Some((scheme, rest)) if is_scheme(scheme) => {
                rest.find('/').map_or("", |at| &rest[at..])
            }
            _ => url,
        }
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    let path = ["v1.0/", "beta/"]
        .into_iter()
        .find_map(|version| {
            path.get(..version.len())
                .filter(|prefix| prefix.eq_ignore_ascii_case(version))
                .map(|_| &path[version.len()..])
        })
        .unwrap_or(path);
    path.split('/')
}

/// Whether `text` is a URI scheme such as `https`.
fn is_scheme(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Whether a resource URL has the path of `template`, such as
/// `/communications/calls/{call-id}/participants`: the same number of segments, literal ones equal
/// without regard to ASCII case, and a non-empty segment for each `{...}`.
pub(crate) fn matches_template(url: &str, template: &str) -> bool {
    let template = template.strip_prefix('/').unwrap_or(template);
    let mut path = segments(url);
    let mut template = template.split('/');
    loop {
        match (path.next(), template.next()) {
            (None, None) => return true,
            (Some(segment), Some(expected)) => {
                let parameter = expected.starts_with('{') && expected.ends_with('}');
                let fits = if parameter {
                    !segment.is_empty()
                } else {
                    segment.eq_ignore_ascii_case(expected)
                };
                if !fits {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_of_a_call_is_read() {
        let cases: &[(&str, ResourcePath<'_>)] = &[
            (
                "/communications/calls/57dab8b1",
                ResourcePath::Call {
                    call_id: "57dab8b1",
                },
            ),
            (
                "/app/calls/421f1100",
                ResourcePath::Call {
                    call_id: "421f1100",
                },
            ),
            (
                "/communications/calls/c1/participants",
                ResourcePath::Participants { call_id: "c1" },
            ),
            (
                "/communications/calls/c1/participants/p1",
                ResourcePath::Participant {
                    call_id: "c1",
                    participant_id: "p1",
                },
            ),
            (
                "/app/calls/c1/operations/o1",
                ResourcePath::Operation {
                    call_id: "c1",
                    operation_id: "o1",
                },
            ),
            (
                "https://graph.microsoft.com/v1.0/communications/calls/c1/operations/o1?x=1",
                ResourcePath::Operation {
                    call_id: "c1",
                    operation_id: "o1",
                },
            ),
            (
                "communications/Calls/c1/PARTICIPANTS/",
                ResourcePath::Participants { call_id: "c1" },
            ),
            (
                "/beta/communications/calls/c1#top",
                ResourcePath::Call { call_id: "c1" },
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(ResourcePath::parse(url), Some(*expected), "{url}");
        }
        let operation = ResourcePath::parse("/communications/calls/c1/operations/o1").unwrap();
        assert_eq!(operation.call_id(), "c1");
        assert_eq!(operation.operation_id(), Some("o1"));
        assert_eq!(operation.participant_id(), None);
        let participant = ResourcePath::parse("/communications/calls/c1/participants/p1").unwrap();
        assert_eq!(participant.participant_id(), Some("p1"));
        assert_eq!(participant.operation_id(), None);
    }

    #[test]
    fn odd_urls_name_no_resource_and_never_panic() {
        for url in [
            "",
            "/",
            "//",
            "?",
            "#",
            "://",
            "https://",
            "https://graph.microsoft.com",
            "/communications",
            "/communications/calls",
            "/communications/calls/",
            "/communications/calls//participants",
            "/communications/calls/c1/operations",
            "/communications/calls/c1/operations/",
            "/communications/calls/c1/participants/p1/extra",
            "/communications/calls/c1/audioRoutingGroups/g1",
            "/communications/onlineMeetings/m1",
            "/users/u1",
            "/v1.0",
            "/bet",
            "é/ü/ß",
            "/communications/calls/\u{0}/\u{7f}/é",
            "1://x",
        ] {
            assert_eq!(ResourcePath::parse(url), None, "{url:?}");
        }
        // Every prefix and suffix of a valid URL, cut at any character boundary.
        let url = "https://graph.microsoft.com/beta/communications/calls/ü1/operations/ö2?a#b";
        for (at, _) in url.char_indices() {
            let _ = ResourcePath::parse(&url[..at]);
            let _ = ResourcePath::parse(&url[at..]);
            let _ = matches_template(&url[at..], "/communications/calls/{call-id}");
        }
    }

    #[test]
    fn templates_match_whole_paths() {
        let roster = "/communications/calls/{call-id}/participants";
        assert!(matches_template(
            "/communications/calls/c1/participants",
            roster
        ));
        assert!(matches_template(
            "/COMMUNICATIONS/calls/c1/participants/",
            roster
        ));
        assert!(!matches_template("/communications/calls/c1", roster));
        assert!(!matches_template(
            "/communications/calls//participants",
            roster
        ));
        assert!(!matches_template(
            "/communications/calls/c1/participants/p1",
            roster
        ));
        assert!(!matches_template("/app/calls/c1/participants", roster));
        assert!(matches_template("/app/calls/c1", "/app/calls/{call-id}"));
    }
}
