/* cli web: `jiancha web login`, a sign-in link to the centre's screen (docs/api.md), signed with
 * the operator's own key. The screen checks it against the roster and lets it sign in once. */
#include "cli.h"
#include "err.h"
#include "node.h"
#include "sign.h"
#include "signin.h"
#include "timestamp.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
web_login(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},
        {"node", required_argument, NULL, 'n'},
        {"operator", required_argument, NULL, 'o'},
        {"key", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0},
    };
    const char *url = "http://127.0.0.1:8480", *node = NULL;
    struct cli_operator op = {NULL, NULL};
    cli_operator_from_env(&op);
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'u':
            url = optarg;
            break;
        case 'n':
            node = optarg;
            break;
        case 'o':
            op.name = optarg;
            break;
        case 'k':
            op.key = optarg;
            break;
        default:
            return 2;
        }
    }
    const char *wrong = !node ? "--node is missing"
                        : node_valid(node, strlen(node)) != 0
                            ? "--node is not a six-digit division code"
                        : !op.name ? "--operator is missing (or JIANCHA_OPERATOR)"
                        : !op.key  ? "--key is missing (or JIANCHA_OPERATOR_KEY)"
                        : strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0
                            ? "--url must begin with https:// or http://"
                            : NULL;
    if (wrong) {
        fprintf(stderr,
                "jiancha web login: %s\n"
                "usage: jiancha web login --node NODE [--url https://HOST[:PORT]] "
                "--operator NAME --key FILE\n"
                "  --url: the address the operator's browser reaches the screen at "
                "(default http://127.0.0.1:8480)\n",
                wrong);
        return 2;
    }
    sign_key_t *k = NULL;
    int rc = sign_init() == 0 ? sign_key_load(op.key, &k, NULL) : ERR_STATE;
    if (rc != 0) {
        fprintf(stderr, "jiancha web login: operator key %s: %s\n", op.key, err_str(rc));
        return 1;
    }
    char *link = signin_link_make(url, k, op.name, node_number(node), timestamp_now_ms());
    sign_key_destroy(&k);
    printf("%s\n", link);
    fprintf(stderr, "jiancha web login: open the link within %lld minutes; it signs %s in once\n",
            (long long)(SIGNIN_LINK_MS / 60000), op.name);
    free(link);
    return 0;
}

int
cli_web(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "login") == 0)
        return web_login(argc, argv);
    cli_help(stderr, argv, 1);
    return 2;
}
