//! Deliveries the sender sent again: each is known by the sender's message id
//! (`X-Microsoft-Skype-Message-ID`) where it has one, else by the SHA-256 digest of its body, and a
//! store remembers those accepted, within a window of time and count, so that the handler sees each
//! delivery once.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// The header that names a delivery; the sender sends a delivery again with the same value.
pub const MESSAGE_ID_HEADER: &str = "x-microsoft-skype-message-id";

/// What makes a delivery the same as one sent before.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryId {
    /// The sender's message id, from [`MESSAGE_ID_HEADER`].
    MessageId(String),
    /// The SHA-256 digest of the body, for a delivery without a message id.
    Content([u8; 32]),
}

impl DeliveryId {
    /// The id of a delivery with `headers` and `body`: its message id if it has a non-empty one,
    /// else the digest of its body.
    pub fn of(headers: &HeaderMap, body: &[u8]) -> Self {
        let message_id = headers
            .get(MESSAGE_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|id| !id.is_empty());
        match message_id {
            Some(id) => Self::MessageId(id.to_owned()),
            None => {
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body);
                let mut bytes = [0; 32];
                bytes.copy_from_slice(digest.as_ref());
                Self::Content(bytes)
            }
        }
    }

    /// The id as text, for a store keyed by strings: `message:{id}` or `sha256:{hex digest}`.
    pub fn to_key(&self) -> String {
        match self {
            Self::MessageId(id) => format!("message:{id}"),
            Self::Content(digest) => {
                let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
                format!("sha256:{hex}")
            }
        }
    }
}

/// What a [`DeliveryStore`] returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Remembers the deliveries a receiver accepted, so that a delivery sent again reaches the handler
/// once; it is still answered with the success status. The receiver asks only about deliveries it
/// is about to accept (authenticated, readable, with notifications).
///
/// [`MemoryDeliveryStore`] is the default. A bot that runs several instances behind one address
/// gives each receiver a store they share (`Receiver::delivery_store`), such as one that sets
/// [`DeliveryId::to_key`] with an expiry in a shared cache.
pub trait DeliveryStore: Send + Sync + 'static {
    /// Records `id`, as `HashSet::insert` does: `true` if the store did not hold it (the delivery
    /// is new), `false` if it did (the delivery was sent again). A store that cannot tell, because
    /// it cannot be reached, should answer `true`: a notification handled twice is better than one
    /// lost.
    fn insert<'a>(&'a self, id: &'a DeliveryId) -> StoreFuture<'a, bool>;
}

/// A [`DeliveryStore`] in memory, for one instance: it holds an id for `window` after it was
/// first seen, and at most `capacity` ids, forgetting the oldest first.
#[derive(Debug)]
pub struct MemoryDeliveryStore {
    window: Duration,
    capacity: usize,
    seen: Mutex<Seen>,
}

/// The ids held, oldest first, and as a set.
#[derive(Debug, Default)]
struct Seen {
    order: VecDeque<(Instant, DeliveryId)>,
    ids: HashSet<DeliveryId>,
}

impl MemoryDeliveryStore {
    /// How long an id is held by default: 10 minutes.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(600);

    /// How many ids are held at most by default: 10 000.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// A store that holds an id for `window`, and at most `capacity` ids.
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self {
            window,
            capacity,
            seen: Mutex::default(),
        }
    }

    fn insert_at(&self, id: &DeliveryId, now: Instant) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let Seen { order, ids } = &mut *seen;
        let forget = |order: &mut VecDeque<(Instant, DeliveryId)>,
                      ids: &mut HashSet<DeliveryId>| {
            if let Some((_, old)) = order.pop_front() {
                ids.remove(&old);
            }
        };
        while order
            .front()
            .is_some_and(|(at, _)| now.saturating_duration_since(*at) >= self.window)
        {
            forget(order, ids);
        }
        if ids.contains(id) {
            return false;
        }
        if self.capacity == 0 {
            return true;
        }
        while order.len() >= self.capacity {
            forget(order, ids);
        }
        order.push_back((now, id.clone()));
        ids.insert(id.clone());
        true
    }
}

impl Default for MemoryDeliveryStore {
    /// [`Self::DEFAULT_WINDOW`] and [`Self::DEFAULT_CAPACITY`].
    fn default() -> Self {
        Self::new(Self::DEFAULT_WINDOW, Self::DEFAULT_CAPACITY)
    }
}

impl DeliveryStore for MemoryDeliveryStore {
    fn insert<'a>(&'a self, id: &'a DeliveryId) -> StoreFuture<'a, bool> {
        let new = self.insert_at(id, Instant::now());
        Box::pin(std::future::ready(new))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use axum::http::{HeaderMap, HeaderValue};

    use super::{DeliveryId, MESSAGE_ID_HEADER, MemoryDeliveryStore};

    fn message(id: &str) -> DeliveryId {
        DeliveryId::MessageId(id.to_owned())
    }

    #[test]
    fn the_message_id_wins_over_the_body_and_the_body_is_the_fallback() {
        let mut headers = HeaderMap::new();
        let body = br#"{"value":[]}"#;
        let by_content = DeliveryId::of(&headers, body);
        assert!(matches!(by_content, DeliveryId::Content(_)));
        assert_eq!(by_content, DeliveryId::of(&headers, body));
        assert_ne!(by_content, DeliveryId::of(&headers, br#"{"value": []}"#));
        assert_eq!(
            by_content.to_key(),
            "sha256:99bcfca61a865fe7ac5bb675250de956e8e0fb175d59adac80bb2fb177154a2c"
        );
        headers.insert(MESSAGE_ID_HEADER, HeaderValue::from_static(" m-1 "));
        assert_eq!(DeliveryId::of(&headers, body), message("m-1"));
        assert_eq!(message("m-1").to_key(), "message:m-1");
        headers.insert(MESSAGE_ID_HEADER, HeaderValue::from_static(""));
        assert_eq!(DeliveryId::of(&headers, body), by_content);
    }

    #[test]
    fn an_id_is_held_for_the_window() {
        let store = MemoryDeliveryStore::new(Duration::from_secs(60), 10);
        let start = Instant::now();
        assert!(store.insert_at(&message("a"), start));
        assert!(!store.insert_at(&message("a"), start + Duration::from_secs(59)));
        assert!(store.insert_at(&message("a"), start + Duration::from_secs(60)));
    }

    #[test]
    fn at_most_capacity_ids_are_held_and_the_oldest_goes_first() {
        let store = MemoryDeliveryStore::new(Duration::from_secs(60), 2);
        let now = Instant::now();
        for id in ["a", "b", "c"] {
            assert!(store.insert_at(&message(id), now));
        }
        assert!(!store.insert_at(&message("c"), now));
        assert!(store.insert_at(&message("a"), now), "a was forgotten");
        assert_eq!(store.seen.lock().expect("lock").order.len(), 2);
        let none = MemoryDeliveryStore::new(Duration::from_secs(60), 0);
        assert!(none.insert_at(&message("a"), now));
        assert!(none.insert_at(&message("a"), now));
    }
}
