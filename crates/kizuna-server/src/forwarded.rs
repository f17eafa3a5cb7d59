//! The client's address behind a reverse proxy. `kizuna serve --allow-plain-http` is made
//! for a TLS proxy in front; every request then comes from the proxy, and sign-ins would
//! be counted and audited under its address. For peers named with `--trusted-proxy`, the
//! client is read from `X-Forwarded-For`; from any other peer the header is ignored, so
//! nobody can choose the address they are counted under.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use crate::api::Remote;
use crate::state::AppState;

/// The client of a request from `peer`: the right-most `X-Forwarded-For` address that is
/// not a trusted proxy (each proxy appends the address it saw, so entries further left
/// were written by the client and prove nothing), when `peer` is trusted; else `peer`.
pub fn client(trusted: &[IpAddr], peer: SocketAddr, headers: &HeaderMap) -> SocketAddr {
    if !trusted.contains(&peer.ip()) {
        return peer;
    }
    let listed: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for entry in listed.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return SocketAddr::new(ip, 0),
            // Something unreadable where an address should be: trust nothing further.
            Err(_) => return peer,
        }
    }
    peer
}

/// Replaces the connection's peer with the forwarded client (see [`client`]).
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(Remote(peer)) = req.extensions().get::<Remote>().copied() {
        let c = client(state.trusted_proxies(), peer, req.headers());
        req.extensions_mut().insert(Remote(c));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let proxy: SocketAddr = "10.0.0.5:40000".parse().unwrap();
        let inner: IpAddr = "10.0.0.6".parse().unwrap();
        let trusted = [proxy.ip(), inner];
        let ip = |s: &str| SocketAddr::new(s.parse().unwrap(), 0);
        // The client wrote the first entry; the proxy appended what it saw.
        let h = headers(&["198.51.100.7, 203.0.113.9"]);
        assert_eq!(client(&trusted, proxy, &h), ip("203.0.113.9"));
        // Two proxies: the inner one is skipped.
        let h = headers(&["203.0.113.9", "10.0.0.6"]);
        assert_eq!(client(&trusted, proxy, &h), ip("203.0.113.9"));
        // IPv6, spaces.
        let h = headers(&[" 2001:db8::1 "]);
        assert_eq!(client(&trusted, proxy, &h), ip("2001:db8::1"));
        // Nothing usable, or from an untrusted peer: the peer.
        assert_eq!(client(&trusted, proxy, &headers(&[])), proxy);
        assert_eq!(client(&trusted, proxy, &headers(&["unknown"])), proxy);
        let stranger: SocketAddr = "192.0.2.1:5555".parse().unwrap();
        let h = headers(&["203.0.113.9"]);
        assert_eq!(client(&trusted, stranger, &h), stranger);
        assert_eq!(client(&[], proxy, &h), proxy);
    }
}
