/* The parameter block at the end of the CPU start-up trampoline, shared by
 * ap_trampoline.S and smp.c. */
#ifndef XENCORE_X86_TRAMPOLINE_H
#define XENCORE_X86_TRAMPOLINE_H

#define TRAMPOLINE_CR3 0    /* u32: trampoline page tables (below 1 MiB) */
#define TRAMPOLINE_EFER 4   /* u32: EFER bits to set (LME, NXE) */
#define TRAMPOLINE_STACK 8  /* u64: top of the CPU's stack */
#define TRAMPOLINE_ENTRY 16 /* u64: x86_ap_entry64 */
#define TRAMPOLINE_CPU 24   /* u64: CPU number */
#define TRAMPOLINE_ROOT 32  /* u64: the hypervisor's page tables */
#define TRAMPOLINE_PARAMS_BYTES 40

#ifndef __ASSEMBLER__
#include <stdint.h>

struct trampoline_params {
    uint32_t cr3;
    uint32_t efer;
    uint64_t stack;
    uint64_t entry;
    uint64_t cpu;
    uint64_t root;
};

_Static_assert(sizeof(struct trampoline_params) == TRAMPOLINE_PARAMS_BYTES, "layout");
_Static_assert(__builtin_offsetof(struct trampoline_params, root) == TRAMPOLINE_ROOT, "layout");

extern char x86_trampoline_start[], x86_trampoline_params[], x86_trampoline_end[];
extern char x86_ap_entry64[];
#endif

#endif /* XENCORE_X86_TRAMPOLINE_H */
