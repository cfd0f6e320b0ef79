// SPDX-License-Identifier: GPL-2.0
/*
 * anon_map: a target process with ordinary anonymous memory, the baseline of the benchmarks.
 *
 *   anon_map PAGES
 *
 * Fills the memory (the 64-bit word at byte offset O holds O), prints
 * "ready pid=PID addr=0xADDR size=BYTES" and exits when stdin closes or says "quit".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t size = (argc > 1 ? strtoul(argv[1], NULL, 0) : 1) * sysconf(_SC_PAGESIZE);
	char line[64];
	uint64_t *words;

	words = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (words == MAP_FAILED) {
		perror("anon_map: mmap");
		return 1;
	}
	for (size_t i = 0; i < size / sizeof(*words); i++)
		words[i] = i * sizeof(*words);
	printf("ready pid=%d addr=%p size=%zu\n", getpid(), (void *)words, size);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) && strncmp(line, "quit", 4))
		;
	return 0;
}
