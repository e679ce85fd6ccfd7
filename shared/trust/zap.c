/* zap: see zap.h. */
#include "zap.h"

#include "cert.h"
#include "err.h"
#include "file.h"
#include "log.h"
#include "mem.h"
#include "sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct zap {
    zsock_t *handler;
    zsock_t *monitor; /* handshake failures of the watched socket */
    zloop_t *loop;
    zap_admit_fn admit;
    void *arg;
    struct log_limits refused; /* per transport key (its first 8 bytes) */
    struct log_limit failures;
};

static int
on_request(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    zap_t *z = arg;
    zmsg_t *req = zmsg_recv(sock);
    if (!req)
        return 0;
    /* version, request id, domain, address, identity, mechanism, credentials */
    char *version = zmsg_popstr(req), *request_id = zmsg_popstr(req);
    char *domain = zmsg_popstr(req), *address = zmsg_popstr(req);
    char *identity = zmsg_popstr(req), *mechanism = zmsg_popstr(req);
    zframe_t *key = zmsg_pop(req);
    char user[16] = "", why[ERR_WHY_MAX] = "";
    bool ok = false;
    if (!version || strcmp(version, "1.0") != 0 || !mechanism || strcmp(mechanism, "CURVE") != 0)
        snprintf(why, sizeof why, "mechanism %s is not CURVE", mechanism ? mechanism : "?");
    else if (!key || zframe_size(key) != ZAP_KEY_BYTES)
        snprintf(why, sizeof why, "no CURVE key");
    else
        ok = z->admit(z->arg, zframe_data(key), user, why);
    if (!ok) {
        uint64_t suppressed;
        uint64_t tag = 0;
        if (key && zframe_size(key) >= sizeof tag)
            memcpy(&tag, zframe_data(key), sizeof tag);
        if (log_allow_from(&z->refused, tag, 10, &suppressed))
            log_warn("zap: connection refused address=%s: %s suppressed=%llu",
                     address ? address : "?", why, (unsigned long long)suppressed);
    }
    zmsg_t *rep = zmsg_new();
    zmsg_addstr(rep, "1.0");
    zmsg_addstr(rep, request_id ? request_id : "");
    zmsg_addstr(rep, ok ? "200" : "400");
    zmsg_addstr(rep, ok ? "OK" : why);
    zmsg_addstr(rep, ok ? user : "");
    zmsg_addmem(rep, "", 0);
    if (zmsg_send(&rep, sock) != 0)
        zmsg_destroy(&rep);
    zframe_destroy(&key);
    free(version);
    free(request_id);
    free(domain);
    free(address);
    free(identity);
    free(mechanism);
    zmsg_destroy(&req);
    return 0;
}

int
zap_start(zloop_t *loop, zap_admit_fn admit, void *arg, zap_t **out)
{
    zap_t *z = xcalloc(1, sizeof *z);
    z->admit = admit;
    z->arg = arg;
    z->loop = loop;
    z->handler = zsock_new(ZMQ_REP);
    if (!z->handler || zsock_bind(z->handler, "inproc://zeromq.zap.01") != 0) {
        log_error("zap: cannot bind the authentication handler");
        zsock_destroy(&z->handler);
        free(z);
        return ERR_NET;
    }
    zloop_reader(loop, z->handler, on_request, z);
    *out = z;
    return 0;
}

static int
on_monitor(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    zap_t *z = arg;
    zmsg_t *m = zmsg_recv(sock);
    zframe_t *f = m ? zmsg_first(m) : NULL;
    if (f && zframe_size(f) >= 6) {
        uint16_t event;
        int32_t value;
        memcpy(&event, zframe_data(f), 2);
        memcpy(&value, zframe_data(f) + 2, 4);
        const char *what = event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                               ? "a protocol error (a client not speaking CurveZMQ?)"
                           : event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                               ? "refused by the authentication handler"
                               : "no detail";
        uint64_t suppressed;
        if (log_allow(&z->failures, 10, &suppressed))
            log_warn("zap: a connection failed the CurveZMQ handshake: %s (code %d) "
                     "suppressed=%llu",
                     what, value, (unsigned long long)suppressed);
    }
    zmsg_destroy(&m);
    return 0;
}

int
zap_watch(zap_t *z, zsock_t *sock)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://jiancha-zap-monitor-%p", (void *)sock);
    if (zmq_socket_monitor(zsock_resolve(sock), ep,
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
        return ERR_NET;
    z->monitor = zsock_new(ZMQ_PAIR);
    if (!z->monitor || zsock_connect(z->monitor, "%s", ep) != 0) {
        zsock_destroy(&z->monitor);
        return ERR_NET;
    }
    zloop_reader(z->loop, z->monitor, on_monitor, z);
    return 0;
}

void
zap_stop(zap_t **p)
{
    zap_t *z = *p;
    if (!z)
        return;
    zloop_reader_end(z->loop, z->handler);
    zsock_destroy(&z->handler);
    if (z->monitor) {
        zloop_reader_end(z->loop, z->monitor);
        zsock_destroy(&z->monitor);
    }
    free(z);
    *p = NULL;
}

void
zap_curve_server(zsock_t *sock, const uint8_t secret[ZAP_KEY_BYTES])
{
    zsock_set_zap_domain(sock, ZAP_DOMAIN);
    zsock_set_curve_server(sock, 1);
    zsock_set_curve_secretkey_bin(sock, secret);
}

void
zap_curve_client(zsock_t *sock, const uint8_t server_public[ZAP_KEY_BYTES],
                 const uint8_t public_key[ZAP_KEY_BYTES], const uint8_t secret[ZAP_KEY_BYTES])
{
    zsock_set_curve_serverkey_bin(sock, server_public);
    zsock_set_curve_publickey_bin(sock, public_key);
    zsock_set_curve_secretkey_bin(sock, secret);
}

int
zap_server_key_load(const char *path, uint8_t key[ZAP_KEY_BYTES], char why[ERR_WHY_MAX])
{
    size_t pl = strlen(path);
    if (pl > 5 && strcmp(path + pl - 5, ".cert") == 0) {
        size_t len;
        char *file = file_read(path, &len), w[ERR_WHY_MAX];
        struct cert_node n;
        int rc = file ? cert_read_node(file, len, &n, w) : ERR_IO;
        free(file);
        if (rc != 0) {
            snprintf(why, ERR_WHY_MAX, "%.80s: %.70s", path, rc == ERR_IO ? "cannot read it" : w);
            return rc;
        }
        memcpy(key, n.curve_pk, ZAP_KEY_BYTES);
        return 0;
    }
    int rc = sign_curve_public_load(path, key, NULL);
    if (rc != 0)
        snprintf(why, ERR_WHY_MAX, "%.100s: %s", path, err_str(rc));
    return rc;
}

const char *
zap_user_of(zframe_t *frame)
{
    return zframe_meta(frame, "User-Id");
}
