//! Open enums: Graph's string enums gain members over time, and documentation spells members in
//! more than one case. Parsing matches members without regard to case and keeps unknown members.

/// A string enum that keeps members it does not know.
pub trait OpenEnum: Sized {
    /// The member `value` names, compared without regard to ASCII case, if it is known.
    fn known(value: &str) -> Option<Self>;

    /// The value of a member this version does not know.
    fn unknown(value: String) -> Self;

    /// The canonical wire spelling, or the unknown member exactly as it came.
    fn as_wire(&self) -> &str;

    /// Parses a wire value; never fails.
    fn from_wire(value: &str) -> Self {
        Self::known(value).unwrap_or_else(|| Self::unknown(value.to_owned()))
    }

    /// Whether this is a member the spec names.
    fn is_known(&self) -> bool {
        Self::known(self.as_wire()).is_some()
    }
}

/// Deserializes an open enum from a JSON string without an intermediate allocation for known members.
pub fn deserialize_open_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: OpenEnum,
{
    struct Visitor<T>(std::marker::PhantomData<T>);

    impl<T: OpenEnum> serde::de::Visitor<'_> for Visitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string enum member")
        }

        fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
            Ok(T::from_wire(value))
        }

        fn visit_string<E: serde::de::Error>(self, value: String) -> Result<T, E> {
            Ok(T::known(&value).unwrap_or_else(|| T::unknown(value)))
        }
    }

    deserializer.deserialize_str(Visitor(std::marker::PhantomData))
}
