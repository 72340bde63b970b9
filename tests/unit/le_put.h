/* Writing little-endian integers into the byte buffers the tests build
 * (multiboot2 information, ACPI tables, ELF images). */
#ifndef XENCORE_TEST_LE_PUT_H
#define XENCORE_TEST_LE_PUT_H

#include <stdint.h>

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
    for (unsigned int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

#endif /* XENCORE_TEST_LE_PUT_H */
