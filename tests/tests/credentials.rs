//! Tokens from credentials, against a recording server on 127.0.0.1: a counting fake implements
//! the Azure SDK's `TokenCredential` (no real credential can run here). One fetch serves 100
//! concurrent requests, an expired token is fetched again, a failing credential fails the call
//! with an error that names it and sends nothing, and a client for a tenant asks for that tenant.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use msgraph_calls::runtime::azure::{self, azure_core};
use msgraph_calls::runtime::client::TokenFuture;
use msgraph_calls::runtime::credential::{CachedTokenProvider, CredentialError, ExpiringToken};
use msgraph_calls::types::RejectRequestBody;
use msgraph_calls::{Client, TokenError, TokenProvider, TokenRequest};
use tests::fixtures::CALL_ID;
use tests::recorder::{Recorder, Reply};
use tokio::sync::Notify;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::time::{Duration, OffsetDateTime};

/// A credential that counts its calls and gives `token-{n}` for the scope, valid for `lifetime`
/// (negative: already expired), or fails; the first call first waits for `gate`, if any.
#[derive(Debug, Default)]
struct FakeCredential {
    calls: AtomicUsize,
    lifetimes: Mutex<Vec<Duration>>,
    scopes: Mutex<Vec<String>>,
    fail: bool,
    gate: Option<Arc<Notify>>,
}

#[async_trait::async_trait]
impl TokenCredential for FakeCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        self.scopes
            .lock()
            .unwrap()
            .extend(scopes.iter().map(|s| s.to_string()));
        if let (0, Some(gate)) = (n, &self.gate) {
            gate.notified().await;
        }
        if self.fail {
            return Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "AADSTS7000215: Invalid client secret provided",
            ));
        }
        let lifetime = {
            let lifetimes = self.lifetimes.lock().unwrap();
            lifetimes
                .get(n)
                .or(lifetimes.last())
                .copied()
                .unwrap_or(Duration::hours(1))
        };
        Ok(AccessToken::new(
            format!("token-{n}"),
            OffsetDateTime::now_utc() + lifetime,
        ))
    }
}

/// Counts the requests that reached the provider, and wakes `arrived` at each.
struct Arrivals {
    inner: Arc<CachedTokenProvider>,
    count: Arc<AtomicUsize>,
    arrived: Arc<Notify>,
}

impl TokenProvider for Arrivals {
    fn token(&self, request: TokenRequest) -> TokenFuture<'_> {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.arrived.notify_one();
        self.inner.token(request)
    }
}

fn client(recorder: &Recorder, provider: impl TokenProvider + 'static) -> Client {
    Client::builder()
        .base_url(&recorder.base_url)
        .token_provider(provider)
        .build()
}

fn authorizations(recorder: &Recorder) -> Vec<String> {
    recorder
        .requests()
        .iter()
        .map(|r| r.headers["authorization"].to_str().unwrap().to_owned())
        .collect()
}

/// A reject running on a task of its own.
type Call = tokio::task::JoinHandle<
    Result<
        msgraph_calls::ResponseValue<()>,
        msgraph_calls::Error<msgraph_calls::types::ODataError>,
    >,
>;

/// Starts `requests` rejects through a credential (failing if `fail`) whose first fetch is held
/// open until every request waits for a token, then lets the fetch go. Gives the credential and
/// the calls.
async fn while_the_fetch_is_held(
    recorder: &Recorder,
    fail: bool,
    requests: usize,
) -> (Arc<FakeCredential>, Vec<Call>) {
    let gate = Arc::new(Notify::new());
    let credential = Arc::new(FakeCredential {
        fail,
        gate: Some(gate.clone()),
        ..Default::default()
    });
    let count = Arc::new(AtomicUsize::new(0));
    let arrived = Arc::new(Notify::new());
    let provider = Arrivals {
        inner: Arc::new(azure::single("FakeCredential", credential.clone())),
        count: count.clone(),
        arrived: arrived.clone(),
    };
    let client = client(recorder, provider);
    let calls: Vec<_> = (0..requests)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.reject(CALL_ID, &RejectRequestBody::default()).await })
        })
        .collect();
    while count.load(Ordering::SeqCst) < requests {
        arrived.notified().await;
    }
    gate.notify_one();
    (credential, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_fetch_serves_a_hundred_concurrent_requests() {
    let recorder = Recorder::start(Reply::empty(202)).await;
    let (credential, calls) = while_the_fetch_is_held(&recorder, false, 100).await;
    for call in calls {
        call.await.unwrap().expect("202");
    }
    assert_eq!(
        credential.calls.load(Ordering::SeqCst),
        1,
        "one fetch for 100 requests"
    );
    let sent = authorizations(&recorder);
    assert_eq!(sent.len(), 100);
    assert!(sent.iter().all(|a| a == "Bearer token-0"), "{sent:?}");
    assert_eq!(
        *credential.scopes.lock().unwrap(),
        ["https://graph.microsoft.com/.default"]
    );
}

#[tokio::test]
async fn an_expired_token_is_fetched_again_and_a_fresh_one_is_kept() {
    let recorder = Recorder::start(Reply::empty(202)).await;
    let credential = Arc::new(FakeCredential::default());
    *credential.lifetimes.lock().unwrap() = vec![Duration::seconds(-1), Duration::hours(1)];
    let client = client(
        &recorder,
        azure::single("FakeCredential", credential.clone()),
    );
    for _ in 0..3 {
        client
            .reject(CALL_ID, &RejectRequestBody::default())
            .await
            .expect("202");
    }
    assert_eq!(credential.calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        authorizations(&recorder),
        ["Bearer token-0", "Bearer token-1", "Bearer token-1"]
    );
}

#[tokio::test]
async fn a_failing_credential_is_a_typed_error_and_nothing_is_sent() {
    let recorder = Recorder::start(Reply::empty(202)).await;
    let credential = Arc::new(FakeCredential {
        fail: true,
        ..Default::default()
    });
    let provider = Arc::new(azure::single("FakeCredential", credential.clone()));

    let request = TokenRequest::new(
        "https://graph.microsoft.com/.default",
        Some("tenant-a".into()),
    );
    let err: CredentialError = provider
        .get(request)
        .await
        .expect_err("the credential fails");
    assert_eq!(err.credential(), "FakeCredential");
    assert_eq!(err.tenant_id(), Some("tenant-a"));
    assert!(err.reason().to_string().contains("AADSTS7000215"), "{err}");

    let client = client(
        &recorder,
        Arrivals {
            inner: provider,
            count: Arc::default(),
            arrived: Arc::default(),
        },
    )
    .for_tenant("tenant-b");
    let err = client
        .reject(CALL_ID, &RejectRequestBody::default())
        .await
        .expect_err("no token, no call");
    let msgraph_calls::ErrorKind::NoToken { source } = err.kind() else {
        panic!("expected no token, got {err}");
    };
    let typed = source
        .downcast_ref::<CredentialError>()
        .expect("the credential's own error");
    assert_eq!(typed.credential(), "FakeCredential");
    assert_eq!(typed.tenant_id(), Some("tenant-b"));
    assert!(typed.reason().to_string().contains("AADSTS7000215"));
    assert_eq!(err.attempts(), 0);
    let message = err.to_string();
    for part in ["FakeCredential", "tenant-b", "AADSTS7000215"] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
    assert!(recorder.requests().is_empty(), "no request without a token");
}

#[tokio::test]
async fn a_client_for_a_tenant_asks_for_that_tenant_and_caches_each_apart() {
    let recorder = Recorder::start(Reply::empty(202)).await;
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    let provider = CachedTokenProvider::new("PerTenant", move |request: TokenRequest| {
        let tenant = request.tenant_id().unwrap_or("home").to_owned();
        seen.lock().unwrap().push(tenant.clone());
        async move {
            Ok::<_, TokenError>(ExpiringToken {
                secret: format!("token-for-{tenant}"),
                expires_at: std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
            })
        }
    });
    let client = client(&recorder, provider);
    let body = RejectRequestBody::default();
    client.reject(CALL_ID, &body).await.expect("202");
    let tenant_x = client.for_tenant("tenant-x");
    assert_eq!(tenant_x.tenant_id(), Some("tenant-x"));
    assert_eq!(client.tenant_id(), None, "the original client is unchanged");
    tenant_x.reject(CALL_ID, &body).await.expect("202");
    tenant_x.reject(CALL_ID, &body).await.expect("202");
    client
        .for_tenant("tenant-y")
        .reject(CALL_ID, &body)
        .await
        .expect("202");
    assert_eq!(*asked.lock().unwrap(), ["home", "tenant-x", "tenant-y"]);
    assert_eq!(
        authorizations(&recorder),
        [
            "Bearer token-for-home",
            "Bearer token-for-tenant-x",
            "Bearer token-for-tenant-x",
            "Bearer token-for-tenant-y"
        ]
    );
}

#[tokio::test]
async fn a_credential_per_tenant_is_made_once_for_each_tenant() {
    let recorder = Recorder::start(Reply::empty(202)).await;
    let made = Arc::new(Mutex::new(Vec::new()));
    let log = made.clone();
    let provider = azure::per_tenant("FakeCredential", "home", move |tenant| {
        log.lock().unwrap().push(tenant.to_owned());
        if tenant == "bad" {
            return Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "invalid tenant id",
            ));
        }
        Ok(Arc::new(FakeCredential::default()) as azure::SharedCredential)
    });
    let client = client(&recorder, provider);
    let body = RejectRequestBody::default();
    client.reject(CALL_ID, &body).await.expect("202");
    client
        .for_tenant("t1")
        .reject(CALL_ID, &body)
        .await
        .expect("202");
    client
        .for_tenant("t1")
        .reject(CALL_ID, &body)
        .await
        .expect("202");
    let err = client
        .for_tenant("bad")
        .reject(CALL_ID, &body)
        .await
        .expect_err("no credential");
    assert!(err.to_string().contains("invalid tenant id"), "{err}");
    assert_eq!(*made.lock().unwrap(), ["home", "t1", "bad"]);
    assert_eq!(recorder.requests().len(), 3);
}

#[test]
fn cloud_presets_give_the_documented_urls_scopes_and_issuers() {
    use msgraph_calls::{Cloud, GraphVersion};
    let table = [
        (
            Cloud::Global,
            "https://graph.microsoft.com/v1.0",
            "https://graph.microsoft.com/.default",
            "https://login.microsoftonline.com",
            "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration",
        ),
        (
            Cloud::UsGovL4,
            "https://graph.microsoft.us/v1.0",
            "https://graph.microsoft.us/.default",
            "https://login.microsoftonline.us",
            "https://login.botframework.azure.us/v1/.well-known/openidconfiguration",
        ),
        (
            Cloud::UsGovL5Dod,
            "https://dod-graph.microsoft.us/v1.0",
            "https://dod-graph.microsoft.us/.default",
            "https://login.microsoftonline.us",
            "https://login.botframework.azure.us/v1/.well-known/openidconfiguration",
        ),
        (
            Cloud::China,
            "https://microsoftgraph.chinacloudapi.cn/v1.0",
            "https://microsoftgraph.chinacloudapi.cn/.default",
            "https://login.chinacloudapi.cn",
            "https://login.botframework.azure.cn/v1/.well-known/openidconfiguration",
        ),
    ];
    for (cloud, v1, scope, authority, keys) in table {
        assert_eq!(cloud.graph_url(GraphVersion::V1), v1);
        assert_eq!(cloud.graph_scope(), scope);
        assert_eq!(cloud.authority_host(), authority);
        assert_eq!(cloud.notification_keys_url(), keys);
        assert_eq!(cloud.name().parse::<Cloud>(), Ok(cloud));
        // Graph signs as the cloud's own Graph host, and as the Bot Framework of that cloud.
        assert_eq!(cloud.notification_issuers()[0], cloud.graph_host());
        assert!(cloud.notification_issuers()[1].starts_with("https://api.botframework."));
        // The Azure SDK's credentials ask the same authority.
        let azure = azure::cloud_configuration(cloud);
        let expected = match cloud {
            Cloud::Global => azure_core::cloud::CloudConfiguration::AzurePublic,
            Cloud::China => azure_core::cloud::CloudConfiguration::AzureChina,
            _ => azure_core::cloud::CloudConfiguration::AzureGovernment,
        };
        assert_eq!(format!("{azure:?}"), format!("{expected:?}"));
    }
    assert!(
        "moon"
            .parse::<Cloud>()
            .unwrap_err()
            .contains("us-gov-l5-dod")
    );
}

#[tokio::test]
async fn the_builder_picks_the_cloud_and_version_and_asks_for_the_clouds_scope() {
    use msgraph_calls::{Cloud, GraphVersion};
    let at = |builder: msgraph_calls::ClientBuilder| builder.build().base_url().to_owned();
    assert_eq!(at(Client::builder()), "https://graph.microsoft.com/beta");
    let home = Client::builder().tenant_id("home").build();
    assert_eq!(home.tenant_id(), Some("home"));
    assert_eq!(home.for_tenant("other").tenant_id(), Some("other"));
    assert_eq!(
        at(Client::builder().version(GraphVersion::V1)),
        "https://graph.microsoft.com/v1.0"
    );
    assert_eq!(
        at(Client::builder().cloud(Cloud::UsGovL5Dod)),
        "https://dod-graph.microsoft.us/beta"
    );
    assert_eq!(
        at(Client::builder()
            .cloud(Cloud::China)
            .version(GraphVersion::V1)),
        "https://microsoftgraph.chinacloudapi.cn/v1.0"
    );
    // A custom URL wins; the token scope is still the cloud's, unless set.
    let recorder = Recorder::start(Reply::empty(202)).await;
    let scopes = Arc::new(Mutex::new(Vec::new()));
    let seen = scopes.clone();
    let provider = move |request: TokenRequest| {
        seen.lock().unwrap().push(request.scope().to_owned());
        async { Ok::<_, TokenError>("t".to_owned()) }
    };
    let shared = Arc::new(provider);
    let body = RejectRequestBody::default();
    for builder in [
        Client::builder().cloud(Cloud::UsGovL4),
        Client::builder().scope("api://custom/.default"),
    ] {
        let shared = shared.clone();
        let client = builder
            .base_url(format!("{}/v1.0", recorder.base_url))
            .token_provider(move |request: TokenRequest| shared(request))
            .build();
        client.reject(CALL_ID, &body).await.expect("202");
    }
    assert_eq!(
        *scopes.lock().unwrap(),
        [
            "https://graph.microsoft.us/.default",
            "api://custom/.default"
        ]
    );
    let paths: Vec<String> = recorder
        .requests()
        .iter()
        .map(|r| r.uri.path().to_owned())
        .collect();
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with("/v1.0/communications/calls/")),
        "{paths:?}"
    );
}

// One thread: every request reaches the cache, and waits, before the fetch is let go.
#[tokio::test]
async fn requests_waiting_for_a_failing_fetch_share_its_failure() {
    let recorder = Recorder::start(Reply::empty(202)).await;
    let (credential, calls) = while_the_fetch_is_held(&recorder, true, 20).await;
    for call in calls {
        let err = call.await.unwrap().expect_err("no token");
        assert!(err.to_string().contains("AADSTS7000215"), "{err}");
    }
    assert_eq!(
        credential.calls.load(Ordering::SeqCst),
        1,
        "the requests that waited took the fetch's failure"
    );
    assert!(recorder.requests().is_empty());
}

#[tokio::test]
async fn an_empty_token_sends_nothing() {
    let recorder = Recorder::start(Reply::empty(202)).await;
    let empty = Client::builder()
        .base_url(&recorder.base_url)
        .token_provider(|_request: TokenRequest| async { Ok::<_, TokenError>(" ".to_owned()) })
        .build();
    let err = empty
        .reject(CALL_ID, &RejectRequestBody::default())
        .await
        .expect_err("no token, no call");
    assert!(err.to_string().contains("empty"), "{err}");
    assert!(recorder.requests().is_empty());
}
