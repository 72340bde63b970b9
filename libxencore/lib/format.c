/* xc_vsnprintf, the vsnprintf of the freestanding hypervisor: the subset the code base uses.
 * Conversions: d i u x X p s c %, with flags '-' and '0', a field width, a
 * precision for s (".N" or ".*"), and the length modifiers l, ll, z. Output is always terminated when size > 0 and
 * the return value is the length the full output would have had, as in C. */
#include "lib/string.h"

#include <stdbool.h>
#include <stdint.h>

struct out {
    char *buf;
    size_t size;
    size_t pos;
};

static void out_char(struct out *o, char c)
{
    if (o->pos + 1 < o->size)
        o->buf[o->pos] = c;
    o->pos++;
}

static void out_padded(struct out *o, const char *s, size_t len, unsigned int width, bool left,
                       char pad)
{
    size_t fill = width > len ? width - len : 0;
    if (!left)
        while (fill--)
            out_char(o, pad);
    for (size_t i = 0; i < len; i++)
        out_char(o, s[i]);
    if (left)
        while (fill--)
            out_char(o, ' ');
}

static void out_number(struct out *o, uint64_t value, bool negative, unsigned int base, bool upper,
                       unsigned int width, bool left, char pad)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    size_t n = 0;

    do {
        tmp[n++] = digits[value % base];
        value /= base;
    } while (value);
    if (negative) {
        if (pad == '0' && !left) {
            out_char(o, '-');
            if (width)
                width--;
        } else {
            tmp[n++] = '-';
        }
    }
    char rev[24];
    for (size_t i = 0; i < n; i++)
        rev[i] = tmp[n - 1 - i];
    out_padded(o, rev, n, width, left, pad);
}

int xc_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_char(&o, *fmt);
            continue;
        }
        fmt++;
        bool left = false;
        char pad = ' ';
        unsigned int width = 0;
        int longness = 0;
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (unsigned int)(*fmt++ - '0');
        size_t precision = SIZE_MAX;
        if (*fmt == '.') {
            fmt++;
            if (*fmt == '*') {
                int p = va_arg(ap, int);
                precision = p < 0 ? SIZE_MAX : (size_t)p; /* negative: as if omitted (C11) */
                fmt++;
            } else {
                precision = 0;
                while (*fmt >= '0' && *fmt <= '9')
                    precision = precision * 10 + (size_t)(*fmt++ - '0');
            }
        }
        while (*fmt == 'l' || *fmt == 'z') {
            longness += *fmt == 'z' ? 2 : 1;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longness >= 2 ? va_arg(ap, long long)
                        : longness  ? va_arg(ap, long)
                                    : va_arg(ap, int);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            out_number(&o, mag, v < 0, 10, false, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longness >= 2 ? va_arg(ap, unsigned long long)
                         : longness  ? va_arg(ap, unsigned long)
                                     : va_arg(ap, unsigned int);
            out_number(&o, v, false, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, left, pad);
            break;
        }
        case 'p':
            out_char(&o, '0');
            out_char(&o, 'x');
            out_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, 16, false, '0');
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            out_padded(&o, s, strnlen(s, precision), width, left, ' ');
            break;
        }
        case 'c':
            out_char(&o, (char)va_arg(ap, int));
            break;
        case '%':
            out_char(&o, '%');
            break;
        default: /* unknown conversion: print it, so the mistake shows */
            out_char(&o, '%');
            if (*fmt)
                out_char(&o, *fmt);
            else
                fmt--;
            break;
        }
    }
    if (size)
        buf[o.pos < size ? o.pos : size - 1] = '\0';
    return (int)o.pos;
}

#ifndef XENCORE_HOSTED
/* The freestanding build's C names (see <xencore/libc.h>); the host build keeps
 * the C library's and tests this implementation under its own name. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return xc_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = xc_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
#endif
