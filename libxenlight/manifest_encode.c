/* The boot-manifest encoder: checks domains as they are added and lays them
 * out exactly as xencore/abi/manifest.h says.
 *
 * The checks mirror the hypervisor's decoder (which rejects the whole
 * manifest on the first bad field), so that a mistake is caught on the host
 * with a message naming the field. Bytes are written explicitly little-endian
 * at the offsets of the ABI structures, so the encoder does not depend on the
 * host's byte order or structure padding. */
#include <xenlight/manifest.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xencore/abi/manifest.h>

_Static_assert(XL_MANIFEST_MAX_DOMAINS == XENCORE_MANIFEST_MAX_DOMAINS, "domain limit");
_Static_assert(XL_MANIFEST_NAME_MAX + 1 == sizeof(((struct xencore_domain_record *)0)->name),
               "name field");
_Static_assert(XL_MANIFEST_MODULE_NAME_MAX + 1 ==
                   sizeof(((struct xencore_domain_record *)0)->kernel_module),
               "kernel_module field");
_Static_assert(XL_MANIFEST_CMDLINE_MAX + 1 == sizeof(((struct xencore_domain_record *)0)->cmdline),
               "cmdline field");

#define MANIFEST_ERROR_BYTES 256
#define KIB_PER_PAGE 4u

struct manifest_entry {
    char name[XL_MANIFEST_NAME_MAX + 1];
    uint8_t uuid[16];
    uint64_t memory_kib;
    uint32_t vcpus;
    char kernel_module[XL_MANIFEST_MODULE_NAME_MAX + 1];
    char cmdline[XL_MANIFEST_CMDLINE_MAX + 1];
};

struct xl_manifest {
    struct manifest_entry domains[XL_MANIFEST_MAX_DOMAINS];
    unsigned int count;
    char error[MANIFEST_ERROR_BYTES];
};

static int manifest_fail(struct xl_manifest *m, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int manifest_fail(struct xl_manifest *m, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof(m->error), fmt, ap);
    va_end(ap);
    return code;
}

struct xl_manifest *xl_manifest_new(void)
{
    return calloc(1, sizeof(struct xl_manifest));
}

void xl_manifest_free(struct xl_manifest *manifest)
{
    free(manifest);
}

const char *xl_manifest_error(const struct xl_manifest *manifest)
{
    return manifest->error;
}

unsigned int xl_manifest_domain_count(const struct xl_manifest *manifest)
{
    return manifest->count;
}

static bool name_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

static bool module_char_ok(char c)
{
    /* GRUB passes the module string through unchanged; anything printable
     * without blanks or quotes survives grub.cfg and the boot loader. */
    return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '\\';
}

int xl_manifest_add_domain(struct xl_manifest *m, const struct xl_manifest_domain *d)
{
    m->error[0] = '\0';

    if (d->name == NULL || d->name[0] == '\0') {
        return manifest_fail(m, XL_MANIFEST_EINVAL, "'name' is required");
    }
    size_t name_length = strlen(d->name);
    if (name_length > XL_MANIFEST_NAME_MAX) {
        return manifest_fail(m, XL_MANIFEST_EINVAL, "'name' must be at most %d characters, not %zu",
                             XL_MANIFEST_NAME_MAX, name_length);
    }
    for (size_t i = 0; i < name_length; i++) {
        if (!name_char_ok(d->name[i])) {
            return manifest_fail(m, XL_MANIFEST_EINVAL,
                                 "'name' must use only A-Z a-z 0-9 _ . -, not '%s'", d->name);
        }
    }
    if (d->memory_kib < XL_MANIFEST_MIN_MEMORY_KIB || d->memory_kib % KIB_PER_PAGE != 0) {
        return manifest_fail(m, XL_MANIFEST_EINVAL,
                             "'memory' must be a multiple of 4 KiB and at least 1 MiB, "
                             "not %llu KiB",
                             (unsigned long long)d->memory_kib);
    }
    if (d->vcpus < 1 || d->vcpus > XL_MANIFEST_MAX_VCPUS) {
        return manifest_fail(m, XL_MANIFEST_EINVAL, "'vcpus' must be 1 to %u, not %u",
                             XL_MANIFEST_MAX_VCPUS, d->vcpus);
    }
    if (d->kernel_module == NULL || d->kernel_module[0] == '\0') {
        return manifest_fail(m, XL_MANIFEST_EINVAL, "'kernel_module' is required");
    }
    size_t module_length = strlen(d->kernel_module);
    if (module_length > XL_MANIFEST_MODULE_NAME_MAX) {
        return manifest_fail(m, XL_MANIFEST_EINVAL,
                             "'kernel_module' must be at most %d characters, not %zu",
                             XL_MANIFEST_MODULE_NAME_MAX, module_length);
    }
    for (size_t i = 0; i < module_length; i++) {
        if (!module_char_ok(d->kernel_module[i])) {
            return manifest_fail(m, XL_MANIFEST_EINVAL,
                                 "'kernel_module' must not hold blanks, quotes or "
                                 "backslashes, not '%s'",
                                 d->kernel_module);
        }
    }
    const char *cmdline = d->cmdline != NULL ? d->cmdline : "";
    size_t cmdline_length = strlen(cmdline);
    if (cmdline_length > XL_MANIFEST_CMDLINE_MAX) {
        return manifest_fail(m, XL_MANIFEST_EINVAL, "'cmdline' must be at most %d bytes, not %zu",
                             XL_MANIFEST_CMDLINE_MAX, cmdline_length);
    }
    for (unsigned int i = 0; i < m->count; i++) {
        if (strcmp(m->domains[i].name, d->name) == 0) {
            return manifest_fail(m, XL_MANIFEST_EEXIST,
                                 "'name' must be unique: domain %u is already named '%s'", i + 1,
                                 d->name);
        }
    }
    if (m->count >= XL_MANIFEST_MAX_DOMAINS) {
        return manifest_fail(m, XL_MANIFEST_ENOSPC, "a manifest holds at most %u domains",
                             XL_MANIFEST_MAX_DOMAINS);
    }

    struct manifest_entry *e = &m->domains[m->count];
    memset(e, 0, sizeof(*e));
    memcpy(e->name, d->name, name_length);
    if (d->uuid != NULL) {
        memcpy(e->uuid, d->uuid, sizeof(e->uuid));
    }
    e->memory_kib = d->memory_kib;
    e->vcpus = d->vcpus;
    memcpy(e->kernel_module, d->kernel_module, module_length);
    memcpy(e->cmdline, cmdline, cmdline_length);
    m->count++;
    return XL_MANIFEST_OK;
}

size_t xl_manifest_encoded_size(const struct xl_manifest *manifest)
{
    return sizeof(struct xencore_manifest_header) +
           (size_t)manifest->count * sizeof(struct xencore_domain_record);
}

static void put_le(uint8_t *at, uint64_t value, unsigned int bytes)
{
    for (unsigned int i = 0; i < bytes; i++) {
        at[i] = (uint8_t)(value >> (8 * i));
    }
}

#define PUT_FIELD(base, type, field, value)                                                        \
    put_le((base) + offsetof(type, field), (value), sizeof(((type *)0)->field))
#define COPY_FIELD(base, type, field, source, length)                                              \
    memcpy((base) + offsetof(type, field), (source), (length))

int xl_manifest_encode(struct xl_manifest *manifest, void *buffer, size_t size)
{
    struct xl_manifest *m = manifest;
    size_t needed = xl_manifest_encoded_size(manifest);
    if (size < needed) {
        return manifest_fail(m, XL_MANIFEST_ENOSPC,
                             "the manifest needs %zu bytes, the buffer has %zu", needed, size);
    }
    m->error[0] = '\0';

    uint8_t *out = buffer;
    memset(out, 0, needed);
    typedef struct xencore_manifest_header header_t;
    typedef struct xencore_domain_record record_t;
    PUT_FIELD(out, header_t, magic, XENCORE_MANIFEST_MAGIC);
    PUT_FIELD(out, header_t, version, XENCORE_MANIFEST_VERSION);
    PUT_FIELD(out, header_t, header_bytes, sizeof(header_t));
    PUT_FIELD(out, header_t, domain_count, manifest->count);
    PUT_FIELD(out, header_t, record_bytes, sizeof(record_t));

    for (unsigned int i = 0; i < manifest->count; i++) {
        const struct manifest_entry *e = &manifest->domains[i];
        uint8_t *r = out + sizeof(header_t) + (size_t)i * sizeof(record_t);
        /* Strings: the fields were zeroed, so each stays NUL-terminated. */
        COPY_FIELD(r, record_t, name, e->name, strlen(e->name));
        COPY_FIELD(r, record_t, uuid, e->uuid, sizeof(e->uuid));
        PUT_FIELD(r, record_t, memory_kib, e->memory_kib);
        PUT_FIELD(r, record_t, vcpus, e->vcpus);
        PUT_FIELD(r, record_t, flags, 0);
        COPY_FIELD(r, record_t, kernel_module, e->kernel_module, strlen(e->kernel_module));
        COPY_FIELD(r, record_t, cmdline, e->cmdline, strlen(e->cmdline));
    }
    return XL_MANIFEST_OK;
}

int xl_manifest_write_file(struct xl_manifest *manifest, const char *path)
{
    struct xl_manifest *m = manifest;
    size_t size = xl_manifest_encoded_size(manifest);
    uint8_t *bytes = malloc(size);
    if (bytes == NULL) {
        return manifest_fail(m, XL_MANIFEST_ENOMEM, "out of memory encoding the manifest");
    }
    int rc = xl_manifest_encode(manifest, bytes, size);
    if (rc != XL_MANIFEST_OK) {
        free(bytes);
        return rc;
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        rc = manifest_fail(m, XL_MANIFEST_EIO, "cannot create '%s': %s", path, strerror(errno));
        free(bytes);
        return rc;
    }
    bool ok = fwrite(bytes, 1, size, f) == size;
    int write_errno = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        write_errno = errno;
    }
    free(bytes);
    if (!ok) {
        remove(path);
        return manifest_fail(m, XL_MANIFEST_EIO, "cannot write '%s': %s", path,
                             strerror(write_errno));
    }
    return XL_MANIFEST_OK;
}
