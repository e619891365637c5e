/* Field relocations: plain reads through pointers, arrays, bitfields in
 * nested anonymous unions, existence and size checks, flavoured structs
 * for fields that were renamed, removed or added between kernels. */
#include "core_common.h"

/* task_struct::state became __state in 5.14: the old name as a flavour. */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

/* sched_ext (6.12): a field 6.1 does not have. */
struct sched_ext_entity___mine {
	unsigned int flags;
} __attribute__((preserve_access_index));
struct task_struct___scx {
	struct sched_ext_entity___mine scx;
} __attribute__((preserve_access_index));

/* skb->mono_delivery_time became tstamp_type in 6.11. */
struct sk_buff___new {
	__u8 tstamp_type: 2;
} __attribute__((preserve_access_index));

/* A field whose type changed size: a local u64 read of a u32 field. */
struct inode___wide {
	unsigned long long i_flags;
} __attribute__((preserve_access_index));

volatile long out;

SEC("kprobe/task")
int task_fields(struct task_struct *t)
{
	long r = 0;

	r += t->pid;
	r += t->tgid;
	r += t->mm->map_count;
	r += t->mm->mmap_base;
	r += t->comm[3];
	r += t->real_parent->pid;
	r += t->cred->uid.val;
	r += t->thread_info.flags;
	r += field_info(t->comm, FIELD_BYTE_SIZE);
	r += field_info(t->comm[5], FIELD_BYTE_OFFSET);
	r += field_info(t->pid, FIELD_SIGNED);
	r += field_info(t->__state, FIELD_EXISTS);
	r += field_info(t->__state, FIELD_BYTE_SIZE);
	if (field_info(((struct task_struct___old *)t)->state, FIELD_EXISTS))
		r += ((struct task_struct___old *)t)->state;
	if (field_info(((struct task_struct___scx *)t)->scx, FIELD_EXISTS))
		r += ((struct task_struct___scx *)t)->scx.flags;
	r += read_bitfield(t, sched_reset_on_fork);
	r += read_bitfield(t, in_execve);
	out = r;
	return 0;
}

SEC("kprobe/skb")
int skb_fields(struct sk_buff *skb)
{
	long r = 0;

	r += skb->len;
	r += skb->mark;
	r += skb->dev->ifindex;
	r += skb->sk->__sk_common.skc_family;
	r += skb->sk->__sk_common.skc_dport;
	r += read_bitfield(skb, pkt_type);
	r += read_bitfield(skb, cloned);
	r += read_bitfield(skb, ip_summed);
	r += read_bitfield(skb, csum_level);
	if (field_info(skb->vlan_present, FIELD_EXISTS))
		r += read_bitfield(skb, vlan_present);
	if (field_info(skb->mono_delivery_time, FIELD_EXISTS))
		r += read_bitfield(skb, mono_delivery_time);
	if (field_info(((struct sk_buff___new *)skb)->tstamp_type, FIELD_EXISTS))
		r += read_bitfield((struct sk_buff___new *)skb, tstamp_type);
	r += skb->headers.protocol;
	r += skb->cb[10];
	out = r;
	return 0;
}

SEC("kprobe/inode")
int inode_fields(struct inode *inode)
{
	long r = 0;

	r += inode->i_ino;
	r += inode->i_sb->s_dev;
	r += inode->i_sb->s_magic;
	r += ((struct inode___wide *)inode)->i_flags;
	r += field_info(inode->i_mode, FIELD_SIGNED);
	r += inode->i_mapping->nrpages;
	out = r;
	return 0;
}
