/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cli_jrows: the shell's reader of long JSON replies (cli/jrows.c),
 * through both of its layouts (the IKE SA list, the tunnel distribution).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fmt_security.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	secfmt_ike_sa_json(text, size, 0, &b);
	buf_free(&b);
	secfmt_tunnel_dist_json(text, size, 0, &b);
	buf_free(&b);
	free(text);
	return 0;
}
