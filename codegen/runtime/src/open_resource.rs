//! The serde of resource unions, written once for every generated one.
//!
//! A notification's resource (`resourceData`) is one of several kinds. A value is read as the kind
//! its `@odata.type` names, as Graph's SDKs read derived types; failing that, as the kind the
//! path in a sibling property (`resourceUrl`) names, if the value is of that kind's JSON type (an
//! object, or an array for a list kind); anything else is kept, as it came, in the union's last
//! variant. A list that holds `null`s is kept that way too.
//!
//! Graph writes `@odata.type` first and `resourceUrl` before `resourceData`, so the kind is
//! usually known as soon as the value starts: the value is then read straight into its type, in
//! one pass. Otherwise (a value without a leading `@odata.type` of a known kind, or one that comes
//! before its URL) it is kept as JSON and read once the struct's other properties are:
//! [`open_struct!`](crate::open_struct)'s `resource` fields do both. Either way the result is
//! the same; a value of a known kind whose properties do not fit its type does not fit, as any
//! other property that does not fit.

use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::key::Key;

/// A union of the resources a notification can carry, as `open_resource!` declares it. Variants
/// are named by their Rust names.
pub trait Resource: Sized {
    /// The variant an `@odata.type` value names.
    fn by_odata_type(odata_type: &str) -> Option<&'static str>;

    /// The variant the path of `url` names, among the list kinds (`list`) or the others.
    fn by_url(url: &str, list: bool) -> Option<&'static str>;

    /// Reads a value of `variant`.
    fn read<'de, D: de::Deserializer<'de>>(
        variant: &str,
        deserializer: D,
    ) -> Result<Self, D::Error>;

    /// A value of none of the kinds, as it came.
    fn unknown(value: Value) -> Self;
}

/// A resource as a struct holds it while it reads its other properties.
pub enum Pending<T> {
    /// Read into its variant.
    Ready(T),
    /// Kept as JSON until the URL is known.
    Later(Value),
}

/// Reads a resource (`None` for `null`), knowing the URL if it came first.
pub struct ResourceSeed<'u, T> {
    url: Option<&'u str>,
    resource: PhantomData<T>,
}

impl<'u, T> ResourceSeed<'u, T> {
    /// A seed for a resource whose URL is `url`, if that was read already.
    pub fn new(url: Option<&'u str>) -> Self {
        Self {
            url,
            resource: PhantomData,
        }
    }
}

impl<'de, T: Resource> DeserializeSeed<'de> for ResourceSeed<'_, T> {
    type Value = Option<Pending<T>>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<T> ResourceSeed<'_, T> {
    /// A value of no kind: kept now if the URL is known, later otherwise.
    fn undecided(&self, value: Value) -> Pending<T>
    where
        T: Resource,
    {
        match self.url {
            Some(_) => Pending::Ready(T::unknown(value)),
            None => Pending::Later(value),
        }
    }
}

impl<'de, T: Resource> Visitor<'de> for ResourceSeed<'_, T> {
    type Value = Option<Pending<T>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a resource")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(key) = map.next_key::<Key<'de>>()? else {
            return Ok(Some(Pending::Later(Value::Object(Map::new()))));
        };
        if key.as_str() != ODATA_TYPE {
            // The `@odata.type` may come later: read the value once it is whole.
            let first = map.next_value::<Value>()?;
            let value = rest_of_object(key.into_owned(), first, map)?;
            return Ok(Some(Pending::Later(value)));
        }
        let odata_type = map.next_value::<Value>()?;
        let variant = odata_type
            .as_str()
            .and_then(T::by_odata_type)
            .or_else(|| self.url.and_then(|url| T::by_url(url, false)));
        match variant {
            Some(variant) => {
                let map = Replay {
                    odata_type: ReplayState::Key(odata_type),
                    rest: map,
                };
                T::read(variant, de::value::MapAccessDeserializer::new(map))
                    .map(|value| Some(Pending::Ready(value)))
            }
            None => {
                let value = rest_of_object(ODATA_TYPE.to_owned(), odata_type, map)?;
                Ok(Some(self.undecided(value)))
            }
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        match self.url.and_then(|url| T::by_url(url, true)) {
            Some(variant) => T::read(variant, de::value::SeqAccessDeserializer::new(seq))
                .map(|value| Some(Pending::Ready(value))),
            None => {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element::<Value>()? {
                    items.push(item);
                }
                Ok(Some(self.undecided(Value::Array(items))))
            }
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok(Some(Pending::Ready(T::unknown(value.into()))))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Some(Pending::Ready(T::unknown(value.into()))))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Some(Pending::Ready(T::unknown(value.into()))))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Some(Pending::Ready(T::unknown(value.into()))))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Some(Pending::Ready(T::unknown(value.into()))))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Some(Pending::Ready(T::unknown(value.into()))))
    }
}

/// The property that names a value's type.
const ODATA_TYPE: &str = "@odata.type";

/// An object whose first property was read already, with the rest of its properties.
fn rest_of_object<'de, A: MapAccess<'de>>(
    key: String,
    value: Value,
    mut map: A,
) -> Result<Value, A::Error> {
    let mut object = Map::new();
    object.insert(key, value);
    while let Some((key, value)) = map.next_entry::<String, Value>()? {
        object.insert(key, value);
    }
    Ok(Value::Object(object))
}

/// An object whose `@odata.type` was read first, read again from the start.
struct Replay<A> {
    odata_type: ReplayState,
    rest: A,
}

/// How much of the `@odata.type` entry was replayed.
enum ReplayState {
    Key(Value),
    Value(Value),
    Done,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match std::mem::replace(&mut self.odata_type, ReplayState::Done) {
            ReplayState::Key(value) => {
                self.odata_type = ReplayState::Value(value);
                seed.deserialize(de::value::BorrowedStrDeserializer::new(ODATA_TYPE))
                    .map(Some)
            }
            ReplayState::Value(_) | ReplayState::Done => self.rest.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match std::mem::replace(&mut self.odata_type, ReplayState::Done) {
            ReplayState::Value(value) => seed.deserialize(value).map_err(de::Error::custom),
            ReplayState::Key(_) | ReplayState::Done => self.rest.next_value_seed(seed),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        let replayed = usize::from(!matches!(self.odata_type, ReplayState::Done));
        self.rest.size_hint().map(|rest| rest + replayed)
    }
}

/// The resource a struct held, once the URL is known (or known to be missing).
pub fn finish_resource<T: Resource>(
    pending: Pending<T>,
    url: Option<&str>,
) -> Result<T, serde_json::Error> {
    let value = match pending {
        Pending::Ready(resource) => return Ok(resource),
        Pending::Later(value) => value,
    };
    let variant = match &value {
        Value::Object(object) => object
            .get(ODATA_TYPE)
            .and_then(Value::as_str)
            .and_then(T::by_odata_type)
            .or_else(|| url.and_then(|url| T::by_url(url, false))),
        Value::Array(_) => url.and_then(|url| T::by_url(url, true)),
        _ => None,
    };
    match variant {
        Some(variant) => T::read(variant, value),
        None => Ok(T::unknown(value)),
    }
}

/// Whether `url` has the path of one of `templates` (such as `/communications/calls/{call-id}`).
pub fn path_matches(url: &str, templates: &[&str]) -> bool {
    templates
        .iter()
        .any(|template| super::resource::matches_template(url, template))
}

/// `Serialize`, `Deserialize` and `Resource` for a resource union: `open_resource!(Type { Variant:
/// odata("#ns.type").paths("/a/{id}", ...), Roster: paths(...).list(), ... }, Unknown)`. Each
/// variant holds one value and is chosen by `@odata.type`, by paths, or both; `list()` marks a
/// variant that holds a `Vec`. `Unknown(serde_json::Value)` holds what fits none of them. A value
/// is written as it is held.
#[doc(hidden)]
#[macro_export]
macro_rules! open_resource {
    ($name:ident { $($variant:ident : $rule:ident($($args:tt)*) $(.$more:ident($($more_args:tt)*))*),* $(,)? }, $unknown:ident) => {
        impl $crate::__private::Resource for $name {
            // A union without `odata(..)` or `paths(..)` variants reads neither.
            #[allow(unused_variables)]
            fn by_odata_type(odata_type: &str) -> ::std::option::Option<&'static str> {
                $(
                    $crate::__resource_rule!(odata odata_type $variant $rule($($args)*));
                    $($crate::__resource_rule!(odata odata_type $variant $more($($more_args)*));)*
                )*
                ::std::option::Option::None
            }

            #[allow(unused_variables)]
            fn by_url(url: &str, list: bool) -> ::std::option::Option<&'static str> {
                $(
                    if $crate::__resource_rule!(is_list [$rule $($more)*]) == list {
                        $crate::__resource_rule!(paths url $variant $rule($($args)*));
                        $($crate::__resource_rule!(paths url $variant $more($($more_args)*));)*
                    }
                )*
                ::std::option::Option::None
            }

            fn read<'de, D: $crate::__private::serde::Deserializer<'de>>(variant: &str, deserializer: D) -> ::std::result::Result<Self, D::Error> {
                $(
                    if variant == ::std::stringify!($variant) {
                        return $crate::__resource_rule!(read [$rule $($more)*] $variant $unknown deserializer);
                    }
                )*
                ::std::result::Result::Err(<D::Error as $crate::__private::serde::de::Error>::custom(
                    ::std::format_args!("`{variant}` is no variant of `{}`", ::std::stringify!($name)),
                ))
            }

            fn unknown(value: $crate::__private::serde_json::Value) -> Self {
                Self::$unknown(value)
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
                let seed = $crate::__private::ResourceSeed::<$name>::new(::std::option::Option::None);
                match $crate::__private::serde::de::DeserializeSeed::deserialize(seed, deserializer)? {
                    ::std::option::Option::Some(pending) => $crate::__private::finish_resource(pending, ::std::option::Option::None)
                        .map_err(<D::Error as $crate::__private::serde::de::Error>::custom),
                    ::std::option::Option::None => ::std::result::Result::Ok(Self::$unknown($crate::__private::serde_json::Value::Null)),
                }
            }
        }
    };
}

/// One rule of a variant of [`open_resource!`](crate::open_resource), in the pass it belongs to:
/// `odata("#ns.type")` when choosing by `@odata.type`, `paths("/a/{id}", ...)` when choosing by URL,
/// `list()` when reading.
#[doc(hidden)]
#[macro_export]
macro_rules! __resource_rule {
    // Each pass names the rules it skips, so that a rule of another shape fails to compile rather
    // than being skipped without a word.
    (odata $odata_type:ident $variant:ident odata($expected:literal $(,)?)) => {
        if $odata_type.eq_ignore_ascii_case($expected) {
            return ::std::option::Option::Some(::std::stringify!($variant));
        }
    };
    (odata $odata_type:ident $variant:ident paths($($args:tt)*)) => {};
    (odata $odata_type:ident $variant:ident list()) => {};

    (paths $url:ident $variant:ident paths($($path:literal),* $(,)?)) => {
        if $crate::__private::path_matches($url, &[$($path),*]) {
            return ::std::option::Option::Some(::std::stringify!($variant));
        }
    };
    (paths $url:ident $variant:ident odata($($args:tt)*)) => {};
    (paths $url:ident $variant:ident list()) => {};

    (is_list [list $($rest:ident)*]) => {
        true
    };
    (is_list [$other:ident $($rest:ident)*]) => {
        $crate::__resource_rule!(is_list [$($rest)*])
    };
    (is_list []) => {
        false
    };

    // A list that holds a `null` is kept as it came.
    (read [list $($rest:ident)*] $variant:ident $unknown:ident $deserializer:ident) => {{
        let items: ::std::vec::Vec<::std::option::Option<_>> = $crate::__private::serde::Deserialize::deserialize($deserializer)?;
        if items.iter().all(::std::option::Option::is_some) {
            ::std::result::Result::Ok(Self::$variant(items.into_iter().flatten().collect()))
        } else {
            let mut values = ::std::vec::Vec::with_capacity(items.len());
            for item in &items {
                values.push(
                    $crate::__private::serde_json::to_value(item)
                        .map_err(<D::Error as $crate::__private::serde::de::Error>::custom)?,
                );
            }
            ::std::result::Result::Ok(Self::$unknown($crate::__private::serde_json::Value::Array(values)))
        }
    }};
    (read [$other:ident $($rest:ident)*] $variant:ident $unknown:ident $deserializer:ident) => {
        $crate::__resource_rule!(read [$($rest)*] $variant $unknown $deserializer)
    };
    (read [] $variant:ident $unknown:ident $deserializer:ident) => {
        $crate::__private::serde::Deserialize::deserialize($deserializer).map(Self::$variant)
    };
}
