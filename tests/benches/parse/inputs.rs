//! The inputs of the parse bench: the documented notifications and one delivery of 150.

use serde_json::Value;
use tests::HttpExample;

/// Every input, by name: the documented notifications, then `batch-150`.
pub fn all() -> Vec<(&'static str, String)> {
    let mut inputs = documented();
    inputs.push(("batch-150", batch_of_150()));
    inputs
}

/// The documented notification bodies, by name.
fn documented() -> Vec<(&'static str, String)> {
    ["incoming", "deleted"]
        .into_iter()
        .map(|name| {
            let example = HttpExample::load(&format!("notifications/{name}.http"));
            (
                name,
                example.body.expect("a documented notification has a body"),
            )
        })
        .collect()
}

/// One delivery of 150 incoming-call notifications with non-ASCII caller names.
fn batch_of_150() -> String {
    let incoming = HttpExample::load("notifications/incoming.http").json();
    let template = incoming["value"][0].clone();
    let names = [
        "Zoë Çelik",
        "Jürgen Groß",
        "Łukasz Żółć",
        "李小龍",
        "Ana María Núñez",
        "Ødegård",
    ];
    let value: Vec<Value> = (0..150)
        .map(|i| {
            let mut item = template.clone();
            let id = format!("57dab8b1-894c-409a-b240-{i:012}");
            item["resourceUrl"] = Value::from(format!("/communications/calls/{id}"));
            item["resourceData"]["@odata.id"] = Value::from(format!("/communications/calls/{id}"));
            item["resourceData"]["source"]["identity"]["user"]["displayName"] =
                Value::from(format!("{} {i}", names[i % names.len()]));
            item
        })
        .collect();
    serde_json::json!({ "@odata.type": "#microsoft.graph.commsNotifications", "value": value })
        .to_string()
}
