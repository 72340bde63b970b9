/* Multiboot2 information -> struct xencore_boot_info.
 *
 * The structure comes from the boot loader and is checked as hostile input:
 * every size is bounded by the structure's own total and by what the caller
 * says may be read, strings must end inside their tag, counts are bounded by
 * our tables. The first problem is reported as a sentence and parsing stops:
 * running on a half-understood memory map is worse than stopping with a
 * reason. Pure C over bytes, so the host tests feed it malformed input. */
#include <stdarg.h>
#include <stdint.h>
#include <xencore/libc.h>

#include "multiboot2.h"

static uint32_t read32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t read64(const uint8_t *p)
{
    return read32(p) | (uint64_t)read32(p + 4) << 32;
}

static int fail(struct xencore_boot_info *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct xencore_boot_info *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->loader_error, sizeof(out->loader_error), fmt, ap);
    va_end(ap);
    return -1;
}

/* Copies the NUL-terminated string in [s, s + room) into dst[size]. */
static int copy_string(struct xencore_boot_info *out, const char *what, const uint8_t *s,
                       size_t room, char *dst, size_t size)
{
    const uint8_t *nul = memchr(s, 0, room);
    if (!nul)
        return fail(out, "multiboot2 %s is not terminated inside its tag", what);
    size_t len = (size_t)(nul - s);
    if (len >= size)
        return fail(out, "multiboot2 %s is %zu bytes, longer than the %zu supported", what, len,
                    size - 1);
    memcpy(dst, s, len + 1);
    return 0;
}

static int parse_mmap(struct xencore_boot_info *out, const uint8_t *tag, uint32_t size)
{
    if (out->memmap_entries)
        return fail(out, "multiboot2 information has two memory maps");
    if (size < MB2_MMAP_ENTRIES_OFFSET)
        return fail(out, "multiboot2 memory map tag of %u bytes is truncated", size);
    uint32_t entry_size = read32(tag + 8);
    if (entry_size < MB2_MMAP_ENTRY_MIN_BYTES || entry_size % 8)
        return fail(out, "multiboot2 memory map entry size %u is invalid", entry_size);
    uint32_t count = (size - MB2_MMAP_ENTRIES_OFFSET) / entry_size;
    if (count > XENCORE_BOOT_MEMMAP_MAX)
        return fail(out, "multiboot2 memory map has %u entries, more than the %u supported", count,
                    XENCORE_BOOT_MEMMAP_MAX);
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = tag + MB2_MMAP_ENTRIES_OFFSET + (size_t)i * entry_size;
        out->memmap[i].base = read64(e);
        out->memmap[i].length = read64(e + 8);
        out->memmap[i].type = read32(e + 16);
    }
    out->memmap_entries = count;
    if (count == 0)
        return fail(out, "multiboot2 memory map is empty");
    return 0;
}

static int parse_module(struct xencore_boot_info *out, const uint8_t *tag, uint32_t size)
{
    if (size < MB2_MODULE_STRING_OFFSET + 1)
        return fail(out, "multiboot2 module tag of %u bytes is truncated", size);
    if (out->module_count >= XENCORE_BOOT_MODULES_MAX)
        return fail(out, "more than %u boot modules", XENCORE_BOOT_MODULES_MAX);
    struct xencore_boot_module *m = &out->modules[out->module_count];
    uint32_t start = read32(tag + 8), end = read32(tag + 12);
    if (end < start)
        return fail(out, "multiboot2 module %u ends (0x%x) before it starts (0x%x)",
                    out->module_count, end, start);
    m->base = start;
    m->length = end - start;
    if (copy_string(out, "module string", tag + MB2_MODULE_STRING_OFFSET,
                    size - MB2_MODULE_STRING_OFFSET, m->cmdline, sizeof(m->cmdline)))
        return -1;
    out->module_count++;
    return 0;
}

static int parse_acpi(struct xencore_boot_info *out, const uint8_t *tag, uint32_t size,
                      uint32_t type)
{
    size_t length = size - MB2_TAG_HEADER_BYTES;
    size_t want = type == MB2_TAG_ACPI_NEW ? 36 : 20;
    if (length < want)
        return fail(out, "multiboot2 ACPI tag holds %zu bytes, less than an RSDP (%zu)", length,
                    want);
    /* Prefer the ACPI 2.0 copy whatever the order of the tags. */
    if (type == MB2_TAG_ACPI_OLD && out->acpi_rsdp_length == 36)
        return 0;
    memcpy(out->acpi_rsdp, tag + MB2_TAG_HEADER_BYTES, want);
    out->acpi_rsdp_length = (uint32_t)want;
    return 0;
}

int mb2_parse(const void *mbi, size_t available, struct xencore_boot_info *out)
{
    const uint8_t *base = mbi;
    if (!mbi || available < MB2_INFO_HEADER_BYTES)
        return fail(out, "no multiboot2 information");
    uint32_t total = read32(base);
    if (total < MB2_INFO_HEADER_BYTES + MB2_TAG_HEADER_BYTES || total > available ||
        total > MB2_INFO_MAX_BYTES)
        return fail(out, "multiboot2 information claims %u bytes, outside 16..%zu", total,
                    available < MB2_INFO_MAX_BYTES ? available : (size_t)MB2_INFO_MAX_BYTES);

    for (size_t off = MB2_INFO_HEADER_BYTES;;) {
        if (total - off < MB2_TAG_HEADER_BYTES)
            return fail(out, "multiboot2 information has no end tag");
        const uint8_t *tag = base + off;
        uint32_t type = read32(tag), size = read32(tag + 4);
        if (size < MB2_TAG_HEADER_BYTES || size > total - off)
            return fail(out, "multiboot2 tag of type %u at offset %zu has size %u, past the end",
                        type, off, size);
        int rc = 0;
        switch (type) {
        case MB2_TAG_END:
            return 0;
        case MB2_TAG_CMDLINE:
            rc = copy_string(out, "command line", tag + 8, size - 8, out->cmdline,
                             sizeof(out->cmdline));
            break;
        case MB2_TAG_LOADER_NAME:
            rc = copy_string(out, "loader name", tag + 8, size - 8, out->loader_name,
                             sizeof(out->loader_name));
            break;
        case MB2_TAG_MODULE:
            rc = parse_module(out, tag, size);
            break;
        case MB2_TAG_MMAP:
            rc = parse_mmap(out, tag, size);
            break;
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW:
            rc = parse_acpi(out, tag, size, type);
            break;
        default: /* tags we do not use (framebuffer, EFI, ...) */
            break;
        }
        if (rc)
            return rc;
        off += (size + MB2_TAG_ALIGN - 1) & ~(size_t)(MB2_TAG_ALIGN - 1);
        if (off >= total)
            return fail(out, "multiboot2 information has no end tag");
    }
}
