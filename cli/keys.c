/* cli keys: key management. For now `gen`; certificates and rotation come with the trust work. */
#include "cli.h"
#include "err.h"
#include "sign.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int
cli_keys(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "gen") != 0) {
        fprintf(stderr, "usage: jiancha keys gen --node ID --out DIR\n");
        return 2;
    }
    static const struct option opts[] = {
        {"node", required_argument, NULL, 'n'},
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *node = NULL, *out = NULL;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'n')
            node = optarg;
        else if (ch == 'o')
            out = optarg;
        else
            return 2;
    }
    if (!node || !out) {
        fprintf(stderr, "usage: jiancha keys gen --node ID --out DIR\n");
        return 2;
    }
    if (sign_init() != 0)
        return 1;
    int rc = sign_keypair_write(node, out);
    if (rc == ERR_INVALID) {
        fprintf(stderr, "jiancha keys gen: --node \"%s\" is not a six-digit division code\n", node);
        return 2;
    }
    if (rc != 0) {
        fprintf(stderr, "jiancha keys gen: cannot write %s/%s.secret: %s\n", out, node,
                rc == ERR_EXISTS ? "a secret key for this node is already there" : err_str(rc));
        return 1;
    }
    uint8_t pk[SIGN_PUBLIC_BYTES];
    char path[4096], id[SIGN_KEY_ID_LEN + 1];
    snprintf(path, sizeof path, "%s/%s.pub", out, node);
    if (sign_public_load(path, pk, NULL) != 0)
        return 1;
    sign_key_id(pk, id);
    printf("wrote %s/%s.secret (0600) and %s/%s.pub, key id %s\n", out, node, out, node, id);
    return 0;
}
