//! The serde of open structs and open enums, written once for every generated type.
//!
//! A generated struct declares its fields; [`open_struct!`](crate::open_struct) gives it
//! `Serialize` and `Deserialize` from their wire names. Properties the struct does not name, and
//! named optional properties that came as `null`, are kept in `additional_properties` and written
//! back, so a round-trip loses nothing. Values parse straight into their fields: no detour through
//! `serde_json::Value` and no `#[serde(flatten)]` buffering. A generated enum declares its
//! variants; [`open_enum!`](crate::open_enum) matches wire values without regard to ASCII case and
//! keeps members it does not know.
//!
//! A `resource` field holds a resource union ([`open_resource!`](crate::open_resource)) whose
//! variant may depend on a sibling URL property that comes after it: a value whose kind is known
//! when it starts is read straight into its variant, any other is kept as JSON and read once the
//! struct's other properties are.
//!
//! These macros are exported at the root of whichever crate compiles this file, and name what they
//! need as `$crate::__private`, which both the runtime crate and a crate vendoring it provide.

/// `Serialize` and `Deserialize` for an open struct: `open_struct!("spec.name", Type { field:
/// "wireName", other: required("otherWire"), data: resource("dataWire", url_field) })`. The struct
/// has those fields, optional ones (and resources) as `Option`s, and `additional_properties:
/// AdditionalProperties`. A resource field's union is read with the value of
/// `url_field`, an optional or required `String` field of the same struct.
#[doc(hidden)]
#[macro_export]
macro_rules! open_struct {
    ($spec_name:literal, $name:ident { $($field:ident : $kind:tt $(($($args:tt)*))?),* $(,)? }) => {
        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                use $crate::__private::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(::std::option::Option::None)?;
                $($crate::__open_field!(serialize map self.$field, $kind $(($($args)*))?);)*
                for (key, value) in &self.additional_properties {
                    let shadowed = match key {
                        $($crate::__open_field!(wire $kind $(($($args)*))?) => $crate::__open_field!(present self.$field, $kind),)*
                        _ => false,
                    };
                    if !shadowed {
                        map.serialize_entry(key, value)?;
                    }
                }
                map.end()
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;

                impl<'de> $crate::__private::serde::de::Visitor<'de> for Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a `", $spec_name, "` object"))
                    }

                    fn visit_map<A: $crate::__private::serde::de::MapAccess<'de>>(self, mut map: A) -> ::std::result::Result<$name, A::Error> {
                        $(let mut $field = ::std::option::Option::None;)*
                        let mut additional_properties = $crate::__private::AdditionalProperties::new();
                        while let ::std::option::Option::Some(key) = map.next_key::<$crate::__private::Key<'de>>()? {
                            match key.as_str() {
                                $($crate::__open_field!(wire $kind $(($($args)*))?) => {
                                    // A property given twice is refused, as derived structs
                                    // refuse it: which one counts would depend on the reader.
                                    if $field.is_some() || additional_properties.contains_key(key.as_str()) {
                                        return ::std::result::Result::Err(
                                            <A::Error as $crate::__private::serde::de::Error>::duplicate_field(
                                                $crate::__open_field!(wire $kind $(($($args)*))?),
                                            ),
                                        );
                                    }
                                    $crate::__open_field!(read map key additional_properties $field, $kind $(($($args)*))?);
                                })*
                                _ => {
                                    if additional_properties.contains_key(key.as_str()) {
                                        return ::std::result::Result::Err(
                                            <A::Error as $crate::__private::serde::de::Error>::custom(
                                                ::std::format_args!("duplicate property `{}`", key.as_str()),
                                            ),
                                        );
                                    }
                                    let value = map.next_value::<$crate::__private::serde_json::Value>()?;
                                    $crate::__private::keep_property(&mut additional_properties, key, value);
                                }
                            }
                        }
                        $($crate::__open_field!(decode $field, $kind $(($($args)*))?);)*
                        ::std::result::Result::Ok($name {
                            $($field: $crate::__open_field!(finish $field, $kind $(($($args)*))?),)*
                            additional_properties,
                        })
                    }
                }

                deserializer.deserialize_map(Visitor)
            }
        }
    };
}

/// One field of [`open_struct!`](crate::open_struct): a wire name literal for an optional field,
/// `required("wire")` for a required one, `resource("wire", url_field)` for a resource union.
#[doc(hidden)]
#[macro_export]
macro_rules! __open_field {
    (wire required($wire:literal)) => {
        $wire
    };
    (wire resource($wire:literal, $url:ident)) => {
        $wire
    };
    (wire $wire:literal) => {
        $wire
    };

    (serialize $map:ident $this:ident.$field:ident, required($wire:literal)) => {
        $map.serialize_entry($wire, &$this.$field)?
    };
    (serialize $map:ident $this:ident.$field:ident, $wire:literal) => {
        if let ::std::option::Option::Some(value) = &$this.$field {
            $map.serialize_entry($wire, value)?;
        }
    };
    (serialize $map:ident $this:ident.$field:ident, resource($wire:literal, $url:ident)) => {
        $crate::__open_field!(serialize $map $this.$field, $wire)
    };

    (present $this:ident.$field:ident, required) => {
        true
    };
    (present $this:ident.$field:ident, $kind:tt) => {
        $this.$field.is_some()
    };

    (read $map:ident $key:ident $extra:ident $field:ident, required($wire:literal)) => {
        $field = ::std::option::Option::Some($map.next_value()?)
    };
    // A resource is read with its URL if that came first; `null` is kept as for an optional
    // property.
    (read $map:ident $key:ident $extra:ident $field:ident, resource($wire:literal, $url:ident)) => {
        let seed = $crate::__private::ResourceSeed::new(::std::option::Option::as_deref(&$url));
        match $map.next_value_seed(seed)? {
            ::std::option::Option::Some(pending) => $field = ::std::option::Option::Some(pending),
            ::std::option::Option::None => {
                $field = ::std::option::Option::None;
                $crate::__private::keep_property(&mut $extra, $key, $crate::__private::serde_json::Value::Null);
            }
        }
    };
    // A known optional property that came as `null` reads as `None` and is kept as `null`, so it is
    // written back unless the field is set by then.
    (read $map:ident $key:ident $extra:ident $field:ident, $wire:literal) => {
        $field = $map.next_value::<::std::option::Option<_>>()?;
        if $field.is_none() {
            $crate::__private::keep_property(&mut $extra, $key, $crate::__private::serde_json::Value::Null);
        }
    };

    // Every property is read: a resource kept as JSON is read now, with the URL.
    (decode $field:ident, resource($wire:literal, $url:ident)) => {
        let $field = match $field {
            ::std::option::Option::Some(pending) => ::std::option::Option::Some(
                $crate::__private::finish_resource(pending, ::std::option::Option::as_deref(&$url))
                    .map_err(<A::Error as $crate::__private::serde::de::Error>::custom)?,
            ),
            ::std::option::Option::None => ::std::option::Option::None,
        };
    };
    (decode $field:ident, $($kind:tt)*) => {};

    (finish $field:ident, required($wire:literal)) => {
        $field.ok_or_else(|| {
            <A::Error as $crate::__private::serde::de::Error>::missing_field($wire)
        })?
    };
    (finish $field:ident, $($kind:tt)*) => {
        $field
    };
}

/// The traits of an open enum: `open_enum!("spec.name", Type { Variant: "wire", ... }, Unknown)`.
/// The enum has those unit variants and `Unknown(String)` for members this version does not know.
#[doc(hidden)]
#[macro_export]
macro_rules! open_enum {
    ($spec_name:literal, $name:ident { $($variant:ident : $wire:literal),* $(,)? }, $unknown:ident) => {
        impl $crate::__private::OpenEnum for $name {
            fn known(value: &str) -> ::std::option::Option<Self> {
                // Members usually come as the spec spells them: one `match` finds those.
                match value {
                    $($wire => return ::std::option::Option::Some(Self::$variant),)*
                    _ => {}
                }
                $(if value.eq_ignore_ascii_case($wire) {
                    return ::std::option::Option::Some(Self::$variant);
                })*
                ::std::option::Option::None
            }

            fn unknown(value: ::std::string::String) -> Self {
                Self::$unknown(value)
            }

            fn as_wire(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::$unknown(value) => value,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::__private::OpenEnum::as_wire(self))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok($crate::__private::OpenEnum::from_wire(value))
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::__private::OpenEnum::as_wire(self))
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                $crate::__private::deserialize_open_enum(deserializer)
            }
        }
    };
}
