//! Signing notification tokens as Microsoft Graph does (RS256 JWTs with a `kid`), for simulators
//! and tests: a key generated at start and its public JWKS.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

/// An RSA signing key with its key id.
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: serde_json::Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new 2048-bit RSA key named `kid`.
    pub fn generate(kid: impl Into<String>) -> Result<Self, String> {
        let kid = kid.into();
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| "cannot generate an RSA key".to_owned())?;
        let pkcs8 = pair
            .as_der()
            .map_err(|_| "cannot encode the RSA key".to_owned())?;
        let body = STANDARD.encode(pkcs8.as_ref());
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        );
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|err| format!("cannot load the RSA key: {err}"))?;
        let public = pair.public_key();
        let jwk = serde_json::json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        });
        Ok(Self { kid, encoding, jwk })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &serde_json::Value {
        &self.jwk
    }

    /// A JWKS document holding the public keys of `keys`.
    pub fn jwks<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> serde_json::Value {
        serde_json::json!({ "keys": keys.into_iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// Signs `claims` with RS256, naming this key in the header.
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|err| format!("cannot sign: {err}"))
    }

    /// Signs `claims` with RS256 under a header that also carries `fields` (such as
    /// `{"crit": ["exp"]}`), to test how validators treat unusual headers. `alg` and `kid` stay this
    /// key's.
    pub fn sign_with_header(
        &self,
        fields: &serde_json::Value,
        claims: &serde_json::Value,
    ) -> Result<String, String> {
        let mut header = serde_json::json!({ "typ": "JWT" });
        if let (Some(header), Some(fields)) = (header.as_object_mut(), fields.as_object()) {
            header.extend(fields.clone());
            header.insert("alg".into(), "RS256".into());
            header.insert("kid".into(), self.kid.clone().into());
        }
        let header: Header = serde_json::from_value(header)
            .map_err(|err| format!("cannot make a token header of {fields}: {err}"))?;
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|err| format!("cannot sign: {err}"))
    }

    /// The claims Graph puts in a notification token for `app_id` in `tenant_id`, valid for
    /// `lifetime` from now.
    pub fn graph_claims(
        app_id: &str,
        tenant_id: &str,
        lifetime: std::time::Duration,
    ) -> serde_json::Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        serde_json::json!({
            "iss": "https://graph.microsoft.com",
            "aud": app_id,
            "tid": tenant_id,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime.as_secs(),
        })
    }
}
