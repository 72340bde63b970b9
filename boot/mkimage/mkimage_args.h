/* xencore-mkimage's input checks, kept apart from the tool so unit tests
 * can call them: the --domain and --pool KEY=VALUE,... parsers, the
 * memory-size parser, the --boot-options check and the PVH kernel check.
 *
 * Each function returns 0, or -1 with a message in the caller's buffer that
 * names the key and says what it must be ("'memory' must be ..."); the tool
 * prefixes it with "xencore-mkimage: --domain N: " (or --pool N). */
#ifndef XENCORE_MKIMAGE_ARGS_H
#define XENCORE_MKIMAGE_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenlight/cpulist.h>

#define MKIMAGE_NAME_BYTES 64 /* 63 characters and the terminator */
#define MKIMAGE_PATH_BYTES 4096
#define MKIMAGE_CMDLINE_BYTES 1024 /* 1023 bytes and the terminator */
#define MKIMAGE_MAX_VCPUS 128u
#define MKIMAGE_MIN_MEMORY_KIB 1024u
/* Like libxl: a domain without 'memory' gets 32 MiB. */
#define MKIMAGE_DEFAULT_MEMORY_KIB (32u * 1024u)
#define MKIMAGE_DEFAULT_VCPUS 1u
#define MKIMAGE_ERROR_BYTES 512
#define MKIMAGE_MAX_WEIGHT 65535u
#define MKIMAGE_CAP_PERCENT_PER_VCPU 100u

/* One --domain option, parsed. */
struct mkimage_domain {
    char name[MKIMAGE_NAME_BYTES];
    char kernel[MKIMAGE_PATH_BYTES]; /* path on the host */
    uint64_t memory_kib;
    uint32_t vcpus;
    char cmdline[MKIMAGE_CMDLINE_BYTES];
    uint32_t weight;               /* 0: the default (256) */
    uint32_t cap;                  /* percent of one CPU; 0: none */
    char pool[MKIMAGE_NAME_BYTES]; /* "": Pool-0 */
    bool has_cpus;                 /* false: every CPU */
    struct xl_cpumap cpus;         /* hard affinity */
    bool has_cpus_soft;            /* false: no preference */
    struct xl_cpumap cpus_soft;    /* soft affinity */
};

/* One --pool option, parsed. */
struct mkimage_pool {
    char name[MKIMAGE_NAME_BYTES];
    uint32_t scheduler; /* XL_SCHED_*; XL_SCHED_DEFAULT when 'sched' is not given */
    struct xl_cpumap cpus;
};

/* Parses "name=web,kernel=vmlinux,memory=512M,vcpus=2,cmdline=\"a b,c\"".
 * Keys: name and kernel (required), memory (default 32 MiB), vcpus
 * (default 1), cmdline (default empty), weight (1..65535, default 256), cap
 * (percent of one CPU, 0..100 x vcpus, default 0: none), pool (default
 * Pool-0), cpus and cpus_soft (Xen CPU lists such as 0-3,^2; see
 * xenlight/cpulist.h). A value holding commas or blanks may be written in
 * double quotes (cpus="0-3,^2" needs them); inside them \" and \\ stand for
 * " and \. Each key at most once. */
int mkimage_parse_domain(const char *spec, struct mkimage_domain *out, char *error,
                         size_t error_size);

/* Parses "name=rt,sched=credit,cpus=\"2-3\"" (quotes as for --domain).
 * Keys: name and cpus (required), sched (credit, credit2 or null; default:
 * whatever Pool-0 runs). Each key at most once. */
int mkimage_parse_pool(const char *spec, struct mkimage_pool *out, char *error, size_t error_size);

/* Checks the hypervisor options the tool understands: sched= must name a
 * scheduler (credit, credit2 or null). Others pass unchecked (the hypervisor
 * reports those it does not know). */
int mkimage_check_boot_options(const char *options, char *error, size_t error_size);

/* CPUs the hypervisor this tool was built with can have (its
 * XENCORE_MAX_CPUS): CPU lists must stay below it. */
unsigned int mkimage_max_cpus(void);

/* Parses a memory size like xl: a number of MiB, or a number with a K, M or
 * G suffix (either case). It must be a multiple of 4 KiB and at least 1 MiB.
 * @key names the value in messages. */
int mkimage_parse_memory(const char *text, const char *key, uint64_t *kib, char *error,
                         size_t error_size);

/* Checks that @image (an ELF file's bytes; @path for messages) is a PVH
 * kernel: a little-endian x86 ELF32 or ELF64 with a Xen PHYS32_ENTRY note
 * (owner "Xen", type 18) whose entry lies inside a loadable segment. On
 * success *entry is the 32-bit physical entry address. */
int mkimage_check_pvh_kernel(const uint8_t *image, size_t size, const char *path, uint32_t *entry,
                             char *error, size_t error_size);

#endif /* XENCORE_MKIMAGE_ARGS_H */
