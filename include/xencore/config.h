/**
 * @file config.h
 * @brief Build-time options of libxencore, each with its default.
 *
 * Like lwIP's `opt.h`: every tunable is listed here with its default and unit.
 * The values a build used are fixed when `libxencore.a` is compiled (CMake
 * options of the same name); an image must not redefine them, because the
 * library's data structures are sized by them.
 */
#ifndef XENCORE_CONFIG_H
#define XENCORE_CONFIG_H

/**
 * @brief Largest number of physical CPUs the hypervisor manages.
 *
 * CPU numbers and APIC IDs are 32-bit everywhere; this limit only sizes
 * per-CPU tables. CPUs the firmware lists beyond it are counted as found but
 * left offline. Default 256; CMake option `XENCORE_MAX_CPUS` (1..4096).
 */
#ifndef XENCORE_MAX_CPUS
#define XENCORE_MAX_CPUS 256
#endif

/** @brief Most memory-map entries a boot stub may hand over. */
#define XENCORE_BOOT_MEMMAP_MAX 128

/** @brief Most boot modules (guest kernels, manifests) a boot stub may hand over. */
#define XENCORE_BOOT_MODULES_MAX 32

/** @brief Size in bytes of the hypervisor command-line buffer, terminator included. */
#define XENCORE_CMDLINE_MAX 1024

/** @brief Size in bytes of each module's command-line buffer, terminator included. */
#define XENCORE_MODULE_CMDLINE_MAX 256

/** @brief Size in bytes of the console log ring kept for management. */
#define XENCORE_LOG_RING_BYTES 16384

/** @brief Size in bytes of each CPU's hypervisor stack. */
#define XENCORE_STACK_BYTES 16384

#endif /* XENCORE_CONFIG_H */
