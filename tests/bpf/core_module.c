/* Relocations against types only a module defines: Debian 6.1's nfs.ko
 * (struct nfs_direct_req, enum pnfs_iomode), resolved on the module on its
 * vmlinux (`btfscope core -B vmlinux+nfs.ko`). The module's types are
 * declared here as a program copies them from the module's header (as
 * flavours, so that they never clash with vmlinux.h); vmlinux's types
 * still come from vmlinux, which is searched first. */
#include "core_common.h"

struct nfs_direct_req___mod {
	struct inode *inode;
	ssize_t count;
	ssize_t bytes_left;
	int flags;
	int not_in_nfs;
} __attribute__((preserve_access_index));

enum pnfs_iomode___mod {
	IOMODE_READ___mod = 1,
	IOMODE_ANY___mod = 3,
	IOMODE_NONE___mod = 9,
};

volatile long out;

SEC("kprobe/nfs")
int nfs_module(struct nfs_direct_req___mod *dreq)
{
	long r = 0;

	r += dreq->count;
	r += dreq->bytes_left;
	r += dreq->flags;
	r += dreq->inode->i_ino;
	r += field_info(dreq->count, FIELD_BYTE_SIZE);
	r += field_info(dreq->not_in_nfs, FIELD_EXISTS);
	r += field_info(dreq->flags, FIELD_SIGNED);
	r += type_info(struct nfs_direct_req___mod, TYPE_EXISTS);
	r += type_info(struct nfs_direct_req___mod, TYPE_SIZE);
	r += type_id(struct nfs_direct_req___mod, TYPE_ID_TARGET);
	r += enum_info(enum pnfs_iomode___mod, IOMODE_ANY___mod, ENUMVAL_VALUE);
	r += enum_info(enum pnfs_iomode___mod, IOMODE_NONE___mod, ENUMVAL_EXISTS);
	out = r;
	return 0;
}
