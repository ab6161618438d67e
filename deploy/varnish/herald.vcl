vcl 4.1;
# Varnish in front of Herald (Varnish 7 with the xkey vmod from varnish-modules).
#
# Herald marks every public page, feed and API body `Cache-Control: public, max-age=0,
# s-maxage=N, stale-if-error=86400` with surrogate keys in `xkey`, and purges those keys after
# every write (EDGE_PURGE_URLS=http://<this varnish>/). So Varnish keeps a body until Herald
# says it changed, the next request after a write is fresh, and when Herald is down the last
# page keeps being served. Admin, sign-in, forms and anything with a cookie go straight through.
#
# Run: varnishd -a :80 -f /etc/varnish/herald.vcl -p vcl_path=/etc/varnish -s malloc,256m

import std;
import xkey;

# Where the Herald processes listen and who may purge: herald-backends.vcl beside this file
# (found through varnishd's vcl_path; edit that one for your site).
include "herald-backends.vcl";

sub vcl_recv {
    set req.backend_hint = heralds.backend();
    if (req.method == "PURGE" || req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purging is not allowed from this address"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "Send the surrogate keys to purge in an xkey-purge header"));
        }
        if (req.method == "BAN") {
            # One key per BAN, matched as a whole word of the stored xkey header.
            if (req.http.xkey-purge !~ "^[A-Za-z0-9:_-]+$") {
                return (synth(400, "BAN takes one key of letters, digits, ':', '_' or '-'"));
            }
            ban("obj.http.xkey ~ (^|[ ,])" + req.http.xkey-purge + "($|[ ,])");
            return (synth(200, "Banned"));
        }
        # Soft purge: the copy stops being fresh at once (the next request fetches it), but is
        # kept in grace, to be served if Herald does not answer that fetch.
        set req.http.n-gone = xkey.softpurge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone + " objects"));
    }

    if (req.method != "GET" && req.method != "HEAD") {
        # Form posts and API writes: straight to Herald, never cached.
        return (pass);
    }
    # Per-visitor, audience, admin and management API paths (Herald answers them private, no-store
    # anyway; a key in the query must not become a cache key), and the
    # maintenance switch the product polls, which must change the moment it is flipped.
    if (req.url ~ "^/(a|admin|api/admin|v1|login|logout|setup|subscribe|confirm|manage|unsubscribe|healthz|language)([/?]|$)"
        || req.url ~ "^/api/maintenance([?]|$)") {
        return (pass);
    }
    # The language menu's cookie alone is the one cookie public pages read: such requests stay
    # cacheable, and Herald's `Vary: Accept-Language, Cookie` keeps one copy per language. The
    # cookie decides over Accept-Language, so that header is dropped to keep the copies few.
    if (req.http.Cookie ~ "^\s*herald_lang=[A-Za-z-]{1,8}\s*$" && !req.http.Authorization) {
        unset req.http.Accept-Language;
    } elsif (req.http.Cookie || req.http.Authorization) {
        return (pass);
    }

    # A fresh copy is served while Herald is healthy. A stale one only when Herald does not
    # answer: on a sick probe, or on the restart after a failed fetch (see vcl_synth).
    if (std.healthy(req.backend_hint) && req.restarts == 0) {
        set req.grace = 0s;
    } else {
        set req.grace = 24h;
    }
    return (hash);
}

sub vcl_backend_response {
    # Never store a response that sets a cookie, or one Herald did not mark public.
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control ~ "(private|no-store|no-cache)"
        || beresp.http.Cache-Control !~ "public") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # Herald's 5xx: keep serving what is stored (the restart in vcl_synth finds it in grace).
    if (beresp.status >= 500) {
        return (abandon);
    }
    # s-maxage gives the TTL; keep the copy a day beyond it (stale-if-error=86400) to serve
    # while Herald is down.
    set beresp.grace = 24h;
    return (deliver);
}

sub vcl_backend_error {
    # Herald did not answer: give up this fetch; vcl_synth retries from the stored copy.
    return (abandon);
}

sub vcl_synth {
    if (resp.status == 503 && req.restarts == 0 && (req.method == "GET" || req.method == "HEAD")) {
        return (restart);
    }
}

sub vcl_deliver {
    # Surrogate keys are for edges, not browsers.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Cache-Tag;
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
