//! Hand-written support that the generated code calls: open enums, the client's construction and
//! authentication. This is the only place such code lives; the generated modules reach it as
//! `crate::runtime`.

mod client;
mod key;
mod open_enum;

pub use client::{ClientBuilder, ClientState, TokenError, TokenProvider};
pub use key::Key;
pub use open_enum::{OpenEnum, deserialize_open_enum};
