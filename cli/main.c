/* jiancha: the administrators' and supervisors' command line. Dispatches to one family per file. */
#include "cli.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
    if (argc < 2) {
        cli_help(stderr, NULL, 0);
        return 2;
    }
    /* --help (or -h) anywhere: the usage of the commands its leading words name, on stdout */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") != 0 && strcmp(argv[i], "-h") != 0)
            continue;
        int words = 0;
        while (1 + words < argc && argv[1 + words][0] != '-')
            words++;
        return cli_help(stdout, argv + 1, words);
    }
    log_threshold = LOG_LEVEL_WARN;
    const char *cmd = argv[1];
    if (strcmp(cmd, "keys") == 0)
        return cli_keys(argc - 1, argv + 1);
    if (strcmp(cmd, "send") == 0)
        return cli_send(argc - 1, argv + 1);
    if (strcmp(cmd, "alert") == 0 || strcmp(cmd, "supervise") == 0 ||
        strcmp(cmd, "patrol") == 0 || strcmp(cmd, "followup") == 0)
        return cli_action(argc - 1, argv + 1);
    if (strcmp(cmd, "sample") == 0)
        return cli_sample(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cli_report(argc - 1, argv + 1);
    if (strcmp(cmd, "operator") == 0 || strcmp(cmd, "approve") == 0 ||
        strcmp(cmd, "export") == 0 || strcmp(cmd, "record") == 0 || strcmp(cmd, "audit") == 0)
        return cli_access(argc - 1, argv + 1);
    if (strcmp(cmd, "query") == 0)
        return cli_query(argc - 1, argv + 1);
    if (strcmp(cmd, "bundle") == 0)
        return cli_bundle(argc - 1, argv + 1);
    if (strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0)
        return cli_backup(argc - 1, argv + 1);
    if (strcmp(cmd, "status") == 0)
        return cli_status(argc - 1, argv + 1);
    if (strcmp(cmd, "calendar") == 0)
        return cli_calendar(argc - 1, argv + 1);
    if (strcmp(cmd, "catalog") == 0)
        return cli_catalog(argc - 1, argv + 1);
    if (strcmp(cmd, "web") == 0)
        return cli_web(argc - 1, argv + 1);
    if (strcmp(cmd, "evaluate") == 0)
        return cli_evaluate(argc - 1, argv + 1);
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("jiancha %s\n", JIANCHA_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0)
        return cli_help(stdout, argv + 2, argc - 2);
    fprintf(stderr, "jiancha: unknown command \"%s\"\n", cmd);
    cli_help(stderr, NULL, 0);
    return 2;
}
