/* SPDX-License-Identifier: MIT */
/*
 * banned.h: functions Cairn never calls (STYLE.md §6). Include it last in
 * every .c file; a use then fails to compile.
 */
#ifndef CAIRN_BANNED_H
#define CAIRN_BANNED_H

#define BANNED(f) sorry_##f##_is_banned_in_cairn

#undef strcpy
#define strcpy(d, s) BANNED(strcpy)
#undef strcat
#define strcat(d, s) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(s) BANNED(gets)
#undef system
#define system(c) BANNED(system)

#endif
