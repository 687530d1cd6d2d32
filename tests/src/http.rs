//! Sending raw requests to a server on 127.0.0.1 and reading its answers, Graph-style errors
//! included.

/// A response as a test sees it.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The body as JSON, or `Null` if it is empty or not JSON.
    pub json: serde_json::Value,
}

impl Answer {
    /// `error.code` of a Graph error body.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_default()
    }

    /// Asserts this is a complete Graph error: code, message, and `innerError` with a request id and
    /// a date.
    pub fn assert_graph_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{:#}", self.json);
        assert_eq!(self.code(), code, "{:#}", self.json);
        let error = &self.json["error"];
        assert!(
            error["message"].as_str().is_some_and(|m| m.len() > 10),
            "a message a person can act on: {error:#}"
        );
        assert!(
            error["innerError"]["request-id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "{error:#}"
        );
        assert!(
            error["innerError"]["date"]
                .as_str()
                .is_some_and(|d| d.ends_with('Z')),
            "{error:#}"
        );
    }
}

/// An HTTP client for the servers the tests start. Plain `http` to 127.0.0.1 needs no certificate
/// roots, and loading the system's roots for every request would cost the tests seconds.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only(std::iter::empty())
        .build()
        .expect("an HTTP client")
}

/// Posts `body` to `url` with the given headers.
pub async fn post(url: &str, headers: &[(&str, &str)], body: impl Into<reqwest::Body>) -> Answer {
    let mut request = client().post(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answer(request).await
}

/// Sends a request and reads the answer.
pub async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("a body");
    Answer {
        status,
        json: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    }
}

/// A request a server must refuse: its URL, headers and body, and the status it must get.
pub type Refusal<'a> = (String, Vec<(&'a str, &'a str)>, String, u16);

/// Sends each request and asserts that it gets its status with a Graph-style error body.
pub async fn assert_refused(cases: Vec<Refusal<'_>>) {
    for (url, headers, body, status) in cases {
        let answer = post(&url, &headers, body).await;
        assert_eq!(answer.status, status, "{url}: {:#}", answer.json);
        assert!(
            answer.json["error"]["code"].is_string(),
            "{url}: a Graph-style error body: {:#}",
            answer.json
        );
    }
}
