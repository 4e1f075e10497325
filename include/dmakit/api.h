/* SPDX-License-Identifier: MIT */
/*
 * api.h - export and attribute macros shared by every public dmakit header.
 */
#ifndef DMAKIT_API_H
#define DMAKIT_API_H

/* Symbols marked DK_API are the library's ABI; everything else is hidden. */
#define DK_API __attribute__((visibility("default")))

#define DK_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

#endif
