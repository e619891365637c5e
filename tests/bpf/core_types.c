/* Type and enum relocations: existence, size and ids of kernel types,
 * types only newer kernels have, enumerators whose values move between
 * kernels and enumerators only newer kernels have. */
#include "core_common.h"

/* 6.12 has struct sched_ext_ops, 6.1 does not. */
struct sched_ext_ops {
	unsigned int flags;
};

/* BPF_PROG_TYPE_NETFILTER arrived in 6.4. */
enum bpf_prog_type___new {
	BPF_PROG_TYPE_NETFILTER = 32,
};

/* A local flavour of an existing enum. */
enum cpuhp_state___mine {
	CPUHP_AP_ONLINE_DYN___mine = 201,
	CPUHP_ONLINE___mine = 233,
};

typedef struct task_struct task_t;

volatile long out;

SEC("kprobe/types")
int types(void *ctx)
{
	long r = 0;

	r += type_info(struct task_struct, TYPE_EXISTS);
	r += type_info(struct task_struct, TYPE_SIZE);
	r += type_info(struct mm_struct, TYPE_SIZE);
	r += type_info(struct sk_buff, TYPE_SIZE);
	r += type_info(struct sched_ext_ops, TYPE_EXISTS);
	r += type_info(struct sched_ext_ops, TYPE_SIZE);
	r += type_info(task_t, TYPE_EXISTS);
	r += type_info(union bpf_attr, TYPE_SIZE);
	r += type_info(enum bpf_func_id, TYPE_EXISTS);
	r += type_info(u64, TYPE_SIZE);
	r += type_id(struct task_struct, TYPE_ID_TARGET);
	r += type_id(struct task_struct, TYPE_ID_LOCAL);
	r += type_id(struct file, TYPE_ID_TARGET);
	out = r;
	return 0;
}

SEC("kprobe/enums")
int enums(void *ctx)
{
	long r = 0;

	r += enum_info(enum cpuhp_state, CPUHP_AP_ONLINE_DYN, ENUMVAL_VALUE);
	r += enum_info(enum cpuhp_state, CPUHP_ONLINE, ENUMVAL_VALUE);
	r += enum_info(enum cpuhp_state___mine, CPUHP_AP_ONLINE_DYN___mine, ENUMVAL_VALUE);
	r += enum_info(enum bpf_func_id, BPF_FUNC_ringbuf_output, ENUMVAL_EXISTS);
	r += enum_info(enum bpf_func_id, BPF_FUNC_ringbuf_output, ENUMVAL_VALUE);
	r += enum_info(enum bpf_prog_type___new, BPF_PROG_TYPE_NETFILTER, ENUMVAL_EXISTS);
	r += enum_info(enum bpf_prog_type___new, BPF_PROG_TYPE_NETFILTER, ENUMVAL_VALUE);
	r += enum_info(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF, ENUMVAL_VALUE);
	out = r;
	return 0;
}
