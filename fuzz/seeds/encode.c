/* Types of every BTF kind the encoder makes, for the encode fuzz seeds. */
#include <stdint.h>
struct list { struct list *next, *prev; };
union u { int i; float f; char c[8]; };
enum color { RED, GREEN = 5, BLUE = -1 };
enum big { HUGE = 0x100000000ULL };
typedef const volatile struct list *clist;
struct bits { unsigned a:3, b:5; int c; long long d[4]; union u u; enum color col; };
struct fwd;
struct holder { struct fwd *f; clist l; void (*cb)(int, struct bits *); };
int global_var = 3;
static struct holder holder;
struct holder *get(struct bits *b, int n, ...) { (void)b; (void)n; return &holder; }
