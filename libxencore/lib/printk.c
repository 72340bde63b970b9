/* printk and the log ring.
 *
 * Each call formats into a bounded buffer first, then writes console and ring
 * under one lock, so a line is never torn by another CPU. The ring is a plain
 * byte ring indexed by the absolute count of bytes ever written; a reader keeps
 * its own cursor and notices when it fell behind. */
#include "lib/printk.h"

#include <xencore/config.h>

#include "arch/arch.h"
#include "lib/spinlock.h"
#include "lib/string.h"

#define PRINTK_LINE_MAX 512

static spinlock_t console_lock = SPINLOCK_INIT;
static char log_ring[XENCORE_LOG_RING_BYTES];
static uint64_t log_written; /* bytes ever written; ring position = log_written % size */

static void emit(const char *text, size_t length)
{
    arch_console_write(text, length);
    for (size_t i = 0; i < length; i++)
        log_ring[(log_written + i) % XENCORE_LOG_RING_BYTES] = text[i];
    log_written += length;
}

static size_t format_line(char *line, const char *fmt, va_list ap)
{
    int n = vsnprintf(line, PRINTK_LINE_MAX, fmt, ap);
    if (n < 0)
        return 0;
    return (size_t)n < PRINTK_LINE_MAX ? (size_t)n : PRINTK_LINE_MAX - 1;
}

void vprintk(const char *fmt, va_list ap)
{
    char line[PRINTK_LINE_MAX];
    size_t length = format_line(line, fmt, ap);
    unsigned long flags = spin_lock_irqsave(&console_lock);
    emit(line, length);
    spin_unlock_irqrestore(&console_lock, flags);
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void printk_unlocked(const char *fmt, ...)
{
    char line[PRINTK_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    size_t length = format_line(line, fmt, ap);
    va_end(ap);
    emit(line, length);
}

size_t log_ring_read(uint64_t *cursor, char *buf, size_t size)
{
    unsigned long flags = spin_lock_irqsave(&console_lock);
    uint64_t oldest = log_written > XENCORE_LOG_RING_BYTES ? log_written - XENCORE_LOG_RING_BYTES : 0;
    uint64_t from = *cursor < oldest ? oldest : *cursor;
    size_t n = 0;
    while (from + n < log_written && n < size) {
        buf[n] = log_ring[(from + n) % XENCORE_LOG_RING_BYTES];
        n++;
    }
    *cursor = from + n;
    spin_unlock_irqrestore(&console_lock, flags);
    return n;
}
