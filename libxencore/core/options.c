/* Command-line options. The names follow Xen's where Xen has the same option
 * (maxcpus, x2apic, noreboot, sched, credit2_runqueue, sched_ratelimit_us), so an operator's habits carry over. The line is
 * input from the boot loader: each word is checked, and a bad one is reported
 * and skipped rather than half-applied. */
#include "core/options.h"

#include <xencore/config.h>

#include "lib/printk.h"
#include "lib/string.h"

void options_defaults(struct core_options *options)
{
    options->maxcpus = 0;
    options->allow_x2apic = true;
    options->noreboot = false;
    options->poweroff = false;
    options->sched = 0;
    options->credit2_runqueue = CREDIT2_RUNQUEUE_SOCKET;
    options->sched_ratelimit_us = SCHED_DEFAULT_RATELIMIT_US;
}

static bool word_is(const char *word, size_t len, const char *name)
{
    return strlen(name) == len && !strncmp(word, name, len);
}

static int parse_bool(const char *value, size_t len, bool *out)
{
    if (word_is(value, len, "1") || word_is(value, len, "on") || word_is(value, len, "yes") ||
        word_is(value, len, "true")) {
        *out = true;
        return 0;
    }
    if (word_is(value, len, "0") || word_is(value, len, "off") || word_is(value, len, "no") ||
        word_is(value, len, "false")) {
        *out = false;
        return 0;
    }
    return -1;
}

/* Returns NULL on success, else why the word was rejected. */
static const char *apply(struct core_options *options, const char *word, size_t len)
{
    const char *eq = memchr(word, '=', len);
    size_t name_len = eq ? (size_t)(eq - word) : len;
    const char *value = eq ? eq + 1 : NULL;
    size_t value_len = eq ? len - name_len - 1 : 0;

    if (word_is(word, name_len, "maxcpus")) {
        unsigned long long n;
        if (!value || xc_parse_u64(value, value_len, &n) || n < 1 || n > XENCORE_MAX_CPUS)
            return "must be a number from 1 to XENCORE_MAX_CPUS";
        options->maxcpus = (unsigned int)n;
        return NULL;
    }
    if (word_is(word, name_len, "x2apic")) {
        bool b;
        if (!value || parse_bool(value, value_len, &b))
            return "must be 0 or 1";
        options->allow_x2apic = b;
        return NULL;
    }
    if (word_is(word, name_len, "sched")) {
        static const struct {
            const char *name;
            enum xencore_scheduler id;
        } scheds[] = {
            { "credit", XENCORE_SCHED_CREDIT },
            { "credit2", XENCORE_SCHED_CREDIT2 },
            { "null", XENCORE_SCHED_NULL },
        };
        for (unsigned int i = 0; value && i < sizeof(scheds) / sizeof(scheds[0]); i++) {
            if (word_is(value, value_len, scheds[i].name)) {
                options->sched = scheds[i].id;
                return NULL;
            }
        }
        return "must be credit, credit2 or null";
    }
    if (word_is(word, name_len, "credit2_runqueue")) {
        static const struct {
            const char *name;
            enum credit2_runqueue_arrangement arrangement;
        } arrangements[] = {
            { "socket", CREDIT2_RUNQUEUE_SOCKET },
            { "l3", CREDIT2_RUNQUEUE_L3 },
            { "cpu", CREDIT2_RUNQUEUE_CPU },
            { "all", CREDIT2_RUNQUEUE_ALL },
        };
        for (unsigned int i = 0; value && i < sizeof(arrangements) / sizeof(arrangements[0]);
             i++) {
            if (word_is(value, value_len, arrangements[i].name)) {
                options->credit2_runqueue = arrangements[i].arrangement;
                return NULL;
            }
        }
        return "must be socket, l3, cpu or all";
    }
    if (word_is(word, name_len, "sched_ratelimit_us")) {
        unsigned long long n;
        if (!value || xc_parse_u64(value, value_len, &n) ||
            (n != 0 && (n < SCHED_RATELIMIT_MIN_US || n > SCHED_RATELIMIT_MAX_US)))
            return "must be 0 (off) or a number of microseconds from 100 to 500000";
        options->sched_ratelimit_us = (uint32_t)n;
        return NULL;
    }
    if (word_is(word, len, "noreboot")) {
        options->noreboot = true;
        return NULL;
    }
    if (word_is(word, len, "poweroff")) {
        options->poweroff = true;
        return NULL;
    }
    return "is not an option";
}

unsigned int options_parse(struct core_options *options, const char *line, const char *source)
{
    unsigned int rejected = 0;
    if (!line)
        return 0;
    while (*line) {
        while (*line == ' ' || *line == '\t')
            line++;
        size_t len = 0;
        while (line[len] && line[len] != ' ' && line[len] != '\t')
            len++;
        if (len) {
            const char *why = apply(options, line, len);
            if (why) {
                printk("xencore: %s: ignoring '%.*s': %s\n", source, (int)len, line, why);
                rejected++;
            }
        }
        line += len;
    }
    return rejected;
}
