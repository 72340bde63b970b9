/* xencore-mkimage's input checks: --domain and --pool specs, memory sizes,
 * boot options, PVH kernels.
 *
 * Everything here is pure (no files, no globals), so the unit tests drive it
 * directly. Messages name the key and say what it must be; they never end
 * in a newline. */
#include "mkimage_args.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <xencore/abi/guest.h>
#include <xencore/config.h>
#include <xenlight/manifest.h>

static int args_fail(char *error, size_t error_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int args_fail(char *error, size_t error_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, error_size, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- Numbers -------------------------------------------------------------- */

/* Parses an unsigned decimal number at the start of @text; returns the
 * number of digits used (0: none, or it overflowed). */
static size_t parse_decimal(const char *text, uint64_t *value)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; text[i] >= '0' && text[i] <= '9'; i++) {
        unsigned int digit = (unsigned int)(text[i] - '0');
        if (v > (UINT64_MAX - digit) / 10) {
            return 0;
        }
        v = v * 10 + digit;
    }
    *value = v;
    return i;
}

int mkimage_parse_memory(const char *text, const char *key, uint64_t *kib, char *error,
                         size_t error_size)
{
    uint64_t number;
    size_t digits = parse_decimal(text, &number);
    unsigned int shift_to_kib; /* the value in KiB is number << shift */
    char suffix = digits > 0 ? text[digits] : '\0';

    if (digits == 0 || (suffix != '\0' && text[digits + 1] != '\0')) {
        goto bad_syntax;
    }
    switch (suffix) {
    case '\0': /* like xl: a plain number means MiB */
    case 'M':
    case 'm':
        shift_to_kib = 10;
        break;
    case 'K':
    case 'k':
        shift_to_kib = 0;
        break;
    case 'G':
    case 'g':
        shift_to_kib = 20;
        break;
    default:
        goto bad_syntax;
    }
    if (number > (UINT64_MAX >> shift_to_kib)) {
        return args_fail(error, error_size, "'%s' is too large: '%s'", key, text);
    }
    number <<= shift_to_kib;
    if (number % 4 != 0) {
        return args_fail(error, error_size, "'%s' must be a multiple of 4 KiB, not '%s'", key,
                         text);
    }
    if (number < MKIMAGE_MIN_MEMORY_KIB) {
        return args_fail(error, error_size, "'%s' must be at least 1 MiB, not '%s'", key, text);
    }
    *kib = number;
    return 0;

bad_syntax:
    return args_fail(error, error_size,
                     "'%s' must be a number of MiB, or a number with a K, M or G suffix "
                     "(e.g. 512M), not '%s'",
                     key, text);
}

static int parse_bounded(const char *text, const char *key, uint64_t low, uint64_t high,
                         const char *what, uint32_t *out, char *error, size_t error_size)
{
    uint64_t number;
    size_t digits = parse_decimal(text, &number);
    if (digits == 0 || text[digits] != '\0' || number < low || number > high) {
        return args_fail(error, error_size, "'%s' must be %s from %llu to %llu, not '%s'", key,
                         what, (unsigned long long)low, (unsigned long long)high, text);
    }
    *out = (uint32_t)number;
    return 0;
}

static bool name_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* A pool name as the manifest allows it (the encoder checks domain and pool
 * names again; a domain's pool is only known to this tool). */
static int check_pool_name(const char *key, const char *name, char *error, size_t error_size)
{
    for (const char *c = name; *c != '\0'; c++) {
        if (!name_char_ok(*c)) {
            return args_fail(error, error_size, "'%s' must use only A-Z a-z 0-9 _ . -, not '%s'",
                             key, name);
        }
    }
    return 0;
}

unsigned int mkimage_max_cpus(void)
{
    return XENCORE_MAX_CPUS;
}

static int parse_cpus(const char *key, const char *text, struct xl_cpumap *map, char *error,
                      size_t error_size)
{
    if (xl_cpulist_parse(key, text, mkimage_max_cpus(), map, error, error_size) != XL_CPULIST_OK) {
        return -1;
    }
    return 0;
}

static int parse_scheduler(const char *key, const char *text, uint32_t *scheduler, char *error,
                           size_t error_size)
{
    if (xl_scheduler_from_name(text, scheduler) != XL_MANIFEST_OK) {
        return args_fail(error, error_size, "'%s' must be credit, credit2 or null, not '%s'", key,
                         text);
    }
    return 0;
}

/* ---- KEY=VALUE,... ------------------------------------------------------- */

/* What one spec (--domain or --pool) accepts. */
struct spec_key {
    const char *name;
    size_t room;       /* longest value plus the terminator */
    bool may_be_empty; /* cmdline="" is a value; an empty name is not */
};

/* Applies one value; returns 0 or -1 with a message. */
typedef int (*spec_apply)(void *target, unsigned int key, const char *value, char *error,
                          size_t error_size);

/* Copies one value from *cursor into @value (room @value_size), handling
 * double quotes, and leaves *cursor at the ',' or NUL that ends it. */
static int take_value(const char **cursor, const char *key, char *value, size_t value_size,
                      char *error, size_t error_size)
{
    const char *p = *cursor;
    size_t length = 0;
    bool quoted = *p == '"';

    if (quoted) {
        p++;
    }
    for (;;) {
        char c = *p;
        if (quoted) {
            if (c == '\0') {
                return args_fail(error, error_size,
                                 "'%s' has an opening double quote but no closing one", key);
            }
            if (c == '"') {
                p++;
                if (*p != ',' && *p != '\0') {
                    return args_fail(error, error_size,
                                     "'%s': a quoted value must be followed by a comma or the "
                                     "end, not '%c'",
                                     key, *p);
                }
                break;
            }
            if (c == '\\' && (p[1] == '"' || p[1] == '\\')) {
                p++;
                c = *p;
            }
        } else if (c == ',' || c == '\0') {
            break;
        }
        if (length + 1 >= value_size) {
            return args_fail(error, error_size, "'%s' must be at most %zu bytes long", key,
                             value_size - 1);
        }
        value[length++] = c;
        p++;
    }
    value[length] = '\0';
    *cursor = p;
    return 0;
}

/* Walks "KEY=VALUE,KEY=VALUE": each key known, at most once, its value handed
 * to @apply. @seen (one per key) tells the caller which were given. */
static int parse_spec(const char *spec, const struct spec_key *keys, unsigned int key_count,
                      const char *key_list, const char *empty_hint, spec_apply apply, void *target,
                      bool *seen, char *error, size_t error_size)
{
    /* The largest field: every value passes through it before its checks. */
    char value[MKIMAGE_PATH_BYTES];
    const char *p = spec;

    if (*p == '\0') {
        return args_fail(error, error_size, "is empty: give at least %s", empty_hint);
    }
    for (;;) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        const char *key_start = p;
        while (*p != '\0' && *p != '=' && *p != ',') {
            p++;
        }
        size_t key_length = (size_t)(p - key_start);
        if (*p != '=') {
            if (key_length == 0) {
                return args_fail(error, error_size,
                                 "has an empty item (two commas in a row, or a comma at an "
                                 "end)");
            }
            return args_fail(error, error_size,
                             "'%.*s' is not KEY=VALUE (a value holding commas goes in double "
                             "quotes, e.g. cpus=\"0-3,^2\")",
                             (int)key_length, key_start);
        }
        unsigned int key = key_count;
        for (unsigned int k = 0; k < key_count; k++) {
            if (strlen(keys[k].name) == key_length &&
                memcmp(keys[k].name, key_start, key_length) == 0) {
                key = k;
            }
        }
        if (key == key_count) {
            return args_fail(error, error_size, "unknown key '%.*s' (keys: %s)", (int)key_length,
                             key_start, key_list);
        }
        const char *key_name = keys[key].name;
        if (seen[key]) {
            return args_fail(error, error_size, "'%s' is given twice", key_name);
        }
        seen[key] = true;
        p++; /* the '=' */

        size_t room = keys[key].room < sizeof(value) ? keys[key].room : sizeof(value);
        if (take_value(&p, key_name, value, room, error, error_size) != 0) {
            return -1;
        }
        if (value[0] == '\0' && !keys[key].may_be_empty) {
            return args_fail(error, error_size, "'%s' must not be empty", key_name);
        }
        if (apply(target, key, value, error, error_size) != 0) {
            return -1;
        }
        if (*p == '\0') {
            break;
        }
        p++; /* the ',' */
    }
    return 0;
}

/* ---- --domain ------------------------------------------------------------- */

enum domain_key {
    KEY_NAME,
    KEY_KERNEL,
    KEY_MEMORY,
    KEY_VCPUS,
    KEY_CMDLINE,
    KEY_WEIGHT,
    KEY_CAP,
    KEY_POOL,
    KEY_CPUS,
    KEY_CPUS_SOFT,
    KEY_COUNT
};
static const struct spec_key domain_keys[KEY_COUNT] = {
    [KEY_NAME] = {"name", MKIMAGE_NAME_BYTES, false},
    [KEY_KERNEL] = {"kernel", MKIMAGE_PATH_BYTES, false},
    [KEY_MEMORY] = {"memory", MKIMAGE_PATH_BYTES, false},
    [KEY_VCPUS] = {"vcpus", MKIMAGE_PATH_BYTES, false},
    [KEY_CMDLINE] = {"cmdline", MKIMAGE_CMDLINE_BYTES, true},
    [KEY_WEIGHT] = {"weight", MKIMAGE_PATH_BYTES, false},
    [KEY_CAP] = {"cap", MKIMAGE_PATH_BYTES, false},
    [KEY_POOL] = {"pool", MKIMAGE_NAME_BYTES, false},
    [KEY_CPUS] = {"cpus", MKIMAGE_PATH_BYTES, false},
    [KEY_CPUS_SOFT] = {"cpus_soft", MKIMAGE_PATH_BYTES, false},
};

static int apply_domain_key(void *target, unsigned int key, const char *value, char *error,
                            size_t error_size)
{
    struct mkimage_domain *out = target;
    switch ((enum domain_key)key) {
    case KEY_NAME:
        memcpy(out->name, value, strlen(value) + 1);
        return 0;
    case KEY_KERNEL:
        memcpy(out->kernel, value, strlen(value) + 1);
        return 0;
    case KEY_MEMORY:
        return mkimage_parse_memory(value, "memory", &out->memory_kib, error, error_size);
    case KEY_VCPUS:
        return parse_bounded(value, "vcpus", 1, MKIMAGE_MAX_VCPUS, "a number", &out->vcpus, error,
                             error_size);
    case KEY_CMDLINE:
        memcpy(out->cmdline, value, strlen(value) + 1);
        return 0;
    case KEY_WEIGHT:
        return parse_bounded(value, "weight", 1, MKIMAGE_MAX_WEIGHT, "a number", &out->weight,
                             error, error_size);
    case KEY_CAP:
        /* Checked against vcpus once every key is read: vcpus may come later. */
        return parse_bounded(value, "cap", 0, MKIMAGE_CAP_PERCENT_PER_VCPU * MKIMAGE_MAX_VCPUS,
                             "a number of percent (0: no cap)", &out->cap, error, error_size);
    case KEY_POOL:
        if (check_pool_name("pool", value, error, error_size) != 0) {
            return -1;
        }
        memcpy(out->pool, value, strlen(value) + 1);
        return 0;
    case KEY_CPUS:
        out->has_cpus = true;
        return parse_cpus("cpus", value, &out->cpus, error, error_size);
    case KEY_CPUS_SOFT:
        out->has_cpus_soft = true;
        return parse_cpus("cpus_soft", value, &out->cpus_soft, error, error_size);
    case KEY_COUNT:
        break;
    }
    return 0;
}

int mkimage_parse_domain(const char *spec, struct mkimage_domain *out, char *error,
                         size_t error_size)
{
    bool seen[KEY_COUNT] = {false};

    memset(out, 0, sizeof(*out));
    out->memory_kib = MKIMAGE_DEFAULT_MEMORY_KIB;
    out->vcpus = MKIMAGE_DEFAULT_VCPUS;

    if (parse_spec(spec, domain_keys, KEY_COUNT,
                   "name, kernel, memory, vcpus, cmdline, weight, cap, pool, cpus, cpus_soft",
                   "name=NAME,kernel=PATH", apply_domain_key, out, seen, error, error_size) != 0) {
        return -1;
    }
    if (!seen[KEY_NAME]) {
        return args_fail(error, error_size, "'name' is required (name=NAME)");
    }
    if (!seen[KEY_KERNEL]) {
        return args_fail(error, error_size, "'kernel' is required (kernel=PATH to a PVH ELF)");
    }
    if (out->cap > MKIMAGE_CAP_PERCENT_PER_VCPU * out->vcpus) {
        return args_fail(error, error_size,
                         "'cap' must be at most 100 x vcpus = %u (percent of one CPU), not %u",
                         MKIMAGE_CAP_PERCENT_PER_VCPU * out->vcpus, out->cap);
    }
    return 0;
}

/* ---- --pool ----------------------------------------------------------------- */

enum pool_key { POOL_KEY_NAME, POOL_KEY_SCHED, POOL_KEY_CPUS, POOL_KEY_COUNT };
static const struct spec_key pool_keys[POOL_KEY_COUNT] = {
    [POOL_KEY_NAME] = {"name", MKIMAGE_NAME_BYTES, false},
    [POOL_KEY_SCHED] = {"sched", MKIMAGE_PATH_BYTES, false},
    [POOL_KEY_CPUS] = {"cpus", MKIMAGE_PATH_BYTES, false},
};

static int apply_pool_key(void *target, unsigned int key, const char *value, char *error,
                          size_t error_size)
{
    struct mkimage_pool *out = target;
    switch ((enum pool_key)key) {
    case POOL_KEY_NAME:
        if (check_pool_name("name", value, error, error_size) != 0) {
            return -1;
        }
        if (strcmp(value, XL_MANIFEST_BOOT_POOL) == 0) {
            return args_fail(error, error_size,
                             "'name' must not be Pool-0: it is the pool every CPU starts in; "
                             "choose another name");
        }
        memcpy(out->name, value, strlen(value) + 1);
        return 0;
    case POOL_KEY_SCHED:
        return parse_scheduler("sched", value, &out->scheduler, error, error_size);
    case POOL_KEY_CPUS:
        return parse_cpus("cpus", value, &out->cpus, error, error_size);
    case POOL_KEY_COUNT:
        break;
    }
    return 0;
}

int mkimage_parse_pool(const char *spec, struct mkimage_pool *out, char *error, size_t error_size)
{
    bool seen[POOL_KEY_COUNT] = {false};

    memset(out, 0, sizeof(*out));
    out->scheduler = XL_SCHED_DEFAULT;
    if (parse_spec(spec, pool_keys, POOL_KEY_COUNT, "name, sched, cpus", "name=NAME,cpus=LIST",
                   apply_pool_key, out, seen, error, error_size) != 0) {
        return -1;
    }
    if (!seen[POOL_KEY_NAME]) {
        return args_fail(error, error_size, "'name' is required (name=NAME)");
    }
    if (!seen[POOL_KEY_CPUS]) {
        return args_fail(error, error_size,
                         "'cpus' is required: the CPUs the pool takes from Pool-0, e.g. "
                         "cpus=2-3");
    }
    return 0;
}

/* ---- --boot-options ------------------------------------------------------------ */

#define SCHED_OPTION "sched="

int mkimage_check_boot_options(const char *options, char *error, size_t error_size)
{
    const char *p = options;
    while (*p != '\0') {
        p += strspn(p, " \t");
        size_t length = strcspn(p, " \t");
        size_t prefix = sizeof(SCHED_OPTION) - 1;
        if (length >= prefix && memcmp(p, SCHED_OPTION, prefix) == 0) {
            char name[32];
            uint32_t scheduler;
            size_t name_length = length - prefix;
            bool fits = name_length < sizeof(name);
            if (fits) {
                memcpy(name, p + prefix, name_length);
                name[name_length] = '\0';
            }
            if (!fits || xl_scheduler_from_name(name, &scheduler) != XL_MANIFEST_OK) {
                return args_fail(error, error_size,
                                 "'%.*s': the scheduler must be credit, credit2 or null",
                                 (int)length, p);
            }
        }
        p += length;
    }
    return 0;
}

/* ---- PVH kernels ------------------------------------------------------------ */

#define ELF_MAGIC "\177ELF"
#define ELF_CLASS_32 1
#define ELF_CLASS_64 2
#define ELF_DATA_LSB 1
#define ELF_MACHINE_386 3
#define ELF_MACHINE_X86_64 62
#define ELF_PT_LOAD 1
#define ELF_PT_NOTE 4
#define ELF_SHT_NOTE 7
#define ELF_NOTE_ALIGN 4

static uint64_t read_le(const uint8_t *at, unsigned int bytes)
{
    uint64_t v = 0;
    for (unsigned int i = 0; i < bytes; i++) {
        v |= (uint64_t)at[i] << (8 * i);
    }
    return v;
}

/* Where the fields of an ELF header and its table entries are, per class. */
struct elf_layout {
    unsigned int header_bytes;
    unsigned int phoff_at, shoff_at, phentsize_at, phnum_at, shentsize_at, shnum_at;
    unsigned int word; /* 4 or 8: size of addresses and offsets */
    /* Program header */
    unsigned int ph_bytes, ph_offset_at, ph_paddr_at, ph_filesz_at, ph_memsz_at;
    /* Section header */
    unsigned int sh_bytes, sh_type_at, sh_offset_at, sh_size_at;
};

static const struct elf_layout elf32_layout = {
    .header_bytes = 52,
    .phoff_at = 28,
    .shoff_at = 32,
    .phentsize_at = 42,
    .phnum_at = 44,
    .shentsize_at = 46,
    .shnum_at = 48,
    .word = 4,
    .ph_bytes = 32,
    .ph_offset_at = 4,
    .ph_paddr_at = 12,
    .ph_filesz_at = 16,
    .ph_memsz_at = 20,
    .sh_bytes = 40,
    .sh_type_at = 4,
    .sh_offset_at = 16,
    .sh_size_at = 20,
};

static const struct elf_layout elf64_layout = {
    .header_bytes = 64,
    .phoff_at = 32,
    .shoff_at = 40,
    .phentsize_at = 54,
    .phnum_at = 56,
    .shentsize_at = 58,
    .shnum_at = 60,
    .word = 8,
    .ph_bytes = 56,
    .ph_offset_at = 8,
    .ph_paddr_at = 24,
    .ph_filesz_at = 32,
    .ph_memsz_at = 40,
    .sh_bytes = 64,
    .sh_type_at = 4,
    .sh_offset_at = 24,
    .sh_size_at = 32,
};

/* Looks through one note area for Xen's PHYS32_ENTRY. Returns 1 found,
 * 0 not here, -1 a damaged note (message set). */
static int find_entry_note(const uint8_t *notes, uint64_t size, uint32_t *entry, const char *path,
                           char *error, size_t error_size)
{
    uint64_t at = 0;
    while (size - at >= 12) {
        uint64_t name_size = read_le(notes + at, 4);
        uint64_t desc_size = read_le(notes + at + 4, 4);
        uint64_t type = read_le(notes + at + 8, 4);
        uint64_t name_room = (name_size + ELF_NOTE_ALIGN - 1) & ~(uint64_t)(ELF_NOTE_ALIGN - 1);
        uint64_t desc_room = (desc_size + ELF_NOTE_ALIGN - 1) & ~(uint64_t)(ELF_NOTE_ALIGN - 1);
        at += 12;
        if (name_room > size - at || desc_size > size - at - name_room) {
            args_fail(error, error_size,
                      "'kernel' '%s' is a damaged ELF file: a note runs past the end of its "
                      "segment",
                      path);
            return -1;
        }
        const uint8_t *name = notes + at;
        const uint8_t *desc = notes + at + name_room;
        if (name_size == 4 && memcmp(name, "Xen", 4) == 0 && type == XEN_ELFNOTE_PHYS32_ENTRY) {
            if (desc_size < 4) {
                args_fail(error, error_size,
                          "'kernel' '%s': its Xen PHYS32_ENTRY note holds %llu bytes, not "
                          "a 4-byte address",
                          path, (unsigned long long)desc_size);
                return -1;
            }
            *entry = (uint32_t)read_le(desc, 4);
            return 1;
        }
        at += name_room;
        if (desc_room >= size - at) {
            break; /* the last note (its padding may be cut off) */
        }
        at += desc_room;
    }
    return 0;
}

int mkimage_check_pvh_kernel(const uint8_t *image, size_t size, const char *path, uint32_t *entry,
                             char *error, size_t error_size)
{
    if (size < 16 || memcmp(image, ELF_MAGIC, 4) != 0) {
        return args_fail(error, error_size,
                         "'kernel' '%s' is not an ELF file (a PVH kernel is an ELF image "
                         "with a Xen PHYS32_ENTRY note)",
                         path);
    }
    const struct elf_layout *l;
    if (image[4] == ELF_CLASS_32) {
        l = &elf32_layout;
    } else if (image[4] == ELF_CLASS_64) {
        l = &elf64_layout;
    } else {
        return args_fail(error, error_size, "'kernel' '%s' is an ELF file of unknown class %u",
                         path, image[4]);
    }
    if (image[5] != ELF_DATA_LSB) {
        return args_fail(error, error_size, "'kernel' '%s' is a big-endian ELF file, not x86",
                         path);
    }
    if (size < l->header_bytes) {
        return args_fail(error, error_size, "'kernel' '%s' is a truncated ELF file", path);
    }
    uint64_t machine = read_le(image + 18, 2);
    if (machine != ELF_MACHINE_X86_64 && machine != ELF_MACHINE_386) {
        return args_fail(error, error_size,
                         "'kernel' '%s' is an ELF file for machine %llu, not x86 (62 or 3)", path,
                         (unsigned long long)machine);
    }

    uint64_t phoff = read_le(image + l->phoff_at, l->word);
    uint64_t phentsize = read_le(image + l->phentsize_at, 2);
    uint64_t phnum = read_le(image + l->phnum_at, 2);
    uint64_t shoff = read_le(image + l->shoff_at, l->word);
    uint64_t shentsize = read_le(image + l->shentsize_at, 2);
    uint64_t shnum = read_le(image + l->shnum_at, 2);
    if (phnum != 0 &&
        (phentsize < l->ph_bytes || phoff > size || phnum > (size - phoff) / phentsize)) {
        return args_fail(error, error_size,
                         "'kernel' '%s' is a damaged ELF file: its program headers lie "
                         "outside the file",
                         path);
    }
    if (shnum != 0 &&
        (shentsize < l->sh_bytes || shoff > size || shnum > (size - shoff) / shentsize)) {
        shnum = 0; /* section headers are optional: ignore damaged ones */
    }

    bool found = false;
    uint32_t entry_address = 0;
    for (uint64_t i = 0; i < phnum && !found; i++) {
        const uint8_t *ph = image + phoff + i * phentsize;
        if (read_le(ph, 4) != ELF_PT_NOTE) {
            continue;
        }
        uint64_t offset = read_le(ph + l->ph_offset_at, l->word);
        uint64_t filesz = read_le(ph + l->ph_filesz_at, l->word);
        if (offset > size || filesz > size - offset) {
            return args_fail(error, error_size,
                             "'kernel' '%s' is a damaged ELF file: a note segment lies "
                             "outside the file",
                             path);
        }
        int rc = find_entry_note(image + offset, filesz, &entry_address, path, error, error_size);
        if (rc < 0) {
            return -1;
        }
        found = rc > 0;
    }
    for (uint64_t i = 0; i < shnum && !found; i++) {
        const uint8_t *sh = image + shoff + i * shentsize;
        if (read_le(sh + l->sh_type_at, 4) != ELF_SHT_NOTE) {
            continue;
        }
        uint64_t offset = read_le(sh + l->sh_offset_at, l->word);
        uint64_t section_size = read_le(sh + l->sh_size_at, l->word);
        if (offset > size || section_size > size - offset) {
            continue;
        }
        int rc =
            find_entry_note(image + offset, section_size, &entry_address, path, error, error_size);
        if (rc < 0) {
            return -1;
        }
        found = rc > 0;
    }
    if (!found) {
        return args_fail(error, error_size,
                         "'kernel' '%s' has no Xen PHYS32_ENTRY note (ELF note owner \"Xen\", "
                         "type 18): it is not a PVH kernel",
                         path);
    }

    /* The hypervisor loads each PT_LOAD at its physical address and jumps to
     * the entry: it must be inside one of them. */
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = image + phoff + i * phentsize;
        if (read_le(ph, 4) != ELF_PT_LOAD) {
            continue;
        }
        uint64_t paddr = read_le(ph + l->ph_paddr_at, l->word);
        uint64_t memsz = read_le(ph + l->ph_memsz_at, l->word);
        if (entry_address >= paddr && entry_address - paddr < memsz) {
            *entry = entry_address;
            return 0;
        }
    }
    return args_fail(error, error_size,
                     "'kernel' '%s': its PVH entry 0x%x is not inside any loadable segment", path,
                     entry_address);
}
