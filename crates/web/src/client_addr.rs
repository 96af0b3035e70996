//! The address a request comes from: the client's, not its reverse proxy's.
//!
//! Behind nginx or a load balancer every connection comes from the proxy, so limits kept
//! per address (failed logins, residents' registrations) would count the whole city as
//! one caller: thirty wrong passwords would lock everyone out. The server is told which
//! peers are its proxies (`--trusted-proxies`, `TONGXIN_TRUSTED_PROXIES`); from those
//! alone it believes `X-Forwarded-For`, read from the right (each proxy appends the
//! address it saw), and takes the first address that is not one of its proxies — the
//! rightmost-trusted rule, so a client cannot name itself by sending the header. From
//! any other peer the header is ignored.

use crate::{ApiError, AppState};
use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};
use tongxin_domain::ErrorCode;

/// The peers whose `X-Forwarded-For` is believed: networks such as `10.0.0.0/8`, or
/// single addresses (`127.0.0.1`, `::1`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

/// A trusted-proxy entry that is neither an address nor a network.
#[derive(Debug, thiserror::Error)]
#[error("not an address or a network (CIDR): {0:?}")]
pub struct NotANetwork(pub String);

impl TrustedProxies {
    /// Reads a list separated by commas or spaces: `10.0.0.0/8, 127.0.0.1 ::1`.
    pub fn parse(list: &str) -> Result<Self, NotANetwork> {
        list.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| NotANetwork(s.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client's address for a connection from `peer` carrying `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        // Several headers are one list, in order (RFC 9110 §5.3).
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // A trusted proxy wrote something unreadable: go no further than it.
                return client;
            };
            client = ip.to_canonical();
            if !self.trusts(client) {
                return client;
            }
        }
        client
    }
}

/// One entry of `X-Forwarded-For`: an address, with or without a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The caller's address, as limits count it: an IPv4 address, or the /64 network of an
/// IPv6 one (one subscriber holds a whole /64, so counting single IPv6 addresses would
/// let one caller be thousands).
pub fn counted(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The client's address ([`TrustedProxies::client`]) as an extractor.
pub struct ClientAddr(pub IpAddr);

impl axum::extract::FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // `serve` always gives the peer; a router used without it has no client address
        // to count, and guessing one would put every caller under one limit.
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            tracing::error!("a request without its peer address: serve the router with connect info");
            return Err(ApiError::new(ErrorCode::Internal));
        };
        Ok(ClientAddr(state.trusted_proxies.client(peer.ip(), &parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("203.0.113.9"), &headers(&["198.51.100.1"])),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_proxy_is_believed_and_the_client_cannot_name_itself() {
        let t = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").expect("parse");
        // The client sent "1.1.1.1" itself; nginx appended what it saw; a second proxy
        // in 10/8 appended the first.
        let h = headers(&["1.1.1.1, 203.0.113.7", "10.1.2.3"]);
        assert_eq!(t.client(ip("127.0.0.1"), &h), ip("203.0.113.7"));
        // From an untrusted peer the same header names nobody.
        assert_eq!(t.client(ip("198.51.100.4"), &h), ip("198.51.100.4"));
        // A proxy with no header: the proxy itself.
        assert_eq!(t.client(ip("10.9.9.9"), &HeaderMap::new()), ip("10.9.9.9"));
        // Unreadable hop written by a trusted proxy: stop at the last believed hop.
        assert_eq!(
            t.client(ip("127.0.0.1"), &headers(&["203.0.113.7, junk"])),
            ip("127.0.0.1")
        );
        // Ports and IPv4 written as IPv6.
        assert_eq!(
            t.client(ip("::ffff:127.0.0.1"), &headers(&["203.0.113.7:5555"])),
            ip("203.0.113.7")
        );
        assert_eq!(
            t.client(ip("127.0.0.1"), &headers(&["[2001:db8::1]:443"])),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn lists_are_read_or_refused_by_entry() {
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
        assert_eq!(
            TrustedProxies::parse("::1 192.168.0.0/16,10.0.0.1")
                .expect("parse")
                .0
                .len(),
            3
        );
        let e = TrustedProxies::parse("10.0.0.0/8, nginx").expect_err("a name is no address");
        assert_eq!(e.0, "nginx");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn ipv6_is_counted_by_its_64_network() {
        assert_eq!(counted(ip("2001:db8:1:2:aaaa::1")), counted(ip("2001:db8:1:2:bbbb::2")));
        assert_ne!(counted(ip("2001:db8:1:2::1")), counted(ip("2001:db8:1:3::1")));
        assert_eq!(counted(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
    }

    proptest! {
        /// Whatever a client puts in the header, the answer behind one trusted proxy is
        /// the address that proxy saw.
        #[test]
        fn a_client_never_chooses_its_address(forged in "[0-9a-f:., \\[\\]]{0,60}", seen in any::<[u8; 4]>()) {
            let t = TrustedProxies::parse("127.0.0.1").expect("parse");
            let seen = IpAddr::from(seen);
            prop_assume!(!t.trusts(seen));
            let Ok(forged) = HeaderValue::from_str(&forged) else { return Ok(()) };
            let mut h = HeaderMap::new();
            h.append("x-forwarded-for", forged);
            h.append("x-forwarded-for", HeaderValue::from_str(&seen.to_string()).expect("header"));
            prop_assert_eq!(t.client(ip("127.0.0.1"), &h), seen);
        }
    }
}
