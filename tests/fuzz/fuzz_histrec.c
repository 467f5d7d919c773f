/* SPDX-License-Identifier: MIT */
/* fuzz_histrec: the commit history file decoder (backend/mgd/histrec.c). */
#include <stdint.h>

#include "histrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct histrec r;

	histrec_decode(data, size, &r);
	return 0;
}
