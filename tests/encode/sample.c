/* Types the encoder tests check, compiled with gcc -g during the tests. */
#include <stdarg.h>

struct flags {
	unsigned int a : 3;
	int b : 5;
	unsigned long long wide : 40;
	unsigned char c;
	union {
		int i;
		float f;
	};
	struct {
		short x, y;
	} point;
};

struct packet {
	unsigned int len;
	unsigned char data[];
};

/* Sizes 1, 2, 4 and 8 bytes, signed and unsigned. */
enum __attribute__((packed)) small { SMALL_A = 1, SMALL_B = 255 };
enum __attribute__((packed)) mid { MID_A = -300, MID_B = 300 };
enum neg { NEG_MINUS = -1, NEG_ONE = 1 };
enum big { BIG_TOP = 0x8000000000000000ULL };
enum sbig { SBIG_MIN = -0x7fffffffffffffffLL - 1, SBIG_ONE = 1 };

typedef int (*handler_t)(const char *fmt, ...);

struct ops {
	handler_t log;
	void (*done)(struct ops *self, int code);
	const volatile int *const volatile cv;
	char grid[2][3];
};

__attribute__((section(".data..percpu"))) int percpu_counter;
int global_counter = 7;
static long local_total;
const struct ops default_ops;

int sum(int n, ...)
{
	va_list ap;
	int total = 0;

	va_start(ap, n);
	while (n--)
		total += va_arg(ap, int);
	va_end(ap);
	return total;
}

static int use_all(struct flags *f, struct packet *p, enum small s, enum neg n,
		   enum big b, enum sbig sb, enum mid m)
{
	local_total += f->a + p->len + s + n + (int)b + (int)sb + m;
	return (int)local_total;
}

int entry(struct flags *f, struct packet *p)
{
	return use_all(f, p, SMALL_A, NEG_ONE, BIG_TOP, SBIG_ONE, MID_A) +
	       percpu_counter + global_counter + sum(2, 1, 2);
}
