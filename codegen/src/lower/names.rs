//! How operations and services are named: the one rule, applied to the whole document at once.
//!
//! - A method (the client's and the server trait's) is the action of its `operationId` in
//!   `snake_case` (`communication.call_reject` and `communications.calls.call.reject` give
//!   `reject`). Operations whose methods would be the same all take one more segment of their
//!   group, nearest first, until they differ (`communication.call_mute` and
//!   `communication.call.participant_mute` give `call_mute` and `participant_mute`); see
//!   `ident::settle`. The names the client already has (`new`, `builder`, `base_url`, its hooks'
//!   `pre`, `post`, `exec`, …) are taken the same way.
//! - A deprecated alias path (`x-graph-same-operation-as`) keeps its short method if it is free,
//!   else it is named after its whole `operationId` (`app_calls_call_reject`).
//! - A service (server trait) is the operation's first tag in `UpperCamelCase`
//!   (`communications.call` gives `CommunicationsCall`), `Api` without tags. A service whose name,
//!   or whose server's (`…Server`), is the name of a response enum (`…Response`), or whose name is
//!   another service's server, is suffixed `Service`.

use std::collections::BTreeSet;

use crate::ident;
use crate::model::Operation;

/// The methods the generated `Client` has besides the operations, and those of its hooks.
const CLIENT_METHODS: &[&str] = &[
    "api_version",
    "base_url",
    "baseurl",
    "builder",
    "client",
    "exec",
    "inner",
    "new",
    "new_with_client",
    "post",
    "pre",
];

/// The method names of the primary operations with these `operationId`s, in the same order.
pub(super) fn methods(operation_ids: &[&str]) -> Vec<String> {
    let candidates: Vec<Vec<String>> = operation_ids
        .iter()
        .map(|id| ident::method_name_candidates(id))
        .collect();
    ident::settle(&candidates, &reserved())
}

/// The names no operation's method may have: the client's own.
pub(super) fn reserved() -> BTreeSet<String> {
    CLIENT_METHODS
        .iter()
        .map(|name| (*name).to_owned())
        .collect()
}

/// The method name of an alias path with the `operationId` `id`, given the names `taken`, to which
/// it is added.
pub(super) fn alias_method(id: &str, taken: &mut BTreeSet<String>) -> String {
    let short = ident::method_name(id);
    if taken.contains(&short) {
        ident::unique(ident::qualified_method_name(id), taken)
    } else {
        ident::unique(short, taken)
    }
}

/// Keeps the services' names clear of the response enums' names (`<Method>Response`), which share
/// the server module with them.
pub(super) fn services(operations: &mut [Operation]) {
    let responses: BTreeSet<String> = operations
        .iter()
        .map(|op| format!("{}Response", ident::variant_name(op.name())))
        .collect();
    let servers: BTreeSet<String> = operations
        .iter()
        .map(|op| format!("{}Server", op.service))
        .collect();
    for op in operations {
        if responses.contains(&op.service)
            || responses.contains(&format!("{}Server", op.service))
            || servers.contains(&op.service)
        {
            op.service.push_str("Service");
        }
    }
}
