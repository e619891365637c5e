/* A program with a few hundred CO-RE relocations for `btfscope core`'s
 * benchmark (bench/core/run.sh): the address of every plainly declared
 * member of twelve kernel structs. Generated from the Debian 6.1 vmlinux.h;
 * compiled like the test programs. */
#include "vmlinux.h"

#define SEC(name) __attribute__((section(name), used))

char LICENSE[] SEC("license") = "GPL";
volatile long out;

SEC("kprobe/task_struct")
int read_task_struct(struct task_struct *p)
{
	long r = 0;

	r += (long)&p->thread_info;
	r += (long)&p->__state;
	r += (long)&p->stack;
	r += (long)&p->usage;
	r += (long)&p->flags;
	r += (long)&p->ptrace;
	r += (long)&p->on_cpu;
	r += (long)&p->wake_entry;
	r += (long)&p->wakee_flips;
	r += (long)&p->wakee_flip_decay_ts;
	r += (long)&p->last_wakee;
	r += (long)&p->recent_used_cpu;
	r += (long)&p->wake_cpu;
	r += (long)&p->on_rq;
	r += (long)&p->prio;
	r += (long)&p->static_prio;
	r += (long)&p->normal_prio;
	r += (long)&p->rt_priority;
	r += (long)&p->se;
	r += (long)&p->rt;
	r += (long)&p->dl;
	r += (long)&p->sched_class;
	r += (long)&p->sched_task_group;
	r += (long)&p->stats;
	r += (long)&p->preempt_notifiers;
	r += (long)&p->btrace_seq;
	r += (long)&p->policy;
	r += (long)&p->nr_cpus_allowed;
	r += (long)&p->cpus_ptr;
	r += (long)&p->user_cpus_ptr;
	out = r;
	return 0;
}

SEC("kprobe/sk_buff")
int read_sk_buff(struct sk_buff *p)
{
	long r = 0;

	r += (long)&p->sk;
	r += (long)&p->_nfct;
	r += (long)&p->len;
	r += (long)&p->data_len;
	r += (long)&p->mac_len;
	r += (long)&p->hdr_len;
	r += (long)&p->queue_mapping;
	r += (long)&p->active_extensions;
	r += (long)&p->tail;
	r += (long)&p->end;
	r += (long)&p->head;
	r += (long)&p->data;
	r += (long)&p->truesize;
	r += (long)&p->users;
	r += (long)&p->extensions;
	out = r;
	return 0;
}

SEC("kprobe/inode")
int read_inode(struct inode *p)
{
	long r = 0;

	r += (long)&p->i_mode;
	r += (long)&p->i_opflags;
	r += (long)&p->i_uid;
	r += (long)&p->i_gid;
	r += (long)&p->i_flags;
	r += (long)&p->i_acl;
	r += (long)&p->i_default_acl;
	r += (long)&p->i_op;
	r += (long)&p->i_sb;
	r += (long)&p->i_mapping;
	r += (long)&p->i_security;
	r += (long)&p->i_ino;
	r += (long)&p->i_rdev;
	r += (long)&p->i_size;
	r += (long)&p->i_atime;
	r += (long)&p->i_mtime;
	r += (long)&p->i_ctime;
	r += (long)&p->i_lock;
	r += (long)&p->i_bytes;
	r += (long)&p->i_blkbits;
	r += (long)&p->i_write_hint;
	r += (long)&p->i_blocks;
	r += (long)&p->i_state;
	r += (long)&p->i_rwsem;
	r += (long)&p->dirtied_when;
	r += (long)&p->dirtied_time_when;
	r += (long)&p->i_hash;
	r += (long)&p->i_io_list;
	r += (long)&p->i_wb;
	r += (long)&p->i_wb_frn_winner;
	out = r;
	return 0;
}

SEC("kprobe/file")
int read_file(struct file *p)
{
	long r = 0;

	r += (long)&p->f_path;
	r += (long)&p->f_inode;
	r += (long)&p->f_op;
	r += (long)&p->f_lock;
	r += (long)&p->f_count;
	r += (long)&p->f_flags;
	r += (long)&p->f_mode;
	r += (long)&p->f_pos_lock;
	r += (long)&p->f_pos;
	r += (long)&p->f_owner;
	r += (long)&p->f_cred;
	r += (long)&p->f_ra;
	r += (long)&p->f_version;
	r += (long)&p->f_security;
	r += (long)&p->private_data;
	r += (long)&p->f_ep;
	r += (long)&p->f_mapping;
	r += (long)&p->f_wb_err;
	r += (long)&p->f_sb_err;
	out = r;
	return 0;
}

SEC("kprobe/mm_struct")
int read_mm_struct(struct mm_struct *p)
{
	long r = 0;

	out = r;
	return 0;
}

SEC("kprobe/super_block")
int read_super_block(struct super_block *p)
{
	long r = 0;

	r += (long)&p->s_list;
	r += (long)&p->s_dev;
	r += (long)&p->s_blocksize_bits;
	r += (long)&p->s_blocksize;
	r += (long)&p->s_maxbytes;
	r += (long)&p->s_type;
	r += (long)&p->s_op;
	r += (long)&p->dq_op;
	r += (long)&p->s_qcop;
	r += (long)&p->s_export_op;
	r += (long)&p->s_flags;
	r += (long)&p->s_iflags;
	r += (long)&p->s_magic;
	r += (long)&p->s_root;
	r += (long)&p->s_umount;
	r += (long)&p->s_count;
	r += (long)&p->s_active;
	r += (long)&p->s_security;
	r += (long)&p->s_xattr;
	r += (long)&p->s_cop;
	r += (long)&p->s_master_keys;
	r += (long)&p->s_vop;
	r += (long)&p->s_encoding;
	r += (long)&p->s_encoding_flags;
	r += (long)&p->s_roots;
	r += (long)&p->s_mounts;
	r += (long)&p->s_bdev;
	r += (long)&p->s_bdi;
	r += (long)&p->s_mtd;
	r += (long)&p->s_instances;
	out = r;
	return 0;
}

SEC("kprobe/sock")
int read_sock(struct sock *p)
{
	long r = 0;

	r += (long)&p->__sk_common;
	r += (long)&p->sk_rx_dst;
	r += (long)&p->sk_rx_dst_ifindex;
	r += (long)&p->sk_rx_dst_cookie;
	r += (long)&p->sk_lock;
	r += (long)&p->sk_drops;
	r += (long)&p->sk_rcvlowat;
	r += (long)&p->sk_error_queue;
	r += (long)&p->sk_receive_queue;
	r += (long)&p->sk_forward_alloc;
	r += (long)&p->sk_reserved_mem;
	r += (long)&p->sk_ll_usec;
	r += (long)&p->sk_napi_id;
	r += (long)&p->sk_rcvbuf;
	r += (long)&p->sk_disconnects;
	r += (long)&p->sk_filter;
	r += (long)&p->sk_dst_cache;
	r += (long)&p->sk_omem_alloc;
	r += (long)&p->sk_sndbuf;
	r += (long)&p->sk_wmem_queued;
	r += (long)&p->sk_wmem_alloc;
	r += (long)&p->sk_tsq_flags;
	r += (long)&p->sk_write_queue;
	r += (long)&p->sk_peek_off;
	r += (long)&p->sk_write_pending;
	r += (long)&p->sk_dst_pending_confirm;
	r += (long)&p->sk_pacing_status;
	r += (long)&p->sk_sndtimeo;
	r += (long)&p->sk_priority;
	r += (long)&p->sk_mark;
	out = r;
	return 0;
}

SEC("kprobe/net_device")
int read_net_device(struct net_device *p)
{
	long r = 0;

	r += (long)&p->name_node;
	r += (long)&p->ifalias;
	r += (long)&p->mem_end;
	r += (long)&p->mem_start;
	r += (long)&p->base_addr;
	r += (long)&p->state;
	r += (long)&p->dev_list;
	r += (long)&p->napi_list;
	r += (long)&p->unreg_list;
	r += (long)&p->close_list;
	r += (long)&p->ptype_all;
	r += (long)&p->ptype_specific;
	r += (long)&p->flags;
	r += (long)&p->priv_flags;
	r += (long)&p->netdev_ops;
	r += (long)&p->ifindex;
	r += (long)&p->gflags;
	r += (long)&p->hard_header_len;
	r += (long)&p->mtu;
	r += (long)&p->needed_headroom;
	r += (long)&p->needed_tailroom;
	r += (long)&p->features;
	r += (long)&p->hw_features;
	r += (long)&p->wanted_features;
	r += (long)&p->vlan_features;
	r += (long)&p->hw_enc_features;
	r += (long)&p->mpls_features;
	r += (long)&p->gso_partial_features;
	r += (long)&p->min_mtu;
	r += (long)&p->max_mtu;
	out = r;
	return 0;
}

SEC("kprobe/dentry")
int read_dentry(struct dentry *p)
{
	long r = 0;

	r += (long)&p->d_flags;
	r += (long)&p->d_seq;
	r += (long)&p->d_hash;
	r += (long)&p->d_parent;
	r += (long)&p->d_name;
	r += (long)&p->d_inode;
	r += (long)&p->d_lockref;
	r += (long)&p->d_op;
	r += (long)&p->d_sb;
	r += (long)&p->d_time;
	r += (long)&p->d_fsdata;
	r += (long)&p->d_child;
	r += (long)&p->d_subdirs;
	out = r;
	return 0;
}

SEC("kprobe/bpf_prog")
int read_bpf_prog(struct bpf_prog *p)
{
	long r = 0;

	r += (long)&p->pages;
	r += (long)&p->type;
	r += (long)&p->expected_attach_type;
	r += (long)&p->len;
	r += (long)&p->jited_len;
	r += (long)&p->stats;
	r += (long)&p->active;
	r += (long)&p->aux;
	r += (long)&p->orig_prog;
	out = r;
	return 0;
}

SEC("kprobe/cred")
int read_cred(struct cred *p)
{
	long r = 0;

	r += (long)&p->usage;
	r += (long)&p->uid;
	r += (long)&p->gid;
	r += (long)&p->suid;
	r += (long)&p->sgid;
	r += (long)&p->euid;
	r += (long)&p->egid;
	r += (long)&p->fsuid;
	r += (long)&p->fsgid;
	r += (long)&p->securebits;
	r += (long)&p->cap_inheritable;
	r += (long)&p->cap_permitted;
	r += (long)&p->cap_effective;
	r += (long)&p->cap_bset;
	r += (long)&p->cap_ambient;
	r += (long)&p->jit_keyring;
	r += (long)&p->session_keyring;
	r += (long)&p->process_keyring;
	r += (long)&p->thread_keyring;
	r += (long)&p->request_key_auth;
	r += (long)&p->security;
	r += (long)&p->user;
	r += (long)&p->user_ns;
	r += (long)&p->ucounts;
	r += (long)&p->group_info;
	out = r;
	return 0;
}

SEC("kprobe/vm_area_struct")
int read_vm_area_struct(struct vm_area_struct *p)
{
	long r = 0;

	r += (long)&p->vm_start;
	r += (long)&p->vm_end;
	r += (long)&p->vm_mm;
	r += (long)&p->vm_page_prot;
	r += (long)&p->vm_flags;
	r += (long)&p->anon_vma_chain;
	r += (long)&p->anon_vma;
	r += (long)&p->vm_ops;
	r += (long)&p->vm_pgoff;
	r += (long)&p->vm_file;
	r += (long)&p->vm_private_data;
	r += (long)&p->swap_readahead_info;
	r += (long)&p->vm_policy;
	r += (long)&p->vm_userfaultfd_ctx;
	out = r;
	return 0;
}
