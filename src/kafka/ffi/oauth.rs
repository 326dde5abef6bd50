//! Handing librdkafka a SASL/OAUTHBEARER token (`rd_kafka_oauthbearer_set_token`): the
//! provider fetches tokens itself (see `crate::kafka::oauth`), so librdkafka needs neither
//! its OIDC support nor libcurl.

use std::ffi::{c_char, CString};

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};

use super::handles::ErrBuf;

/// Sets the token for all connections of `client`: `lifetime_ms` is its expiry in ms since
/// the epoch, `principal` its subject, `extensions` the SASL extensions sent with it. The
/// error text never holds the token (librdkafka names only what is wrong with it).
pub(crate) fn set_oauth_token<C: ClientContext>(
    client: &Client<C>,
    token: &str,
    lifetime_ms: i64,
    principal: &str,
    extensions: &[(String, String)],
) -> Result<(), String> {
    let nul = |what: &str| format!("the {what} contains a NUL byte");
    let token = CString::new(token).map_err(|_| nul("access token"))?;
    let principal = CString::new(principal).map_err(|_| nul("token's sub claim"))?;
    let mut pairs = Vec::with_capacity(extensions.len() * 2);
    for (key, value) in extensions {
        pairs.push(CString::new(key.as_str()).map_err(|_| nul("extension name"))?);
        pairs.push(CString::new(value.as_str()).map_err(|_| nul("extension value"))?);
    }
    let mut pointers: Vec<*const c_char> = pairs.iter().map(|p| p.as_ptr()).collect();
    let mut errbuf = ErrBuf::new();
    // SAFETY: `client` is a live client; every string is a NUL-terminated CString that
    // outlives the call (librdkafka copies them); `pointers` holds `pointers.len()` entries
    // (key, value pairs) or is not read when empty; `errbuf` is writable for its length.
    let code = unsafe {
        rd::rd_kafka_oauthbearer_set_token(
            client.native_ptr(),
            token.as_ptr(),
            lifetime_ms,
            principal.as_ptr(),
            if pointers.is_empty() {
                std::ptr::null_mut()
            } else {
                pointers.as_mut_ptr()
            },
            pointers.len(),
            errbuf.ptr(),
            errbuf.len(),
        )
    };
    if code == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        Ok(())
    } else {
        Err(errbuf.text())
    }
}
