/* err: the one list of error codes in jiancha.
 *
 * Every function that can fail returns 0 or a negative ERR_* code from this list; counts are >= 0.
 * The codes are generated from one X-macro so nobody numbers them by hand, and they start far below
 * -4096 so they never collide with a negated errno.
 */
#ifndef JIANCHA_ERR_H
#define JIANCHA_ERR_H

#define ERR_LIST(X)                                                                                \
    X(INVALID, "invalid input")                                                                    \
    X(NOT_FOUND, "not found")                                                                      \
    X(EXISTS, "already exists")                                                                    \
    X(IO, "input/output error")                                                                    \
    X(STORAGE_FULL, "storage full")                                                                \
    X(MAP_FULL, "storage map full, grow and retry")                                                \
    X(STORE, "storage error")                                                                      \
    X(SCHEMA, "storage schema version mismatch")                                                   \
    X(CORRUPT, "stored data is corrupt")                                                           \
    X(BAD_SIGNATURE, "bad signature")                                                              \
    X(BAD_HASH, "hash mismatch")                                                                   \
    X(UNKNOWN_NODE, "unknown node")                                                                \
    X(BROKEN_CHAIN, "broken batch chain")                                                          \
    X(GAP, "batch sequence gap")                                                                   \
    X(CONFLICT, "batch sequence reused with different content")                                    \
    X(DUPLICATE, "duplicate")                                                                      \
    X(TOO_BIG, "message too large")                                                                \
    X(DECODE, "malformed message")                                                                 \
    X(KEY_PERMS, "key file is readable by others")                                                 \
    X(ACCESS, "permission denied (the file belongs to another user)")                              \
    X(CONFIG, "configuration error")                                                               \
    X(NET, "network error")                                                                        \
    X(TIMEOUT, "timed out")                                                                        \
    X(STATE, "operation not allowed in this state")                                                \
    X(RESTORING, "restored from a backup: taking its history back from the parent first")

enum err_code {
    ERR_BASE_ = -10000,
#define ERR_ENUM(name, text) ERR_##name,
    ERR_LIST(ERR_ENUM)
#undef ERR_ENUM
    ERR_END_
};

/* The size of a buffer for why something failed, in words for a person (a file, a line, a key,
 * a record and a field): every `char why[ERR_WHY_MAX]` in the tree. Copies into a protocol
 * field or a reply keep what fits there. */
#define ERR_WHY_MAX 512

/* Human text for a code from this list; "unknown error" for anything else. Never NULL. */
const char *err_str(int code);

#endif
