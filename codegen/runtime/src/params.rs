//! The query and header parameters of a request on the Graph side, read and checked before a
//! service sees them: a value that is not of its parameter's type, out of its range, missing when
//! required, or given twice is a `400` with a Graph-style body that names the parameter. Query
//! parameters the description does not name are ignored, as Graph ignores them.

use axum::http::HeaderMap;

use super::OpenEnum;
use super::http::GraphError;
use super::query;

/// A parameter value as it is written on the wire.
pub trait FromParam: Sized {
    /// What a value must be, for messages: `an integer`.
    const EXPECTED: &'static str;

    /// The value `text` (already decoded) writes, if it is one.
    fn from_param(text: &str) -> Option<Self>;
}

impl FromParam for String {
    const EXPECTED: &'static str = "a string";

    fn from_param(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

impl FromParam for bool {
    const EXPECTED: &'static str = "`true` or `false`";

    fn from_param(text: &str) -> Option<Self> {
        match text {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

macro_rules! from_str_param {
    ($type:ty, $expected:literal) => {
        impl FromParam for $type {
            const EXPECTED: &'static str = $expected;

            fn from_param(text: &str) -> Option<Self> {
                text.parse().ok()
            }
        }
    };
}

from_str_param!(i32, "a 32-bit integer");
from_str_param!(i64, "a 64-bit integer");

impl FromParam for f64 {
    const EXPECTED: &'static str = "a finite number";

    fn from_param(text: &str) -> Option<Self> {
        text.parse::<f64>().ok().filter(|n| n.is_finite())
    }
}

/// A member of a string enum that the description names (compared without regard to ASCII case),
/// as a request body's enums are checked.
impl<T: OpenEnum> FromParam for T {
    const EXPECTED: &'static str = "one of the values the description lists";

    fn from_param(text: &str) -> Option<Self> {
        T::known(text)
    }
}

/// The query string and headers of one request.
pub struct Params<'a> {
    /// Decoded names with their undecoded values, in the order they came.
    query: Vec<(String, &'a str)>,
    headers: &'a HeaderMap,
}

impl<'a> Params<'a> {
    /// The parameters of a request with this query string and these headers.
    pub fn new(query: Option<&'a str>, headers: &'a HeaderMap) -> Self {
        let query = query::raw_pairs(query.unwrap_or(""))
            .map(|(name, value)| (query::decode(name).unwrap_or_default(), value))
            .collect();
        Self { query, headers }
    }

    /// The undecoded value of the query parameter `name`; `400` if it is given more than once.
    fn raw(&self, name: &str) -> Result<Option<&'a str>, GraphError> {
        let mut values = self.query.iter().filter(|(n, _)| n == name);
        let first = values.next().map(|(_, value)| *value);
        if values.next().is_some() {
            return Err(GraphError::bad_request(format!(
                "the query parameter `{name}` is given more than once; give it once"
            )));
        }
        Ok(first)
    }

    /// The value of the query parameter `name`, if the request has it.
    pub fn query<T: FromParam>(&self, name: &str) -> Result<Option<T>, GraphError> {
        self.raw(name)?
            .map(|raw| parse("query parameter", name, raw, decoded(name, raw)?))
            .transpose()
    }

    /// The items of the comma list `name` (`a,b,c`), each decoded after the list is split, if the
    /// request has it; an empty value is an empty list.
    pub fn query_list<T: FromParam>(&self, name: &str) -> Result<Option<Vec<T>>, GraphError> {
        let Some(raw) = self.raw(name)? else {
            return Ok(None);
        };
        if raw.is_empty() {
            return Ok(Some(Vec::new()));
        }
        raw.split(',')
            .map(|item| parse("query parameter", name, item, decoded(name, item)?))
            .collect::<Result<Vec<T>, GraphError>>()
            .map(Some)
    }

    /// The value of the header `name`, if the request has it; several lines of it are one value
    /// joined by `, `, as HTTP reads them.
    pub fn header<T: FromParam>(&self, name: &str) -> Result<Option<T>, GraphError> {
        let mut text: Option<String> = None;
        for value in self.headers.get_all(name) {
            let value = value.to_str().map_err(|_| {
                GraphError::bad_request(format!(
                    "the header `{name}` is not visible ASCII text; send it as such"
                ))
            })?;
            match &mut text {
                Some(joined) => {
                    joined.push_str(", ");
                    joined.push_str(value);
                }
                None => text = Some(value.to_owned()),
            }
        }
        text.map(|text| parse("header", name, &text, text.clone()))
            .transpose()
    }
}

/// The value of a required parameter; `400` if the request does not have it.
pub fn required<T>(location: &str, name: &str, value: Option<T>) -> Result<T, GraphError> {
    value.ok_or_else(|| {
        GraphError::bad_request(format!(
            "the {location} parameter `{name}` is required; send it"
        ))
    })
}

/// Checks that every value is within `minimum..=maximum`.
pub fn check_range<T: Copy + Into<i64>>(
    location: &str,
    name: &str,
    values: impl IntoIterator<Item = T>,
    minimum: Option<i64>,
    maximum: Option<i64>,
) -> Result<(), GraphError> {
    for value in values {
        let value: i64 = value.into();
        let bound = match (minimum, maximum) {
            (Some(min), _) if value < min => format!("at least {min}"),
            (_, Some(max)) if value > max => format!("at most {max}"),
            _ => continue,
        };
        return Err(GraphError::bad_request(format!(
            "the {location} parameter `{name}` must be {bound}; got {value}"
        )));
    }
    Ok(())
}

fn decoded(name: &str, raw: &str) -> Result<String, GraphError> {
    query::decode(raw).ok_or_else(|| {
        GraphError::bad_request(format!(
            "the query parameter `{name}` is not UTF-8 once decoded; encode its value as UTF-8"
        ))
    })
}

fn parse<T: FromParam>(
    location: &str,
    name: &str,
    raw: &str,
    text: String,
) -> Result<T, GraphError> {
    T::from_param(&text).ok_or_else(|| {
        GraphError::bad_request(format!(
            "the {location} `{name}` must be {}; got `{raw}`",
            T::EXPECTED
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, axum::http::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn values_are_read_by_type_and_lists_split_before_they_are_decoded() {
        let none = HeaderMap::new();
        let params = Params::new(
            Some("%24select=id,a%2Cb,display%20Name&$top=5&%24count=true&unknown=x&$filter=a+eq+1"),
            &none,
        );
        assert_eq!(
            params.query_list::<String>("$select").unwrap(),
            Some(vec![
                "id".to_owned(),
                "a,b".to_owned(),
                "display Name".to_owned()
            ])
        );
        assert_eq!(params.query::<i64>("$top").unwrap(), Some(5));
        assert_eq!(params.query::<bool>("$count").unwrap(), Some(true));
        assert_eq!(
            params.query::<String>("$filter").unwrap().as_deref(),
            Some("a eq 1")
        );
        assert_eq!(params.query::<i64>("$skip").unwrap(), None);
    }

    #[test]
    fn bad_values_are_400s_that_name_the_parameter() {
        let none = HeaderMap::new();
        let params = Params::new(
            Some("$top=x&$count=True&$skip=1&$skip=2&big=99999999999"),
            &none,
        );
        let message = |err: GraphError| {
            assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST);
            err.message
        };
        assert_eq!(
            message(params.query::<i64>("$top").unwrap_err()),
            "the query parameter `$top` must be a 64-bit integer; got `x`"
        );
        assert!(message(params.query::<bool>("$count").unwrap_err()).contains("`true` or `false`"));
        assert!(message(params.query::<i64>("$skip").unwrap_err()).contains("more than once"));
        assert!(message(params.query::<i32>("big").unwrap_err()).contains("32-bit"));
        assert!(
            message(check_range("query", "$top", Some(-1i64), Some(0), None).unwrap_err())
                .contains("at least 0; got -1")
        );
        assert!(
            message(required::<i64>("header", "If-Match", None).unwrap_err()).contains("required")
        );
    }

    #[test]
    fn headers_are_read_without_regard_to_case_and_repeated_lines_joined() {
        let map = headers(&[
            ("if-match", "\"a\""),
            ("if-match", "\"b\""),
            ("x-count", "7"),
        ]);
        let params = Params::new(None, &map);
        assert_eq!(
            params.header::<String>("If-Match").unwrap().as_deref(),
            Some("\"a\", \"b\"")
        );
        assert_eq!(params.header::<i32>("X-Count").unwrap(), Some(7));
        assert_eq!(params.header::<String>("ConsistencyLevel").unwrap(), None);
    }
}
