/* The smallest PVH kernel the domain builder accepts, for tests that create
 * real domains: one ELF32 PT_LOAD at TINY_KERNEL_PADDR holding a HLT, and
 * Xen's PHYS32_ENTRY note pointing at it. */
#ifndef XENCORE_TEST_TINY_KERNEL_H
#define XENCORE_TEST_TINY_KERNEL_H

#include <stdint.h>
#include <string.h>

#include <xencore/abi/guest.h>

#include "le_put.h"

#define TINY_KERNEL_PADDR 0x100000u
#define TINY_KERNEL_BYTES 512

static inline void tiny_kernel_build(uint8_t e[TINY_KERNEL_BYTES])
{
    memset(e, 0, TINY_KERNEL_BYTES);
    memcpy(e, "\177ELF", 4);
    e[4] = 1; /* ELFCLASS32 */
    e[5] = 1; /* little-endian */
    e[6] = 1;
    put16(e + 16, 2); /* ET_EXEC */
    put16(e + 18, 3); /* EM_386 */
    put32(e + 20, 1);
    put32(e + 24, TINY_KERNEL_PADDR);
    put32(e + 28, 52); /* e_phoff */
    put16(e + 40, 52);
    put16(e + 42, 32); /* e_phentsize */
    put16(e + 44, 2);  /* e_phnum */
    uint8_t *load = e + 52, *note = e + 84;
    put32(load, 1); /* PT_LOAD */
    put32(load + 4, 256);
    put32(load + 8, TINY_KERNEL_PADDR);
    put32(load + 12, TINY_KERNEL_PADDR);
    put32(load + 16, 16);
    put32(load + 20, 16);
    put32(load + 24, 5);
    put32(load + 28, 4096);
    put32(note, 4); /* PT_NOTE */
    put32(note + 4, 128);
    put32(note + 16, 20);
    put32(note + 20, 20);
    uint8_t *n = e + 128;
    put32(n, 4);
    put32(n + 4, 4);
    put32(n + 8, XEN_ELFNOTE_PHYS32_ENTRY);
    memcpy(n + 12, "Xen", 4);
    put32(n + 16, TINY_KERNEL_PADDR);
    e[256] = 0xf4; /* hlt */
}

#endif /* XENCORE_TEST_TINY_KERNEL_H */
