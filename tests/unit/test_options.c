/* Unit tests of the hypervisor command line (libxencore/core/options.c).
 *
 * The command line comes from the boot loader, typed by an operator used to
 * Xen's options. A good word must take effect; a bad one must change nothing,
 * be counted, and be reported on the console naming the word, so that a typo
 * like maxcpus=O is seen at the serial port instead of silently ignored. The
 * console is the host test arch's buffer (host_console_text()). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arch/host/arch_host.h"
#include "core/options.h"
#include "sched/sched.h"

static int clear_console(void **state)
{
    (void)state;
    host_console_clear();
    return 0;
}

static struct core_options defaults(void)
{
    struct core_options o;
    memset(&o, 0xa5, sizeof(o));
    options_defaults(&o);
    return o;
}

static void assert_same_options(const struct core_options *a, const struct core_options *b)
{
    assert_int_equal(a->maxcpus, b->maxcpus);
    assert_int_equal(a->allow_x2apic, b->allow_x2apic);
    assert_int_equal(a->noreboot, b->noreboot);
    assert_int_equal(a->poweroff, b->poweroff);
    assert_int_equal(a->sched, b->sched);
    assert_int_equal(a->credit2_runqueue, b->credit2_runqueue);
    assert_int_equal(a->sched_ratelimit_us, b->sched_ratelimit_us);
}

/* Expects @line to be rejected as one word, with no option changed and a
 * console line naming @word and @reason. */
static void assert_word_rejected(const char *line, const char *word, const char *reason)
{
    struct core_options o = defaults();
    o.maxcpus = 7;
    struct core_options before = o;
    host_console_clear();
    assert_int_equal(options_parse(&o, line, "command line"), 1);
    assert_same_options(&o, &before);
    const char *console = host_console_text();
    char quoted[128];
    snprintf(quoted, sizeof(quoted), "'%s'", word);
    if (!strstr(console, quoted) || !strstr(console, reason))
        print_error("console does not name %s (%s): '%s'\n", quoted, reason, console);
    assert_non_null(strstr(console, quoted));
    assert_non_null(strstr(console, reason));
    assert_non_null(strstr(console, "command line"));
}

static void test_defaults(void **state)
{
    (void)state;
    struct core_options o = defaults();
    assert_int_equal(o.maxcpus, 0);
    assert_true(o.allow_x2apic);
    assert_false(o.noreboot);
    assert_false(o.poweroff);
    assert_int_equal(o.sched, 0); /* not given: Pool-0 gets credit2 */
    assert_int_equal(o.credit2_runqueue, CREDIT2_RUNQUEUE_SOCKET);
    assert_int_equal(o.sched_ratelimit_us, 1000);
}

static void test_empty_line(void **state)
{
    (void)state;
    struct core_options o = defaults(), before = o;
    assert_int_equal(options_parse(&o, "", "command line"), 0);
    assert_int_equal(options_parse(&o, NULL, "command line"), 0);
    assert_int_equal(options_parse(&o, " \t  \t", "command line"), 0);
    assert_same_options(&o, &before);
    assert_string_equal(host_console_text(), "");
}

static void test_maxcpus(void **state)
{
    (void)state;
    struct core_options o = defaults();
    assert_int_equal(options_parse(&o, "maxcpus=4", "command line"), 0);
    assert_int_equal(o.maxcpus, 4);
    assert_int_equal(options_parse(&o, "maxcpus=1", "command line"), 0);
    assert_int_equal(o.maxcpus, 1);
    assert_int_equal(options_parse(&o, "maxcpus=4096", "command line"), 0);
    assert_int_equal(o.maxcpus, 4096); /* XENCORE_MAX_CPUS of the host build */
    assert_int_equal(options_parse(&o, "maxcpus=0x10", "command line"), 0);
    assert_int_equal(o.maxcpus, 16);
    assert_string_equal(host_console_text(), "");
}

static void test_maxcpus_rejected(void **state)
{
    (void)state;
    assert_word_rejected("maxcpus=0", "maxcpus=0", "must be a number");
    assert_word_rejected("maxcpus=99999", "maxcpus=99999", "must be a number");
    assert_word_rejected("maxcpus=4097", "maxcpus=4097", "must be a number");
    assert_word_rejected("maxcpus=abc", "maxcpus=abc", "must be a number");
    assert_word_rejected("maxcpus=", "maxcpus=", "must be a number");
    assert_word_rejected("maxcpus", "maxcpus", "must be a number");
    assert_word_rejected("maxcpus=4x", "maxcpus=4x", "must be a number");
    assert_word_rejected("maxcpus=-1", "maxcpus=-1", "must be a number");
    /* 2^32 + 4 must not wrap around to 4. */
    assert_word_rejected("maxcpus=4294967300", "maxcpus=4294967300", "must be a number");
}

static void test_x2apic(void **state)
{
    (void)state;
    struct core_options o = defaults();
    assert_int_equal(options_parse(&o, "x2apic=0", "command line"), 0);
    assert_false(o.allow_x2apic);
    assert_int_equal(options_parse(&o, "x2apic=1", "command line"), 0);
    assert_true(o.allow_x2apic);
    assert_int_equal(options_parse(&o, "x2apic=off", "command line"), 0);
    assert_false(o.allow_x2apic);
    assert_int_equal(options_parse(&o, "x2apic=on", "command line"), 0);
    assert_true(o.allow_x2apic);
    assert_int_equal(options_parse(&o, "x2apic=false x2apic=true x2apic=no", "command line"), 0);
    assert_false(o.allow_x2apic);
    assert_string_equal(host_console_text(), "");

    assert_word_rejected("x2apic=2", "x2apic=2", "must be 0 or 1");
    assert_word_rejected("x2apic", "x2apic", "must be 0 or 1");
    assert_word_rejected("x2apic=", "x2apic=", "must be 0 or 1");
}

static void test_noreboot_and_poweroff(void **state)
{
    (void)state;
    struct core_options o = defaults();
    assert_int_equal(options_parse(&o, "noreboot", "command line"), 0);
    assert_true(o.noreboot);
    assert_false(o.poweroff);
    o = defaults();
    assert_int_equal(options_parse(&o, "poweroff", "command line"), 0);
    assert_true(o.poweroff);
    assert_false(o.noreboot);
    assert_string_equal(host_console_text(), "");
}

static void test_sched(void **state)
{
    (void)state;
    struct core_options o = defaults();
    assert_int_equal(options_parse(&o, "sched=null", "command line"), 0);
    assert_int_equal(o.sched, XENCORE_SCHED_NULL);
    assert_int_equal(options_parse(&o, "sched=credit", "command line"), 0);
    assert_int_equal(o.sched, XENCORE_SCHED_CREDIT);
    assert_int_equal(options_parse(&o, "sched=credit2", "command line"), 0);
    assert_int_equal(o.sched, XENCORE_SCHED_CREDIT2);
    assert_string_equal(host_console_text(), "");

    /* Xen's other schedulers, case and prefixes: reported, default kept. */
    assert_word_rejected("sched=rtds", "sched=rtds", "must be credit, credit2 or null");
    assert_word_rejected("sched=arinc653", "sched=arinc653", "must be credit, credit2 or null");
    assert_word_rejected("sched=Credit2", "sched=Credit2", "must be credit, credit2 or null");
    assert_word_rejected("sched=cred", "sched=cred", "must be credit, credit2 or null");
    assert_word_rejected("sched=credit22", "sched=credit22", "must be credit, credit2 or null");
    assert_word_rejected("sched=", "sched=", "must be credit, credit2 or null");
    assert_word_rejected("sched", "sched", "must be credit, credit2 or null");
}

static void test_credit2_runqueue(void **state)
{
    (void)state;
    struct core_options o = defaults();
    assert_int_equal(options_parse(&o, "credit2_runqueue=all", "command line"), 0);
    assert_int_equal(o.credit2_runqueue, CREDIT2_RUNQUEUE_ALL);
    assert_int_equal(options_parse(&o, "credit2_runqueue=cpu", "command line"), 0);
    assert_int_equal(o.credit2_runqueue, CREDIT2_RUNQUEUE_CPU);
    assert_int_equal(options_parse(&o, "credit2_runqueue=l3", "command line"), 0);
    assert_int_equal(o.credit2_runqueue, CREDIT2_RUNQUEUE_L3);
    assert_int_equal(options_parse(&o, "credit2_runqueue=socket", "command line"), 0);
    assert_int_equal(o.credit2_runqueue, CREDIT2_RUNQUEUE_SOCKET);
    assert_string_equal(host_console_text(), "");

    assert_word_rejected("credit2_runqueue=node", "credit2_runqueue=node",
                         "must be socket, l3, cpu or all");
    assert_word_rejected("credit2_runqueue=", "credit2_runqueue=", "must be socket, l3, cpu or all");
    assert_word_rejected("credit2_runqueue", "credit2_runqueue", "must be socket, l3, cpu or all");
    /* The rejection keeps the value set before it. */
    o = defaults();
    assert_int_equal(options_parse(&o, "credit2_runqueue=all credit2_runqueue=L3", "command line"),
                     1);
    assert_int_equal(o.credit2_runqueue, CREDIT2_RUNQUEUE_ALL);
}

static void test_sched_ratelimit(void **state)
{
    (void)state;
    struct core_options o = defaults();
    assert_int_equal(options_parse(&o, "sched_ratelimit_us=0", "command line"), 0);
    assert_int_equal(o.sched_ratelimit_us, 0);
    assert_int_equal(options_parse(&o, "sched_ratelimit_us=100", "command line"), 0);
    assert_int_equal(o.sched_ratelimit_us, 100);
    assert_int_equal(options_parse(&o, "sched_ratelimit_us=500000", "command line"), 0);
    assert_int_equal(o.sched_ratelimit_us, 500000);
    assert_string_equal(host_console_text(), "");

    const char *reason = "must be 0 (off) or a number of microseconds from 100 to 500000";
    assert_word_rejected("sched_ratelimit_us=99", "sched_ratelimit_us=99", reason);
    assert_word_rejected("sched_ratelimit_us=500001", "sched_ratelimit_us=500001", reason);
    assert_word_rejected("sched_ratelimit_us=4294968296", "sched_ratelimit_us=4294968296", reason);
    assert_word_rejected("sched_ratelimit_us=1ms", "sched_ratelimit_us=1ms", reason);
    assert_word_rejected("sched_ratelimit_us", "sched_ratelimit_us", reason);
}

static void test_unknown_word(void **state)
{
    (void)state;
    assert_word_rejected("frobnicate", "frobnicate", "is not an option");
    /* Prefixes and extensions of real options are not those options. */
    assert_word_rejected("maxcpu=4", "maxcpu=4", "is not an option");
    assert_word_rejected("maxcpusx=4", "maxcpusx=4", "is not an option");
    assert_word_rejected("norebootx", "norebootx", "is not an option");
    assert_word_rejected("power", "power", "is not an option");
    assert_word_rejected("scheduler=null", "scheduler=null", "is not an option");
}

/* A bad word does not stop the good ones around it, and each bad word is
 * reported; the board defaults name their own source. */
static void test_mixed_line(void **state)
{
    (void)state;
    struct core_options o = defaults();
    assert_int_equal(options_parse(&o, "bogus maxcpus=3 maxcpus=0 x2apic=0 also-bogus poweroff",
                                   "board defaults"),
                     3);
    assert_int_equal(o.maxcpus, 3);
    assert_false(o.allow_x2apic);
    assert_true(o.poweroff);
    assert_false(o.noreboot);
    const char *console = host_console_text();
    assert_non_null(strstr(console, "board defaults: ignoring 'bogus'"));
    assert_non_null(strstr(console, "'maxcpus=0'"));
    assert_non_null(strstr(console, "'also-bogus'"));
    assert_null(strstr(console, "'maxcpus=3'"));
    assert_null(strstr(console, "'poweroff'"));
}

static void test_spaces_and_tabs(void **state)
{
    (void)state;
    struct core_options o = defaults();
    assert_int_equal(
        options_parse(&o, "  \tmaxcpus=2\t\t noreboot   \tpoweroff\t  x2apic=0 ", "command line"),
        0);
    assert_int_equal(o.maxcpus, 2);
    assert_true(o.noreboot);
    assert_true(o.poweroff);
    assert_false(o.allow_x2apic);
    assert_string_equal(host_console_text(), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear_console),
        cmocka_unit_test_setup(test_empty_line, clear_console),
        cmocka_unit_test_setup(test_maxcpus, clear_console),
        cmocka_unit_test_setup(test_maxcpus_rejected, clear_console),
        cmocka_unit_test_setup(test_x2apic, clear_console),
        cmocka_unit_test_setup(test_noreboot_and_poweroff, clear_console),
        cmocka_unit_test_setup(test_sched, clear_console),
        cmocka_unit_test_setup(test_credit2_runqueue, clear_console),
        cmocka_unit_test_setup(test_sched_ratelimit, clear_console),
        cmocka_unit_test_setup(test_unknown_word, clear_console),
        cmocka_unit_test_setup(test_mixed_line, clear_console),
        cmocka_unit_test_setup(test_spaces_and_tabs, clear_console),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
