//! Graph's derived types: a value typed as a base (such as `meetingInfo`) often is a derived type
//! (such as `organizerMeetingInfo`), named by its `@odata.type`. Both are open structs, so a value
//! can be read as the other through its JSON form without losing anything.

/// Reads `value` as `U` through its JSON form.
pub fn reinterpret<T, U>(value: &T) -> Result<U, serde_json::Error>
where
    T: serde::Serialize,
    U: serde::de::DeserializeOwned,
{
    serde_json::from_value(serde_json::to_value(value)?)
}
