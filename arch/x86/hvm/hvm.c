/* The arch contract's virtualization half, over whichever back end the CPU
 * has. The choice is made once on the boot CPU: VMX (with EPT, VPID and
 * unrestricted guest) if present and allowed, else SVM (with NPT). A CPU
 * with neither still boots; creating a domain then fails with ENOTSUP. */
#include "x86/hvm.h"

#include "arch/arch.h"
#include "lib/errno.h"
#include "lib/printk.h"
#include "x86/apic.h"
#include "x86/percpu.h"
#include "x86/traps.h"

const struct hvm_ops *hvm;

int arch_virt_init(void)
{
    hvm = vmx_probe();
    if (!hvm)
        hvm = svm_probe();
    if (!hvm) {
        printk("xencore: no usable VMX or SVM: guests cannot run on this machine\n");
        return -XC_EOPNOTSUPP;
    }
    return arch_virt_cpu_init();
}

int arch_virt_cpu_init(void)
{
    if (!hvm)
        return -XC_EOPNOTSUPP;
    int rc = hvm->cpu_init();
    if (rc)
        printk("xencore: cpu %u: cannot enable %s (%d)\n", arch_this_cpu(), hvm->name, rc);
    return rc;
}

const char *arch_virt_name(void)
{
    return hvm ? hvm->name : NULL;
}

uint32_t arch_p2m_orders(void)
{
    return hvm ? hvm->p2m_orders : 1;
}

int arch_domain_init(struct domain *d)
{
    return hvm ? hvm->domain_init(d) : -XC_EOPNOTSUPP;
}

void arch_domain_teardown(struct domain *d)
{
    if (hvm)
        hvm->domain_teardown(d);
}

int arch_p2m_map(struct domain *d, uint64_t gfn, uint64_t mfn, unsigned int order)
{
    return hvm->p2m_map(d, gfn, mfn, order);
}

int64_t arch_p2m_lookup(struct domain *d, uint64_t gfn)
{
    return hvm->p2m_lookup(d, gfn);
}

int arch_vcpu_init(struct vcpu *v)
{
    return hvm ? hvm->vcpu_init(v) : -XC_EOPNOTSUPP;
}

void arch_vcpu_teardown(struct vcpu *v)
{
    if (hvm)
        hvm->vcpu_teardown(v);
}

void arch_vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t ebx)
{
    hvm->vcpu_set_pvh_entry(v, entry, ebx);
}

void arch_vcpu_run(struct vcpu *v)
{
    hvm->vcpu_run(v);
    hvm_vcpu_put(v);
}

void arch_cpu_kick(unsigned int cpu)
{
    if (cpu != arch_this_cpu())
        arch_send_ipi(cpu);
}
