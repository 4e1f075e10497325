/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the commands of the `dmakit` tool. Included by tools/ and bench/.
 *
 * Each command is `int dk_tool_<name>(int argc, char **argv)`: argv[0] is
 * the command's name, the options follow (parse them with getopt_long after
 * setting optind = 1). It returns the process exit status: 0 success, 1 a
 * failure, 2 a usage error. To add a command, write the function, declare it
 * here and add a row to the table in tools/main.c.
 */
#ifndef DK_TOOLS_CLI_H
#define DK_TOOLS_CLI_H

/* `dmakit demo`: tools/demo.c. */
int dk_tool_demo(int argc, char **argv);

/* `dmakit map-bench [--threads N] [--seconds S] ...`: tools/map_bench.c. */
int dk_tool_map_bench(int argc, char **argv);

/* `dmakit dmatest [--channel NAME|all] [--iterations N] ...`: tools/dmatest.c. */
int dk_tool_dmatest(int argc, char **argv);

/* `dmakit bench [--list] [--quick] [PATTERN...]`: bench/bench.c. */
int dk_tool_bench(int argc, char **argv);

#endif
