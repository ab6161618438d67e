# The site-specific part of herald.vcl: the Herald processes and who may purge.
# Several Herald processes on one database (file or libSQL server) are all listed here; any of
# them answers any request, and each purges after its own writes.

import directors;

backend herald1 {
    .host = "127.0.0.1";
    .port = "3000";
    .connect_timeout = 1s;
    .first_byte_timeout = 15s;
    # /healthz answers 200 only while Herald and its database answer; while every process
    # fails it, cached pages are served stale instead of errors.
    .probe = {
        .url = "/healthz";
        .interval = 1s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
        .initial = 2;
    }
}

# A second process (e.g. PORT=3001 on the same DATABASE_URL):
# backend herald2 { .host = "127.0.0.1"; .port = "3001"; .probe = { .url = "/healthz"; } }

sub vcl_init {
    new heralds = directors.round_robin();
    heralds.add_backend(herald1);
    # heralds.add_backend(herald2);
}

# Who may PURGE or BAN: the addresses the Herald processes purge from. Everyone else: 403.
acl purgers {
    "127.0.0.1";
    "::1";
}
