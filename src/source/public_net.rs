//! Which addresses a request may reach when its target came from content the
//! user did not vouch for (issuer URLs in scanned files, validation hosts):
//! only public ones. One policy for every network client of nhiscan: the
//! issuer audit (`scan --audit-issuers`) and validation (`--validate`).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use reqwest::Url;

/// What the resolver's refusal says (callers match it to tell "refused"
/// from "failed").
pub const NO_PUBLIC_ADDRESS: &str = "resolves to no public address";

/// Whether `ip` is on the public internet: not loopback, private, link-local,
/// shared (CGNAT), unique-local, site-local, multicast, unspecified,
/// documentation, benchmarking or reserved space; IPv6 forms that embed an
/// IPv4 address (mapped, NAT64, 6to4, IPv4-compatible) are judged by it.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 198 && (18..20).contains(&b)) // benchmarking
                || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
                || a >= 240) // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            let o = v6.octets();
            let embedded = |at: usize| IpAddr::from([o[at], o[at + 1], o[at + 2], o[at + 3]]);
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                return is_public(embedded(12)); // NAT64 64:ff9b::/96
            }
            if s[0] == 0x2002 {
                return is_public(embedded(2)); // 6to4 2002::/16
            }
            if s[..6] == [0, 0, 0, 0, 0, 0] && !v6.is_loopback() && !v6.is_unspecified() {
                return is_public(embedded(12)); // IPv4-compatible ::/96 (deprecated)
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] == 0x64 && s[1] == 0xff9b) // local-use NAT64 64:ff9b:1::/48
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x100 && s[1..4] == [0, 0, 0]) // discard-only 100::/64
                || (s[0] == 0x2001 && s[1] < 0x200) // IETF protocol assignments 2001::/23
                || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
        }
    }
}

/// The host of `url` when it is an IP literal (or a `localhost` name) that is
/// not public; other names are checked when resolved, by [`PublicOnly`].
pub fn private_literal(url: &Url) -> Option<String> {
    let ip = match url.host()? {
        url::Host::Ipv4(ip) => IpAddr::V4(ip),
        url::Host::Ipv6(ip) => IpAddr::V6(ip),
        url::Host::Domain(d) => {
            let bare = d.trim_end_matches('.').to_ascii_lowercase();
            return (bare == "localhost" || bare.ends_with(".localhost")).then(|| d.to_string());
        }
    };
    (!is_public(ip)).then(|| ip.to_string())
}

/// A resolver that keeps only public addresses: the check is made on the
/// addresses actually connected to, so a name that resolves to 127.0.0.1 or
/// 169.254.169.254 (or rebinds between checks) is refused. `hint` tells the
/// user which flag allows private targets. Lookups run on tokio's blocking
/// pool, so one slow name does not stall the client's other requests.
pub struct PublicOnly {
    pub hint: &'static str,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let hint = self.hint;
        Box::pin(async move {
            let lookup = host.clone();
            let addrs: Vec<SocketAddr> =
                tokio::task::spawn_blocking(move || (lookup.as_str(), 0).to_socket_addrs())
                    .await??
                    .collect();
            let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} {NO_PUBLIC_ADDRESS} ({hint})").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses_only() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "198.18.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "::7f00:1",
        ] {
            assert!(!is_public(ip(private)), "{private}");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "140.82.112.3",
            "2606:4700::1111",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(ip(public)), "{public}");
        }
    }

    #[test]
    fn literals_and_localhost_names() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(private_literal(&u("https://127.0.0.1/x")).is_some());
        assert!(private_literal(&u("https://localhost./x")).is_some());
        assert!(private_literal(&u("https://api.localhost/x")).is_some());
        assert!(private_literal(&u("https://[64:ff9b::a9fe:a9fe]/x")).is_some());
        assert!(private_literal(&u("https://login.example.com/x")).is_none());
        assert!(private_literal(&u("https://8.8.8.8/x")).is_none());
    }
}
