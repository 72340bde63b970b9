/* Generic ACPI table checks. Pure functions over bytes: compiled into the
 * hypervisor and into the host unit tests alike. */
#include <stdarg.h>

#include "lib/errno.h"
#include "lib/le.h"
#include "lib/string.h"
#include "x86/acpi.h"

bool acpi_checksum_ok(const void *table, size_t length)
{
    const uint8_t *p = table;
    uint8_t sum = 0;
    for (size_t i = 0; i < length; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum == 0;
}

int acpi_table_check(const void *table, size_t available, const char *signature, char *why,
                     size_t why_size)
{
    const uint8_t *p = table;
    if (available < ACPI_HEADER_BYTES) {
        snprintf(why, why_size, "table shorter than its header (%zu bytes)", available);
        return -XC_EINVAL;
    }
    if (signature && memcmp(p, signature, 4)) {
        snprintf(why, why_size, "signature is '%.4s', expected '%s'", (const char *)p, signature);
        return -XC_EINVAL;
    }
    uint32_t length = le32(p + 4);
    if (length < ACPI_HEADER_BYTES || length > available) {
        snprintf(why, why_size, "%.4s claims %u bytes, outside 36..%zu", (const char *)p, length,
                 available);
        return -XC_EINVAL;
    }
    if (!acpi_checksum_ok(p, length)) {
        snprintf(why, why_size, "%.4s has a bad checksum", (const char *)p);
        return -XC_EINVAL;
    }
    return 0;
}

/* AML: NameOp "_S5_" PackageOp PkgLength NumElements then two integers, each a
 * ZeroOp, OneOp, or BytePrefix + byte (ACPI 6.5, 20.2). */
#define AML_NAME_OP 0x08
#define AML_PACKAGE_OP 0x12
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_BYTE_PREFIX 0x0a

static bool aml_small_integer(const uint8_t *p, const uint8_t *end, uint8_t *value,
                              const uint8_t **next)
{
    if (p >= end)
        return false;
    if (*p == AML_ZERO_OP || *p == AML_ONE_OP) {
        *value = *p;
        *next = p + 1;
        return true;
    }
    if (*p == AML_BYTE_PREFIX && p + 1 < end) {
        *value = p[1];
        *next = p + 2;
        return true;
    }
    return false;
}

bool acpi_find_s5(const void *dsdt, size_t length, uint8_t *slp_typ_a, uint8_t *slp_typ_b)
{
    const uint8_t *base = dsdt;
    const uint8_t *end = base + length;
    for (const uint8_t *p = base + ACPI_HEADER_BYTES; p + 4 < end; p++) {
        if (memcmp(p, "_S5_", 4))
            continue;
        /* Preceded by NameOp, possibly with a root prefix '\'. */
        if (p - base < 1 || (p[-1] != AML_NAME_OP && !(p[-1] == '\\' && p - base >= 2 &&
                                                       p[-2] == AML_NAME_OP)))
            continue;
        const uint8_t *q = p + 4;
        if (q >= end || *q++ != AML_PACKAGE_OP || q >= end)
            continue;
        q += 1 + (*q >> 6); /* PkgLength: lead byte plus 0..3 more */
        q++;                /* NumElements */
        uint8_t a, b;
        if (!aml_small_integer(q, end, &a, &q) || !aml_small_integer(q, end, &b, &q))
            continue;
        *slp_typ_a = a;
        *slp_typ_b = b;
        return true;
    }
    return false;
}
