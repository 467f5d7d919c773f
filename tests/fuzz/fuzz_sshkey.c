/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sshkey: cairn-sysd's checks of `system login user` values
 * (daemons/sysd/sysd_check.c): SSH public key lines for each of the three
 * statements, crypt(3) hashes, and the record of managed accounts. An
 * accepted key must come back as one line of printable text: it goes
 * into authorized_keys verbatim.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "sysd_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sshkey key;
	struct acct_rec *recs = NULL;
	struct errbuf err = { .msg = "" };
	size_t n = 0, i;
	char *s;
	int l;

	if (size > 16384)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (l = SSHKEY_LIST_ED25519; l <= SSHKEY_LIST_ECDSA; l++) {
		errbuf_clear(&err);
		if (sshkey_parse((enum sshkey_list)l, s, &key, &err) == 0) {
			for (i = 0; key.line[i]; i++)
				if ((unsigned char)key.line[i] < 0x20 && key.line[i] != '\t')
					abort();
		} else if (!err.msg[0]) {
			abort();
		}
	}
	errbuf_clear(&err);
	if (pwhash_check(s, &err) == 0 && (strchr(s, ':') || strchr(s, '\n')))
		abort();
	if (acct_rec_parse((const char *)data, size, &recs, &n, &err) == 0) {
		for (i = 0; i < n; i++)
			if (acctname_check(recs[i].name, NULL) < 0)
				abort();
	}
	free(recs);
	free(s);
	return 0;
}
