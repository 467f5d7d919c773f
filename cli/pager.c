/* SPDX-License-Identifier: MIT */
/* pager: ---(more)--- paging of command output. */
#include "pager.h"

#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "banned.h"

int
pager_getkey(int fd)
{
	struct termios old, raw;
	unsigned char ch;
	ssize_t n;
	bool have_tio;

	have_tio = tcgetattr(fd, &old) == 0;
	if (have_tio) {
		raw = old;
		raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO | ISIG | IEXTEN);
		raw.c_iflag &= (tcflag_t) ~(ICRNL | IXON);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &raw);
	}
	do {
		n = read(fd, &ch, 1);
	} while (n < 0 && errno == EINTR);
	if (have_tio)
		tcsetattr(fd, TCSANOW, &old);
	return n == 1 ? ch : -1;
}

/* Screen rows a line of len bytes takes (UTF-8 continuation bytes do not
 * count). */
static unsigned
line_rows(const char *p, size_t len, unsigned cols)
{
	size_t i, w = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			w += p[i] == '\t' ? 8 - (w % 8) : 1;
	if (w == 0)
		return 1;
	return (unsigned)((w + cols - 1) / cols);
}

enum more_answer { MORE_PAGE, MORE_LINE, MORE_ALL, MORE_QUIT };

static enum more_answer
more_prompt(const struct pager_opts *o)
{
	int k;

	fputs(PAGER_PROMPT, o->out);
	fflush(o->out);
	for (;;) {
		if (o->interrupted && *o->interrupted)
			k = 3;
		else
			k = pager_getkey(o->key_fd);
		/* erase the prompt */
		fprintf(o->out, "\r%*s\r", (int)strlen(PAGER_PROMPT), "");
		switch (k) {
		case ' ':
		case 'f':
		case 6: /* Ctrl-F */
			return MORE_PAGE;
		case '\r':
		case '\n':
		case 'j':
			return MORE_LINE;
		case 'G':
		case 'N':
			return MORE_ALL;
		case 'q':
		case 'Q':
		case 3: /* Ctrl-C */
		case -1:
			return MORE_QUIT;
		default:
			fputs(PAGER_PROMPT, o->out);
			fflush(o->out);
			break;
		}
	}
}

bool
pager_write(const struct pager_opts *o, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	unsigned cols = o->cols ? o->cols : 80;
	unsigned budget = o->rows > 1 ? o->rows - 1 : 1; /* rows left before pausing */
	bool paging = o->rows > 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		unsigned need = line_rows(p, ll, cols);

		if (paging && need > budget && budget < (o->rows > 1 ? o->rows - 1 : 1)) {
			switch (more_prompt(o)) {
			case MORE_PAGE:
				budget = o->rows > 1 ? o->rows - 1 : 1;
				break;
			case MORE_LINE:
				budget = need;
				break;
			case MORE_ALL:
				paging = false;
				break;
			case MORE_QUIT:
				fflush(o->out);
				return false;
			}
		}
		fwrite(p, 1, ll, o->out);
		if (nl)
			fputc('\n', o->out);
		budget = need > budget ? 0 : budget - need;
		p = nl ? nl + 1 : end;
	}
	fflush(o->out);
	return true;
}
