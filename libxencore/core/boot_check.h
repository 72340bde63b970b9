/* Checks what the boot stub handed over before anything relies on it. */
#ifndef XENCORE_CORE_BOOT_CHECK_H
#define XENCORE_CORE_BOOT_CHECK_H

#include <stddef.h>

#include <xencore/boot_info.h>

/* Returns 0 when @info can be used, else -XC_EINVAL with a sentence naming the
 * first problem in @message. */
int boot_info_check(const struct xencore_boot_info *info, char *message, size_t size);

#endif /* XENCORE_CORE_BOOT_CHECK_H */
