//! What the simulator sends a bot, as a stand-in webhook on 127.0.0.1 receives it: the headers of
//! real deliveries, one message id per delivery through its retries, redirects followed only to
//! allowed targets, and the roster updates, operation results and raw notifications the control API
//! triggers, and the legacy first notification; a tenant's token reused until shortly before it
//! expires; terminated calls freed after their retention period; and the counts of `/_sim/stats`.

mod support;

use std::time::Duration;

use mock_graph::{Config, RunningMockGraph};
use serde_json::{Value, json};
use support::{Reply, StandIn, reject, settled};
use tests::fixtures::APP_ID;
use tests::http::{Refusal, answer, assert_refused, client, post};
use tests::simulator::{place, start, trigger};

/// A simulator that retries quickly.
async fn graph() -> RunningMockGraph {
    start(Config {
        retry_backoff: Duration::from_millis(20),
        ..Config::default()
    })
    .await
}

#[tokio::test]
async fn a_delivery_keeps_its_message_id_through_retries_and_carries_graphs_headers() {
    let graph = graph().await;
    let webhook = StandIn::start(vec![Reply::Status(503), Reply::Status(500)]).await;
    let id = place(&graph, json!({ "callbackUri": webhook.url })).await;
    webhook.wait_for(3).await;
    reject(&graph, &id).await;
    let received = webhook.wait_for(4).await;
    let records = settled(&graph, &id, 2).await;

    let created = &received[..3];
    let deleted = &received[3];
    assert_eq!(records[0]["attempts"], json!([503, 500, 202]));
    for attempt in created {
        assert_eq!(
            attempt.message_id(),
            records[0]["messageId"],
            "one id per delivery"
        );
        assert_eq!(attempt.notification()["changeType"], "created");
    }
    assert_eq!(deleted.message_id(), records[1]["messageId"]);
    assert_eq!(deleted.notification()["changeType"], "deleted");
    assert_ne!(
        created[0].message_id(),
        deleted.message_id(),
        "another delivery, another id"
    );
    for request in &received {
        assert_eq!(
            request.header("user-agent"),
            "Microsoft-Skype/3.0,(Calling/1.0)"
        );
        assert_eq!(request.header("x-microsoft-skype-chain-id"), id);
        assert_eq!(
            request.header("scenario-id"),
            received[0].header("scenario-id")
        );
        assert!(request.header("authorization").starts_with("Bearer "));
        assert_eq!(request.header("content-type"), "application/json");
        assert!(!request.message_id().is_empty());
    }
    assert!(!received[0].header("scenario-id").is_empty());
}

#[tokio::test]
async fn redirects_are_followed_only_to_targets_a_callback_may_have() {
    let graph = graph().await;

    // http on a host that is not loopback: refused by the rule, before anything is sent there.
    let refusing = StandIn::start(vec![Reply::Redirect(
        307,
        "http://example.invalid/x".to_owned(),
    )])
    .await;
    let id = place(&graph, json!({ "callbackUri": refusing.url })).await;
    let records = settled(&graph, &id, 1).await;
    assert_eq!(
        records[0]["attempts"],
        json!([null]),
        "refused, not retried"
    );
    assert_eq!(records[0]["refusedRedirect"], "http://example.invalid/x");
    assert!(
        records[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("refused")),
        "{:#}",
        records[0]
    );
    assert_eq!(refusing.received().len(), 1);

    // Loopback with http allowed: followed, the POST repeated with its body and message id.
    let moving = StandIn::start(Vec::new()).await;
    let elsewhere = format!("{}/api/calls/elsewhere", moving.base_url);
    let redirecting = StandIn::start(vec![Reply::Redirect(307, elsewhere.clone())]).await;
    let id = place(&graph, json!({ "callbackUri": redirecting.url })).await;
    let records = settled(&graph, &id, 1).await;
    assert_eq!(records[0]["attempts"], json!([202]));
    assert_eq!(records[0]["redirectedTo"], elsewhere);
    let moved = &moving.received()[0];
    assert_eq!(moved.method, "POST");
    assert_eq!(moved.path, "/api/calls/elsewhere");
    assert_eq!(moved.message_id(), records[0]["messageId"]);
    assert_eq!(moved.body, records[0]["payload"]);

    // A redirect loop: a few hops, then refused.
    let looping = StandIn::start(vec![Reply::Redirect(308, "/api/calls".to_owned()); 8]).await;
    let id = place(&graph, json!({ "callbackUri": looping.url })).await;
    let records = settled(&graph, &id, 1).await;
    assert_eq!(records[0]["attempts"], json!([null]));
    assert!(
        records[0]["refusedRedirect"].is_string(),
        "{:#}",
        records[0]
    );
    assert_eq!(
        looping.received().len(),
        4,
        "the request and three redirects"
    );
}

#[tokio::test]
async fn terminated_calls_are_freed_after_the_retention_period() {
    let graph = start(Config {
        retention: Duration::from_millis(100),
        ..Config::default()
    })
    .await;
    let webhook = StandIn::start(Vec::new()).await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        let id = place(&graph, json!({ "callbackUri": webhook.url })).await;
        reject(&graph, &id).await;
        ids.push(id);
    }
    let answered = place(&graph, json!({ "callbackUri": webhook.url })).await;
    let established = post(
        &format!("{}/_sim/calls/{answered}/answer", graph.base_url),
        &[],
        "",
    )
    .await;
    assert_eq!(established.status, 200);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while graph.graph.calls_held() > 1 {
        assert!(tokio::time::Instant::now() < deadline, "calls never freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        webhook.received().len(),
        41,
        "every notification went out first"
    );
    for id in &ids {
        answer(client().get(format!("{}/_sim/calls/{id}", graph.base_url)))
            .await
            .assert_graph_error(404, "8522");
    }
    let kept = answer(client().get(format!("{}/_sim/calls/{answered}", graph.base_url))).await;
    assert_eq!(
        kept.json["state"], "established",
        "a call that goes on is kept"
    );
}

/// Places a call with the stand-in as its webhook and waits for its `created` notification.
async fn placed(graph: &RunningMockGraph, webhook: &StandIn) -> (String, Value) {
    let id = place(graph, json!({ "callbackUri": webhook.url })).await;
    let created = webhook.wait_for(1).await[0].notification().clone();
    (id, created)
}

#[tokio::test]
async fn roster_updates_carry_arrays_of_participants_and_can_be_large() {
    let graph = graph().await;
    let webhook = StandIn::start(Vec::new()).await;
    let (id, created) = placed(&graph, &webhook).await;
    let roster_url = format!("/communications/calls/{id}/participants");

    // The caller and the bot.
    let answer = trigger(&graph, &id, "participants", json!({})).await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    assert_eq!(answer.json["resourceUrl"], roster_url);
    let sent = webhook.wait_for(2).await[1].clone();
    assert_eq!(sent.message_id(), answer.json["messageId"]);
    assert_eq!(
        sent.body["@odata.type"],
        "#microsoft.graph.commsNotifications"
    );
    let notification = sent.notification();
    assert_eq!(
        notification["@odata.type"],
        "#microsoft.graph.commsNotification"
    );
    assert_eq!(notification["changeType"], "updated");
    assert_eq!(notification["resourceUrl"], roster_url);
    let roster = notification["resourceData"].as_array().expect("an array");
    assert_eq!(roster.len(), 2);
    for participant in roster {
        assert_eq!(participant["@odata.type"], "#microsoft.graph.participant");
        assert!(participant["id"].is_string());
        assert_eq!(
            participant["info"]["@odata.type"],
            "#microsoft.graph.participantInfo"
        );
        assert!(participant["info"]["identity"].is_object());
        assert_eq!(
            participant["mediaStreams"][0]["@odata.type"],
            "#microsoft.graph.mediaStream"
        );
        assert_eq!(participant["isMuted"], false);
        assert_eq!(participant["isInLobby"], false);
        assert!(participant["metadata"].is_string());
        assert_eq!(participant["rosterSequenceNumber"], 1);
    }
    assert_eq!(
        roster[0]["info"]["identity"],
        created["resourceData"]["source"]["identity"]
    );
    assert_eq!(roster[1]["info"]["identity"]["application"]["id"], APP_ID);

    // A large meeting: more than a mebibyte of participants with names beyond ASCII.
    let answer = trigger(&graph, &id, "participants", json!({ "count": 2500 })).await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    let sent = webhook.wait_for(3).await[2].clone();
    assert!(sent.size > 1024 * 1024, "{} bytes", sent.size);
    let roster = sent.notification()["resourceData"]
        .as_array()
        .expect("an array");
    assert_eq!(roster.len(), 2500);
    let names: Vec<&str> = roster
        .iter()
        .map(|p| {
            p["info"]["identity"]["user"]["displayName"]
                .as_str()
                .expect("a name")
        })
        .collect();
    assert!(
        names.iter().all(|name| !name.is_ascii()),
        "{:?}",
        &names[..3]
    );
    assert!(roster.iter().all(|p| p["rosterSequenceNumber"] == 2));

    // Participants given as they are, with another change type.
    let given = json!([{ "id": "p-1", "isMuted": true, "futureProperty": "ü" }]);
    let answer = trigger(
        &graph,
        &id,
        "participants",
        json!({ "changeType": "deleted", "participants": given }),
    )
    .await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    let sent = webhook.wait_for(4).await[3].clone();
    assert_eq!(sent.notification()["changeType"], "deleted");
    assert_eq!(sent.notification()["resourceData"], given);
}

#[tokio::test]
async fn operation_results_are_typed_by_odata_type() {
    let graph = graph().await;
    let webhook = StandIn::start(Vec::new()).await;
    let (id, _) = placed(&graph, &webhook).await;
    let kinds = [
        "playPromptOperation",
        "recordOperation",
        "subscribeToToneOperation",
        "muteParticipantOperation",
        "inviteParticipantsOperation",
        "cancelMediaProcessingOperation",
        "updateRecordingStatusOperation",
        "commsOperation",
    ];
    for (n, kind) in kinds.iter().enumerate() {
        let answer = trigger(&graph, &id, "operations", json!({ "type": kind })).await;
        assert_eq!(answer.status, 202, "{kind}: {:#}", answer.json);
        let sent = webhook.wait_for(n + 2).await[n + 1].clone();
        let notification = sent.notification();
        let operation = &notification["resourceData"];
        let url = format!(
            "/communications/calls/{id}/operations/{}",
            operation["id"].as_str().expect("an operation id")
        );
        assert_eq!(notification["resourceUrl"], url, "{kind}");
        assert_eq!(answer.json["resourceUrl"], url, "{kind}");
        assert_eq!(notification["changeType"], "deleted", "{kind}: finished");
        assert_eq!(operation["@odata.type"], format!("#microsoft.graph.{kind}"));
        assert_eq!(operation["@odata.id"], url);
        assert_eq!(operation["status"], "completed");
        assert!(operation["clientContext"].is_string(), "{kind}");
        assert_eq!(
            operation["resultInfo"]["@odata.type"],
            "#microsoft.graph.resultInfo"
        );
        assert_eq!(operation["resultInfo"]["code"], 200);
        assert!(operation["resultInfo"]["subcode"].is_i64());
        assert!(operation["resultInfo"]["message"].is_string());
    }
    let received = webhook.wait_for(9).await;
    let data = |n: usize| received[n].notification()["resourceData"].clone();
    assert_eq!(data(1)["completionReason"], "completedSuccessfully");
    assert!(data(2)["recordingLocation"].is_string());
    assert!(data(2)["recordingAccessToken"].is_string());
    assert_eq!(
        data(5)["participants"][0]["@odata.type"],
        "#microsoft.graph.invitationParticipantInfo"
    );

    // Everything given.
    let answer = trigger(
        &graph,
        &id,
        "operations",
        json!({
            "type": "#microsoft.graph.recordOperation",
            "id": "op-1",
            "status": "failed",
            "clientContext": "ctx-1",
            "resultInfo": { "code": 400, "subcode": 8510, "message": "Recording failed." },
            "properties": { "completionReason": "initialSilenceTimeout" },
        }),
    )
    .await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    let sent = webhook.wait_for(10).await[9].clone();
    let notification = sent.notification();
    assert_eq!(
        notification["resourceUrl"],
        format!("/communications/calls/{id}/operations/op-1")
    );
    let operation = &notification["resourceData"];
    assert_eq!(operation["status"], "failed");
    assert_eq!(operation["clientContext"], "ctx-1");
    assert_eq!(
        operation["resultInfo"],
        json!({
            "@odata.type": "#microsoft.graph.resultInfo",
            "code": 400,
            "subcode": 8510,
            "message": "Recording failed.",
        })
    );
    assert_eq!(operation["completionReason"], "initialSilenceTimeout");
    assert!(operation["recordingLocation"].is_string());

    // Under way: an update, without a result yet.
    let answer = trigger(
        &graph,
        &id,
        "operations",
        json!({ "type": "playPromptOperation", "status": "running" }),
    )
    .await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    let sent = webhook.wait_for(11).await[10].clone();
    assert_eq!(sent.notification()["changeType"], "updated");
    assert!(
        sent.notification()["resourceData"]
            .get("resultInfo")
            .is_none()
    );
}

#[tokio::test]
async fn raw_notifications_are_signed_and_delivered_as_given() {
    let graph = graph().await;
    let webhook = StandIn::start(Vec::new()).await;
    let (id, _) = placed(&graph, &webhook).await;
    let body = json!({
        "value": [{
            "changeType": "updated",
            "resource": format!("/app/calls/{id}/audioRoutingGroups/x"),
            "resourceUrl": format!("/communications/calls/{id}/audioRoutingGroups/x"),
            "resourceData": { "@odata.type": "#microsoft.graph.audioRoutingGroup", "routingMode": "multicast" },
        }],
        "unknownEnvelopeProperty": "ü",
    });
    let answer = trigger(&graph, &id, "notifications", body.clone()).await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    let sent = webhook.wait_for(2).await[1].clone();
    assert_eq!(sent.body, body);
    assert_eq!(sent.message_id(), answer.json["messageId"]);
    assert!(sent.header("authorization").starts_with("Bearer "));
    assert_eq!(sent.header("x-microsoft-skype-chain-id"), id);
}

#[tokio::test]
async fn triggers_refuse_bad_input_with_graph_errors() {
    let graph = graph().await;
    let webhook = StandIn::start(Vec::new()).await;
    let (id, _) = placed(&graph, &webhook).await;
    let json = ("content-type", "application/json");
    let url = |what: &str| format!("{}/_sim/calls/{id}/{what}", graph.base_url);
    let cases: Vec<Refusal> = vec![
        (
            format!("{}/_sim/calls/unknown/participants", graph.base_url),
            vec![json],
            "{}".into(),
            404,
        ),
        (
            format!("{}/_sim/calls/unknown/operations", graph.base_url),
            vec![json],
            r#"{"type": "commsOperation"}"#.into(),
            404,
        ),
        (
            format!("{}/_sim/calls/unknown/notifications", graph.base_url),
            vec![json],
            "{}".into(),
            404,
        ),
        (url("participants"), vec![json], "{".into(), 400),
        (
            url("participants"),
            vec![json],
            r#"{"colour": 1}"#.into(),
            400,
        ),
        (
            url("participants"),
            vec![json],
            r#"{"count": 10001}"#.into(),
            400,
        ),
        (
            url("participants"),
            vec![json],
            r#"{"count": -1}"#.into(),
            400,
        ),
        (
            url("participants"),
            vec![json],
            r#"{"count": 1, "participants": []}"#.into(),
            400,
        ),
        (
            url("participants"),
            vec![json],
            r#"{"changeType": "moved"}"#.into(),
            400,
        ),
        (
            url("participants"),
            vec![json],
            r#"{"participants": [1]}"#.into(),
            400,
        ),
        (url("operations"), vec![json], "{}".into(), 400),
        (
            url("operations"),
            vec![json],
            r#"{"type": "danceOperation"}"#.into(),
            400,
        ),
        (
            url("operations"),
            vec![json],
            r#"{"type": "commsOperation", "status": "done"}"#.into(),
            400,
        ),
        (
            url("operations"),
            vec![json],
            r#"{"type": "commsOperation", "resultInfo": {"code": "200"}}"#.into(),
            400,
        ),
        (url("notifications"), vec![json], "[1]".into(), 400),
        (
            url("notifications"),
            vec![("content-type", "text/plain")],
            "{}".into(),
            415,
        ),
    ];
    assert_refused(cases).await;
    let wrong_method = answer(client().get(url("participants"))).await;
    assert_eq!(wrong_method.status, 405);
    assert!(wrong_method.json["error"]["code"].is_string());
    assert_eq!(webhook.received().len(), 1, "nothing but the call was sent");
}

#[tokio::test]
async fn the_first_notification_comes_in_the_legacy_format_and_again_after_a_204() {
    let graph = start(Config {
        legacy_first_notification: true,
        ..Config::default()
    })
    .await;

    // The bot asks for the Graph protocol.
    let webhook = StandIn::start(vec![Reply::Status(204)]).await;
    let id = place(&graph, json!({ "callbackUri": webhook.url })).await;
    let received = webhook.wait_for(2).await;
    let (old, new) = (&received[0].body, &received[1].body);
    assert!(old.get("@odata.type").is_none(), "{old:#}");
    let legacy = &old["value"][0];
    assert_eq!(legacy["resource"], format!("/app/calls/{id}"));
    assert!(legacy.get("resourceUrl").is_none());
    assert!(legacy["subscriptionId"].is_string());
    assert!(
        legacy["subscriptionExpirationDateTime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(legacy["changeType"], "created");
    assert!(legacy["tenantId"].is_string());
    assert_eq!(new["@odata.type"], "#microsoft.graph.commsNotifications");
    assert_eq!(
        new["value"][0]["resourceUrl"],
        format!("/communications/calls/{id}")
    );
    assert_eq!(new["value"][0]["resourceData"], legacy["resourceData"]);
    assert_eq!(legacy["resourceData"]["state"], "incoming");
    let records = settled(&graph, &id, 2).await;
    assert_eq!(
        (&records[0]["protocol"], &records[0]["status"]),
        (&json!("legacy"), &json!(204))
    );
    assert_eq!(
        (&records[1]["protocol"], &records[1]["status"]),
        (&json!("graph"), &json!(202))
    );
    assert_eq!(records[0]["payload"], *old);
    assert_eq!(records[1]["payload"], *new);
    assert_ne!(received[0].message_id(), received[1].message_id());

    // Later notifications are in the Graph protocol only.
    reject(&graph, &id).await;
    let deleted = &webhook.wait_for(3).await[2];
    assert_eq!(deleted.notification()["changeType"], "deleted");
    assert!(deleted.notification()["resourceUrl"].is_string());

    // A bot that accepts the legacy notification gets nothing more.
    let accepting = StandIn::start(Vec::new()).await;
    let id = place(&graph, json!({ "callbackUri": accepting.url })).await;
    reject(&graph, &id).await;
    let received = accepting.wait_for(2).await;
    assert_eq!(received[1].notification()["changeType"], "deleted");
    let records = settled(&graph, &id, 2).await;
    assert_eq!(records[0]["protocol"], "legacy");
    assert_eq!(records[0]["status"], 202);
    assert_eq!(records[1]["protocol"], "graph");
}

/// The claims of a delivery's token, verified against the simulator's published key.
fn verified_claims(graph: &RunningMockGraph, request: &support::Received) -> Value {
    let token = request
        .header("authorization")
        .strip_prefix("Bearer ")
        .expect("a bearer token");
    let keys: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(graph.graph.jwks()).expect("a JWKS document");
    let key = jsonwebtoken::DecodingKey::from_jwk(&keys.keys[0]).expect("an RSA key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[APP_ID]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("a token the bot accepts")
        .claims
}

#[tokio::test]
async fn deliveries_reuse_their_tenants_token_until_shortly_before_it_expires() {
    // (token lifetime, whether a second delivery to the same tenant reuses the first's token)
    let cases = [
        (Config::default().token_lifetime, true),
        (mock_graph::RENEWAL_MARGIN + Duration::from_secs(1), true),
        (mock_graph::RENEWAL_MARGIN, false),
    ];
    for (lifetime, reused) in cases {
        let graph = start(Config {
            token_lifetime: lifetime,
            ..Config::default()
        })
        .await;
        let webhook = StandIn::start(Vec::new()).await;
        for tenant in ["tenant-a", "tenant-a", "tenant-b"] {
            place(
                &graph,
                json!({ "callbackUri": webhook.url, "tenantId": tenant }),
            )
            .await;
        }
        let received = webhook.wait_for(3).await;
        let mut tokens: Vec<(String, String)> = Vec::new();
        for request in &received {
            let claims = verified_claims(&graph, request);
            assert_eq!(
                claims["exp"].as_u64().expect("exp") - claims["iat"].as_u64().expect("iat"),
                lifetime.as_secs(),
                "{lifetime:?}: the token lasts its lifetime"
            );
            assert!(claims["uti"].is_string(), "each token has its own id");
            let tenant = claims["tid"].as_str().expect("tid").to_owned();
            tokens.push((tenant, request.header("authorization").to_owned()));
        }
        tokens.sort();
        let tenants: Vec<&str> = tokens.iter().map(|(tenant, _)| tenant.as_str()).collect();
        assert_eq!(
            tenants,
            ["tenant-a", "tenant-a", "tenant-b"],
            "{lifetime:?}"
        );
        assert_eq!(tokens[0].1 == tokens[1].1, reused, "{lifetime:?}");
        assert_ne!(tokens[1].1, tokens[2].1, "a token per tenant");
    }
}

#[tokio::test]
async fn stats_count_calls_by_state_and_each_reject_since_the_start() {
    let graph = graph().await;
    let webhook = StandIn::start(Vec::new()).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(place(&graph, json!({ "callbackUri": webhook.url })).await);
    }
    reject(&graph, &ids[0]).await;
    reject(&graph, &ids[1]).await;
    let stats = answer(client().get(format!("{}/_sim/stats", graph.base_url))).await;
    assert_eq!(stats.status, 200, "{:#}", stats.json);
    for (field, count) in [
        ("placed", 3),
        ("rejected", 2),
        ("held", 3),
        ("incoming", 1),
        ("established", 0),
        ("terminated", 2),
    ] {
        assert_eq!(stats.json[field], count, "{field}: {:#}", stats.json);
    }
    let after = &stats.json["rejectedAfterMs"];
    let (p50, max) = (after["p50"].as_f64(), after["max"].as_f64());
    assert!(
        p50.is_some_and(|p50| p50 >= 1.0) && max.is_some_and(|max| max > 0.0),
        "{after:#}"
    );
    let call = answer(client().get(format!("{}/_sim/calls/{}", graph.base_url, ids[0]))).await;
    assert!(call.json["rejectedAfterMs"].is_f64(), "{:#}", call.json);
    let ringing = answer(client().get(format!("{}/_sim/calls/{}", graph.base_url, ids[2]))).await;
    assert!(
        ringing.json["rejectedAfterMs"].is_null(),
        "{:#}",
        ringing.json
    );
}
