/* Console output. Everything printed goes to the console (through the arch
 * layer) and into a ring kept for management, so `xl dmesg` can show what a
 * person at the serial port saw. Lines from different CPUs never interleave. */
#ifndef XENCORE_LIB_PRINTK_H
#define XENCORE_LIB_PRINTK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Copies log bytes starting at absolute offset *@cursor (bytes ever written)
 * into @buf; on return *@cursor is where to continue. Bytes that were already
 * overwritten are skipped. Returns the number of bytes copied. */
size_t log_ring_read(uint64_t *cursor, char *buf, size_t size);

/* Panic-path output: no lock, so a CPU that died holding it cannot silence us. */
void printk_unlocked(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* XENCORE_LIB_PRINTK_H */
