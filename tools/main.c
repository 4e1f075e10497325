// SPDX-License-Identifier: MIT
/*
 * main.c - the `dmakit` command: `dmakit <command> [options]`.
 *
 * A table maps each command to its function (see cli.h); main() only
 * dispatches, handles help and version, and rejects what it does not know
 * with the usage on stderr and exit status 2.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

/* The build gives the library's version to the library only. */
#ifndef DK_VERSION_STRING
#define DK_VERSION_STRING "0.1.0"
#endif

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cli_cmd cli_cmds[] = {
	{ "demo", dk_tool_demo,
	  "walk through one DMA transfer, step by step" },
	{ "map-bench", dk_tool_map_bench,
	  "time dma_map_single/dma_unmap_single, as Linux's dma_map_benchmark" },
	{ "dmatest", dk_tool_dmatest,
	  "test DMA channels with verified copies, as Linux's dmatest" },
	{ "bench", dk_tool_bench,
	  "run benchmarks: bench [--list] [--quick] [PATTERN...]" },
};

#define NR_CMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: dmakit <command> [options]\n"
		   "       dmakit help [command] | --help | --version\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %-10s %s\n", cli_cmds[i].name,
			cli_cmds[i].summary);
	fprintf(f, "\n`dmakit <command> --help` describes a command's "
		   "options.\n");
}

static const struct cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < NR_CMDS; i++)
		if (!strcmp(cli_cmds[i].name, name))
			return &cli_cmds[i];
	return NULL;
}

static int run_cmd(const struct cli_cmd *c, int argc, char **argv)
{
	optind = 1;
	opterr = 1;
	return c->fn(argc, argv);
}

/* `dmakit help [command]`: the tool's usage, or the command's --help. */
static int cmd_help(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_cmd *c;
	char *sub[3];
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o != 'h') {
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stdout);
		return 0;
	}
	c = find_cmd(argv[optind]);
	if (!c) {
		fprintf(stderr, "dmakit: unknown command '%s'\n\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	sub[0] = argv[optind];
	sub[1] = (char *)"--help";
	sub[2] = NULL;
	return run_cmd(c, 2, sub);
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "help"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("dmakit %s\n", DK_VERSION_STRING);
		return 0;
	}
	c = find_cmd(cmd);
	if (!c) {
		fprintf(stderr, "dmakit: unknown %s '%s'\n\n",
			cmd[0] == '-' ? "option" : "command", cmd);
		usage(stderr);
		return 2;
	}
	return run_cmd(c, argc - 1, argv + 1);
}
