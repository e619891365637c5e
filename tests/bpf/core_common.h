/* Shared by the CO-RE test programs: no libbpf headers, only clang's
 * builtins, so every relocation kind is spelled out. Compiled against a
 * vmlinux.h of Debian 6.1 (generated at test time). */
#include "vmlinux.h"

#define SEC(name) __attribute__((section(name), used))

/* __builtin_preserve_field_info kinds */
#define FIELD_BYTE_OFFSET 0
#define FIELD_BYTE_SIZE 1
#define FIELD_EXISTS 2
#define FIELD_SIGNED 3
#define FIELD_LSHIFT_U64 4
#define FIELD_RSHIFT_U64 5
/* __builtin_preserve_type_info kinds (clang 14 has these two) */
#define TYPE_EXISTS 0
#define TYPE_SIZE 1
/* __builtin_btf_type_id kinds */
#define TYPE_ID_LOCAL 0
#define TYPE_ID_TARGET 1
/* __builtin_preserve_enum_value kinds */
#define ENUMVAL_EXISTS 0
#define ENUMVAL_VALUE 1

#define field_info(f, k) __builtin_preserve_field_info(f, k)
#define type_info(T, k) __builtin_preserve_type_info(*(T *)0, k)
#define type_id(T, k) __builtin_btf_type_id(*(T *)0, k)
#define enum_info(T, v, k) __builtin_preserve_enum_value(*(T *)v, k)

static long (*probe_read)(void *dst, __u32 size, const void *src) = (void *)113;

/* Reads one bitfield the way BPF_CORE_READ_BITFIELD does. */
#define read_bitfield(s, f)                                                    \
	({                                                                     \
		unsigned long long v = 0;                                      \
		unsigned int sz = field_info((s)->f, FIELD_BYTE_SIZE);         \
		probe_read(&v, sz > 8 ? 8 : sz,                                \
			   (char *)(s) + field_info((s)->f, FIELD_BYTE_OFFSET)); \
		v <<= field_info((s)->f, FIELD_LSHIFT_U64);                    \
		if (field_info((s)->f, FIELD_SIGNED))                          \
			v = (long long)v >> field_info((s)->f, FIELD_RSHIFT_U64); \
		else                                                           \
			v = v >> field_info((s)->f, FIELD_RSHIFT_U64);         \
		v;                                                             \
	})

char LICENSE[] SEC("license") = "GPL";
