//! The serde of resource unions, written once for every generated one.
//!
//! A notification's resource (`resourceData`) is one of several types, and which one depends on
//! its own `@odata.type` and on a sibling property (`resourceUrl`) that may come before or after it.
//! The struct that holds it therefore keeps the resource's JSON text while it reads its other
//! properties ([`open_struct!`](crate::open_struct)'s `resource` fields), and reads the text as the
//! right type once its properties are all known. A union declared with
//! [`open_resource!`](crate::open_resource) reads a value as the variant its `@odata.type` names,
//! else as the variant whose paths match the URL, else keeps it as it came: reading a resource never
//! fails.

use std::borrow::Cow;

/// A union of the resources a notification can carry.
pub trait Resource: Sized {
    /// Reads `json` (one JSON value) as the variant its `@odata.type` names or, failing that, as
    /// the variant whose paths `url` matches; anything else is kept as it came.
    fn from_json(json: &str, url: Option<&str>) -> Self;
}

/// Reads the resource a struct kept as JSON text, now that its URL is known.
pub fn decode_resource<T: Resource>(raw: &serde_json::value::RawValue, url: Option<&str>) -> T {
    T::from_json(raw.get(), url)
}

/// Whether `url` has the path of one of `templates` (such as `/communications/calls/{call-id}`).
pub fn path_matches(url: &str, templates: &[&str]) -> bool {
    templates
        .iter()
        .any(|template| super::resource::matches_template(url, template))
}

/// The `@odata.type` of a JSON object, if it has a string one. Graph writes it first, where it is
/// read without going through the rest of the object; elsewhere the object's keys are scanned.
pub fn odata_type_of(json: &str) -> Option<Cow<'_, str>> {
    if let Some(leading) = leading_odata_type(json) {
        return Some(Cow::Borrowed(leading));
    }
    if !json.trim_start().starts_with('{') {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Annotations<'a> {
        #[serde(rename = "@odata.type", borrow, default)]
        odata_type: Option<Cow<'a, str>>,
    }
    serde_json::from_str::<Annotations<'_>>(json)
        .ok()?
        .odata_type
}

/// The `@odata.type` of an object whose first property it is, written without escapes.
fn leading_odata_type(json: &str) -> Option<&str> {
    let rest = json.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix("\"@odata.type\"")?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let end = rest.find(['"', '\\'])?;
    rest[end..].starts_with('"').then(|| &rest[..end])
}

/// `Serialize`, `Deserialize` and `Resource` for a resource union: `open_resource!(Type { Variant:
/// odata("#ns.type").paths("/a/{id}", ...), Other: paths(...), ... }, Unknown)`. Each variant holds
/// one value and is chosen by `@odata.type`, by paths, or both; `Unknown(serde_json::Value)` holds
/// what fits none of them. A value is written as it is held.
#[doc(hidden)]
#[macro_export]
macro_rules! open_resource {
    ($name:ident { $($variant:ident : $rule:ident($($args:tt)*) $(.$also:ident($($also_args:tt)*))?),* $(,)? }, $unknown:ident) => {
        impl $crate::__private::Resource for $name {
            // A union without `odata(..)` or `paths(..)` variants reads neither.
            #[allow(unused_variables)]
            fn from_json(json: &str, url: ::std::option::Option<&str>) -> Self {
                if let ::std::option::Option::Some(odata_type) = $crate::__private::odata_type_of(json) {
                    $(
                        $crate::__resource_rule!(odata odata_type json $variant $rule($($args)*));
                        $($crate::__resource_rule!(odata odata_type json $variant $also($($also_args)*));)?
                    )*
                }
                if let ::std::option::Option::Some(url) = url {
                    $(
                        $crate::__resource_rule!(paths url json $variant $rule($($args)*));
                        $($crate::__resource_rule!(paths url json $variant $also($($also_args)*));)?
                    )*
                }
                Self::$unknown($crate::__private::serde_json::from_str(json).unwrap_or_default())
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    $(Self::$variant(value) => $crate::__private::serde::Serialize::serialize(value, serializer),)*
                    Self::$unknown(value) => $crate::__private::serde::Serialize::serialize(value, serializer),
                }
            }
        }

        /// Read on its own, a resource is chosen by its `@odata.type` alone.
        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let raw: ::std::boxed::Box<$crate::__private::RawValue> = $crate::__private::serde::Deserialize::deserialize(deserializer)?;
                ::std::result::Result::Ok($crate::__private::decode_resource(&raw, ::std::option::Option::None))
            }
        }
    };
}

/// One rule of a variant of [`open_resource!`](crate::open_resource), tried in the pass it belongs
/// to: `odata("#ns.type")` in the `@odata.type` pass, `paths("/a/{id}", ...)` in the URL pass.
#[doc(hidden)]
#[macro_export]
macro_rules! __resource_rule {
    (odata $odata_type:ident $json:ident $variant:ident odata($expected:literal)) => {
        if $odata_type.eq_ignore_ascii_case($expected) {
            if let ::std::result::Result::Ok(value) = $crate::__private::serde_json::from_str($json) {
                return Self::$variant(value);
            }
        }
    };
    (paths $url:ident $json:ident $variant:ident paths($($path:literal),* $(,)?)) => {
        if $crate::__private::path_matches($url, &[$($path),*]) {
            if let ::std::result::Result::Ok(value) = $crate::__private::serde_json::from_str($json) {
                return Self::$variant(value);
            }
        }
    };
    (odata $odata_type:ident $json:ident $variant:ident paths($($path:literal),* $(,)?)) => {};
    (paths $url:ident $json:ident $variant:ident odata($expected:literal)) => {};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_odata_type_is_found_wherever_it_is() {
        let cases = [
            (r##"{"@odata.type":"#a.b","x":1}"##, Some("#a.b")),
            ("{ \n\t\"@odata.type\" :\r \"#a.b\" }", Some("#a.b")),
            (
                r##"{"x":{"@odata.type":"#inner"},"@odata.type":"#a.b"}"##,
                Some("#a.b"),
            ),
            (r##"{"@odata.type":"#a\u002eb"}"##, Some("#a.b")),
            (r##"{"@odata\u002etype":"#a.b"}"##, Some("#a.b")),
            (r##"{"x":{"@odata.type":"#inner"}}"##, None),
            (r##"{"@odata.type":7}"##, None),
            (r##"{"@odata.type":null}"##, None),
            (r##"[{"@odata.type":"#a.b"}]"##, None),
            ("\"@odata.type\"", None),
            ("null", None),
            ("{}", None),
        ];
        for (json, expected) in cases {
            assert_eq!(odata_type_of(json).as_deref(), expected, "{json}");
        }
    }

    #[test]
    fn cut_objects_never_panic() {
        let json = r##"{ "@odata.type" : "#ü.b\"c", "x": [1, {"y": "z"}] }"##;
        for (at, _) in json.char_indices() {
            let _ = leading_odata_type(&json[..at]);
            let _ = leading_odata_type(&json[at..]);
        }
    }
}
