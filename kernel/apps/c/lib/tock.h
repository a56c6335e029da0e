/*
 * tock.h: the system calls a C app needs, as TRD104 defines them (class in the svc immediate,
 * arguments and results in r0-r3; upcalls run inside yield and may clobber every caller-saved
 * register). Written for this project; no libtock-c code.
 */
#ifndef TOCK_H
#define TOCK_H

#include <stdint.h>

typedef struct {
  uint32_t r0, r1, r2, r3;
} syscall_ret_t;

#define TOCK_SUCCESS 128u
#define TOCK_SUCCESS_U32 129u
#define TOCK_SUCCESS_U32_U32 130u

typedef void (*upcall_fn)(uint32_t, uint32_t, uint32_t, void *);

syscall_ret_t tock_command(uint32_t driver, uint32_t command, uint32_t arg1, uint32_t arg2);
syscall_ret_t tock_subscribe(uint32_t driver, uint32_t number, upcall_fn fn, void *data);
syscall_ret_t tock_allow_ro(uint32_t driver, uint32_t number, const void *ptr, uint32_t len);
syscall_ret_t tock_memop(uint32_t op, uint32_t arg);
void tock_yield_wait(void);
void tock_exit(uint32_t code) __attribute__((noreturn));

/* Console (driver 1): write `len` bytes and wait until they are out. */
void console_write(const char *s, uint32_t len);

/* A line buffer for printing without a C library: put text and hex numbers, then print. */
void out_str(const char *s);
void out_hex(uint32_t v);
void out_dec(uint32_t v);
void out_line(void); /* appends "\r\n" and writes the line */

/* Raw system call of class `class` (0-7) with r0-r3 in and out, nothing else assumed. */
syscall_ret_t tock_raw(uint32_t class, uint32_t r0, uint32_t r1, uint32_t r2, uint32_t r3);

#endif
