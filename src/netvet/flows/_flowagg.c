/* netvet.flows._flowagg: the per-record pass of flow attribution, fused and compiled (optional).
 *
 * Flow chunks arrive with each endpoint column coded: an int32 per record into that side's entries
 * (a row group dictionary's values, the run's address book ids, or the records themselves), each entry
 * packed in one int64 word computed once in NumPy -- unit << 5 | flags << 3 | resolved << 2 | address
 * class. One pass over the records then classes each record, picks its remote side(s) and aggregates
 * into hash tables, with the GIL released so chunks run on several threads at once.
 *
 * cells(): per (unit, hour, class) cell -- records, flows, bytes and packets to/from the remote side,
 *          first and last time, first (file, line) -- and the file's attributed/unresolved/skipped counts;
 *          a chunk's own table, or a thread's accumulator (cells_new/cells_rows) that many chunks add to,
 *          in which case the call reports the units new to it and the records sides() must see.
 * sides(): per (unit, internal host entry) for entries flagged as needing host rows, and per remote
 *          entry flagged as carrying DNS or cloud-range evidence: bytes and flows (over every record,
 *          or the records cells() picked).
 * book_new(), book_intern(), book_intern_fixed(): the address book, strings or fixed-width binaries ->
 *          dense ids in order of first appearance (netvet.flows.book); each text sits in its 64-byte slot.
 *
 * The NumPy engine (netvet.flows.aggregate) defines the semantics; this module reproduces them exactly
 * (tests compare the two on every fixture). Constants come from the caller so Python stays the one
 * definition of the cell layout.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ hash table: 2 x int64 key, nv int64 values */
/* Slots (k0, k1, entry + 1) index values kept densely in insertion order: the slots stay small enough for
 * the cache, and the values of the busiest keys (seen first, as a rule) sit together. */
typedef struct {
    int64_t k0, k1, entry; /* entry 0: empty slot */
} hslot_t;

typedef struct {
    hslot_t *slots;
    int64_t *vals; /* nv per entry, in insertion order */
    Py_ssize_t cap, size, vcap, nv;
    const int64_t *init;
} table_t;

static inline uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a << 6) + (a >> 2));
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 29;
    return x;
}

static int table_init(table_t *t, Py_ssize_t nv, const int64_t *init, Py_ssize_t cap) {
    t->cap = cap;
    t->size = 0;
    t->nv = nv;
    t->vcap = cap / 2;
    t->init = init;
    t->slots = calloc((size_t)cap, sizeof(hslot_t));
    t->vals = malloc(sizeof(int64_t) * nv * t->vcap);
    return t->slots && t->vals;
}

static void table_free(table_t *t) {
    free(t->slots);
    free(t->vals);
}

static int table_rehash(table_t *t) {
    Py_ssize_t cap = t->cap * 2;
    hslot_t *slots = calloc((size_t)cap, sizeof(hslot_t));
    if (!slots)
        return 0;
    for (Py_ssize_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].entry)
            continue;
        Py_ssize_t j = (Py_ssize_t)(mix((uint64_t)t->slots[i].k0, (uint64_t)t->slots[i].k1) & (uint64_t)(cap - 1));
        while (slots[j].entry)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 1;
}

/* the values of key (k0, k1) whose hash is h, inserted with the initial values when new; NULL when out
 * of memory */
static inline int64_t *table_get_h(table_t *t, int64_t k0, int64_t k1, uint64_t h) {
    Py_ssize_t mask = t->cap - 1;
    Py_ssize_t i = (Py_ssize_t)(h & (uint64_t)mask);
    for (;;) {
        hslot_t *s = t->slots + i;
        if (s->entry && s->k0 == k0 && s->k1 == k1)
            return t->vals + t->nv * (s->entry - 1);
        if (!s->entry)
            break;
        i = (i + 1) & mask;
    }
    if (t->size >= t->vcap) {
        int64_t *v = realloc(t->vals, sizeof(int64_t) * t->nv * t->vcap * 2);
        if (!v)
            return NULL;
        t->vals = v;
        t->vcap *= 2;
    }
    hslot_t *s = t->slots + i;
    s->k0 = k0;
    s->k1 = k1;
    s->entry = ++t->size;
    int64_t *v = t->vals + t->nv * (t->size - 1);
    memcpy(v, t->init, sizeof(int64_t) * t->nv);
    if (t->size * 2 > t->cap && !table_rehash(t))
        return NULL;
    return v;
}

static inline int64_t *table_get(table_t *t, int64_t k0, int64_t k1) {
    return table_get_h(t, k0, k1, mix((uint64_t)k0, (uint64_t)k1));
}

static inline void table_prefetch(const table_t *t, uint64_t h) {
    __builtin_prefetch(t->slots + (Py_ssize_t)(h & (uint64_t)(t->cap - 1)));
}

/* rows of (k0, k1, v0 .. v{nv-1}) as one bytes object, in insertion order */
static PyObject *table_bytes(table_t *t, Py_ssize_t nv) {
    Py_ssize_t w = 2 + nv;
    PyObject *out = PyBytes_FromStringAndSize(NULL, sizeof(int64_t) * w * t->size);
    if (!out)
        return NULL;
    int64_t *o = (int64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < t->cap; i++) {
        const hslot_t *s = t->slots + i;
        if (!s->entry)
            continue;
        int64_t *row = o + w * (s->entry - 1);
        row[0] = s->k0;
        row[1] = s->k1;
        memcpy(row + 2, t->vals + t->nv * (s->entry - 1), sizeof(int64_t) * nv);
    }
    return out;
}

/* ------------------------------------------------------------------ buffers */
typedef struct {
    Py_buffer view;
    int held;
} buf_t;

static int get_buf(PyObject *obj, buf_t *b, Py_ssize_t itemsize, Py_ssize_t want, const char *name) {
    b->held = 0;
    if (obj == Py_None)
        return 1;
    if (PyObject_GetBuffer(obj, &b->view, PyBUF_C_CONTIGUOUS) < 0)
        return 0;
    b->held = 1;
    if (b->view.itemsize != itemsize || (want >= 0 && b->view.len != want * itemsize)) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd items of %zd bytes", name, want, itemsize);
        return 0;
    }
    return 1;
}

static void rel(buf_t *b) {
    if (b->held)
        PyBuffer_Release(&b->view);
    b->held = 0;
}

#define PTR(b, T) ((b).held ? (const T *)(b).view.buf : NULL)
#define ENTRIES(b) ((b).view.len / (b).view.itemsize)

enum { EXTERNAL = 0, INTERNAL = 1 };
#define HOUR_US 3600000000LL /* a constant, so the division per record compiles to a multiplication */

/* Entries are packed in one int64 each: unit << 5 | flags << 3 | resolved << 2 | class. */
#define E_CLS(e) ((int)((e) & 3))
#define E_RES(e) ((int)(((e) >> 2) & 1))
#define E_FLAG(e) ((int)(((e) >> 3) & 3))
#define E_UNIT(e) ((e) >> 5)
#define AHEAD 24 /* rows ahead whose entries are prefetched */

/* The entries of record r, after prefetching those of the record AHEAD on; 0 when a code is outside its
 * dictionary. */
static inline int record_entries(const int32_t *sc, const int32_t *dc, const int64_t *se, const int64_t *de,
                                 Py_ssize_t ns, Py_ssize_t nd, Py_ssize_t n, Py_ssize_t r, int32_t *si, int32_t *di,
                                 int64_t *es, int64_t *ed) {
    if (r + AHEAD < n) {
        int32_t a = sc[r + AHEAD], c = dc[r + AHEAD];
        if (a >= 0 && a < ns) __builtin_prefetch(se + a);
        if (c >= 0 && c < nd) __builtin_prefetch(de + c);
    }
    *si = sc[r];
    *di = dc[r];
    if (*si < 0 || *si >= ns || *di < 0 || *di >= nd)
        return 0;
    *es = se[*si];
    *ed = de[*di];
    return 1;
}

/* One record added to a row of sums: records, flows, bytes and packets to and from the remote side. */
static inline void add_sums(int64_t *v, uint64_t flows, uint64_t to_b, uint64_t from_b, uint64_t to_p,
                            uint64_t from_p) {
    v[0] += 1;
    v[1] += (int64_t)flows;
    v[2] += (int64_t)to_b;
    v[3] += (int64_t)from_b;
    v[4] += (int64_t)to_p;
    v[5] += (int64_t)from_p;
}

/* ... and the first time, last time and first (file, line) of a cell. */
static inline void add_times(int64_t *v, int64_t first, int64_t last, int64_t ref) {
    if (first < v[6]) v[6] = first;
    if (last > v[7]) v[7] = last;
    if (ref < v[8]) v[8] = ref;
}

/* ------------------------------------------------------------------ cell accumulators */
/* A thread's cells across many chunks (cells_new / cells(..., acc) / cells_rows): chunks add to one table,
 * so no per-chunk table is built, emitted and merged; each call reports the units new to the table. */
typedef struct {
    table_t t;   /* cells, with a tenth value: the call that first saw the cell's unit */
    table_t u;   /* units seen: the call that first saw each */
    table_t h;   /* host rows (sides(..., acc)): (unit, side << 32 | book id) -> sums */
    int64_t calls;
} acc_t;

static const int64_t CELL_INIT[10] = {0, 0, 0, 0, 0, 0, INT64_MAX, INT64_MIN, INT64_MAX, 0};

static void acc_destroy(PyObject *cap) {
    acc_t *a = PyCapsule_GetPointer(cap, "netvet.cells");
    if (!a)
        return;
    table_free(&a->t);
    table_free(&a->u);
    table_free(&a->h);
    free(a);
}

static PyObject *cells_new(PyObject *self, PyObject *noargs) {
    acc_t *a = calloc(1, sizeof(acc_t));
    if (!a)
        return PyErr_NoMemory();
    if (!table_init(&a->t, 10, CELL_INIT, 1 << 16) || !table_init(&a->u, 1, CELL_INIT, 1 << 12) ||
        !table_init(&a->h, 6, CELL_INIT, 1 << 12)) { /* CELL_INIT starts with six zeros */
        table_free(&a->t);
        table_free(&a->u);
        table_free(&a->h);
        free(a);
        return PyErr_NoMemory();
    }
    return PyCapsule_New(a, "netvet.cells", acc_destroy);
}

/* (rows of (cell, 0, records .. ref) as bytes, number of rows) of an accumulator */
static PyObject *cells_rows(PyObject *self, PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O", &cap))
        return NULL;
    acc_t *a = PyCapsule_GetPointer(cap, "netvet.cells");
    if (!a)
        return NULL;
    PyObject *rows = table_bytes(&a->t, 9);
    return rows ? Py_BuildValue("(Nn)", rows, a->t.size) : NULL;
}

/* cells_merge(into, other): add the cells of accumulator `other` to `into` (sums added, first/ref kept
 * least, last greatest), as if their chunks had gone into one; `other` is left as it was */
static PyObject *cells_merge(PyObject *self, PyObject *args) {
    PyObject *c1, *c2;
    if (!PyArg_ParseTuple(args, "OO", &c1, &c2))
        return NULL;
    acc_t *a = PyCapsule_GetPointer(c1, "netvet.cells"), *b = PyCapsule_GetPointer(c2, "netvet.cells");
    if (!a || !b)
        return NULL;
    if (a == b) {
        PyErr_SetString(PyExc_ValueError, "cells_merge(): an accumulator cannot be merged into itself");
        return NULL;
    }
    int oom = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < b->t.cap && !oom; i++) {
        const hslot_t *sl = b->t.slots + i;
        if (!sl->entry)
            continue;
        const int64_t *w = b->t.vals + b->t.nv * (sl->entry - 1);
        int64_t *v = table_get(&a->t, sl->k0, sl->k1);
        if (!v) {
            oom = 1;
            break;
        }
        add_sums(v, (uint64_t)w[1], (uint64_t)w[2], (uint64_t)w[3], (uint64_t)w[4], (uint64_t)w[5]);
        v[0] += w[0] - 1; /* add_sums counted one record */
        add_times(v, w[6], w[7], w[8]);
    }
    Py_END_ALLOW_THREADS
    if (oom)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* cells_hosts(acc) -> (rows of (unit, host, 6 sums) as bytes, count): the host rows sides() added to the
 * accumulator, which starts a new host table */
static PyObject *cells_hosts(PyObject *self, PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O", &cap))
        return NULL;
    acc_t *a = PyCapsule_GetPointer(cap, "netvet.cells");
    if (!a)
        return NULL;
    table_t fresh;
    if (!table_init(&fresh, 6, CELL_INIT, 1 << 12)) {
        table_free(&fresh);
        return PyErr_NoMemory();
    }
    PyObject *rows = table_bytes(&a->h, 6);
    if (!rows) {
        table_free(&fresh);
        return NULL;
    }
    Py_ssize_t k = a->h.size;
    table_free(&a->h);
    a->h = fresh;
    return Py_BuildValue("(Nn)", rows, k);
}

/* growable int64 list (the units new in a call) */
typedef struct {
    int64_t *v;
    Py_ssize_t n, cap;
} ilist_t;

static inline int ilist_push(ilist_t *l, int64_t x) {
    if (l->n == l->cap) {
        Py_ssize_t cap = l->cap ? l->cap * 2 : 256;
        int64_t *v = realloc(l->v, sizeof(int64_t) * cap);
        if (!v)
            return 0;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return 1;
}

/* A cell's sums, looked up (inserted when new); with an accumulator, a new cell whose unit is new to it
 * adds that unit to `fresh`. NULL when out of memory. */
static inline int64_t *cell_get(table_t *t, acc_t *a, ilist_t *fresh, int64_t cell, uint64_t h, int64_t unit,
                                int64_t no_unit) {
    Py_ssize_t before = t->size;
    int64_t *v = table_get_h(t, cell, 0, h);
    if (v && a && t->size != before) {
        v[9] = 0; /* the call that first saw the cell's unit: its records go to sides() in that call */
        if (unit != no_unit) {
            Py_ssize_t ub = a->u.size;
            int64_t *u = table_get(&a->u, unit, 0);
            if (!u)
                return NULL;
            if (a->u.size != ub) {
                u[0] = a->calls;
                if (!ilist_push(fresh, unit))
                    return NULL;
            }
            v[9] = u[0];
        }
    }
    return v;
}

/* A record between keying and adding (cells()): its cell (and, for transit, its source's), hashed. */
typedef struct {
    int64_t cell, cell2, unit, unit2;
    uint64_t hash, hash2;
    int rsrc, transit, flagged;
} pend_t;

#define RING 32  /* records in flight (a power of two above KEYED) */
#define KEYED 12 /* records keyed ahead: their hash slots are being fetched */

/* ------------------------------------------------------------------ cells() */
static PyObject *cells(PyObject *self, PyObject *args) {
    PyObject *o[13];
    long long file_index, hour_us, hour_bits, class_bits, transit_src, no_unit;
    Py_ssize_t expect = 0; /* cells expected (the last chunk's count): the table starts that big */
    PyObject *acc_obj = Py_None; /* an accumulator (cells_new): add to it and return the units new to it */
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOLLLLLL|nO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7],
                          &o[8], &o[9], &o[10], &o[11], &o[12], &file_index, &hour_us, &hour_bits, &class_bits,
                          &transit_src, &no_unit, &expect, &acc_obj))
        return NULL;
    acc_t *acc = NULL;
    if (acc_obj != Py_None && !(acc = PyCapsule_GetPointer(acc_obj, "netvet.cells")))
        return NULL;
    /* s_codes d_codes s_entries d_entries class_of bytes packets rbytes rpackets flows start end line */
    enum { SC, DC, SE, DE, CLASS_OF, BY, PK, RBY, RPK, FL, ST, EN, LN, NB };
    buf_t b[NB];
    memset(b, 0, sizeof(b));
    Py_ssize_t n = -1;
    PyObject *result = NULL;
    static const Py_ssize_t size[NB] = {4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8};
    static const char *names[NB] = {"s_codes", "d_codes", "s_entries", "d_entries", "class_of", "bytes", "packets",
                                    "rbytes", "rpackets", "flows", "start", "end", "line"};
    for (int k = 0; k < NB; k++) {
        if (!get_buf(o[k], &b[k], size[k], (k == DC || k >= BY) ? n : -1, names[k]))
            goto done;
        if (k == SC)
            n = b[SC].view.len / 4;
    }
    if (hour_us != HOUR_US) {
        PyErr_SetString(PyExc_ValueError, "cells(): the hour must be 3600000000 microseconds");
        goto done;
    }
    for (int k = 0; k < NB; k++)
        if (!b[k].held && k != RBY && k != RPK && k != FL) {
            PyErr_Format(PyExc_ValueError, "cells(): %s is required", names[k]);
            goto done;
        }
    if (ENTRIES(b[CLASS_OF]) != 9) {
        PyErr_SetString(PyExc_ValueError, "cells(): class_of needs 9 values");
        goto done;
    }
    {
        const int32_t *sc = PTR(b[SC], int32_t), *dc = PTR(b[DC], int32_t);
        const int64_t *se = PTR(b[SE], int64_t), *de = PTR(b[DE], int64_t);
        const int64_t *class_of = PTR(b[CLASS_OF], int64_t);
        const uint64_t *by = PTR(b[BY], uint64_t), *pk = PTR(b[PK], uint64_t);
        const uint64_t *rby = PTR(b[RBY], uint64_t), *rpk = PTR(b[RPK], uint64_t), *fl = PTR(b[FL], uint64_t);
        const int64_t *st = PTR(b[ST], int64_t), *en = PTR(b[EN], int64_t), *ln = PTR(b[LN], int64_t);
        Py_ssize_t ns = ENTRIES(b[SE]), nd = ENTRIES(b[DE]);
        /* records, flows, to_bytes, from_bytes, to_packets, from_packets, first, last, ref */
        table_t own, *t = acc ? &acc->t : &own;
        ilist_t fresh = {NULL, 0, 0}, picks = {NULL, 0, 0};
        if (acc)
            acc->calls++;
        if (!acc) {
            Py_ssize_t cap = 1 << 12;
            while (cap < 2 * (expect + (expect >> 3)) && cap < ((Py_ssize_t)1 << 26))
                cap *= 2;
            if (!table_init(&own, 9, CELL_INIT, cap)) {
                table_free(&own);
                PyErr_NoMemory();
                goto done;
            }
        }
        long long n_remote = 0, n_unres = 0;
        int bad_code = 0, oom = 0;
        const int64_t hour_max = (int64_t)1 << hour_bits;
        const int shift = (int)(hour_bits + class_bits);
        const int64_t ref0 = (int64_t)file_index << 40;
        Py_BEGIN_ALLOW_THREADS
        /* Software-pipelined: a record's entries are prefetched AHEAD records before it, its cell key is
         * computed and the key's hash slot prefetched KEYED records before it, and the record is added
         * when its turn comes. The cells table is far larger than the cache: these loads are what the
         * pass waits on. */
        pend_t ring[RING];
        Py_ssize_t next = 0; /* the next record to key */
        for (Py_ssize_t r = 0; r < n && !bad_code; r++) {
            for (; next < n && next <= r + KEYED; next++) {
                if (next + AHEAD < n) {
                    int32_t a = sc[next + AHEAD], c = dc[next + AHEAD];
                    if (a >= 0 && a < ns) __builtin_prefetch(se + a);
                    if (c >= 0 && c < nd) __builtin_prefetch(de + c);
                }
                int32_t si = sc[next], di = dc[next];
                if (si < 0 || si >= ns || di < 0 || di >= nd) {
                    bad_code = 1;
                    break;
                }
                int64_t es = se[si], ed = de[di];
                int cs = E_CLS(es), cd = E_CLS(ed);
                int s_ext = cs == EXTERNAL, d_ext = cd == EXTERNAL;
                int has_remote = s_ext | d_ext;
                int rsrc = s_ext & !d_ext;
                int transit = s_ext & d_ext;
                int64_t unit = has_remote ? (rsrc ? E_UNIT(es) : E_UNIT(ed)) : no_unit;
                if (has_remote) {
                    n_remote++;
                    int res = rsrc ? E_RES(es) : E_RES(ed);
                    if (!res || (transit && !E_RES(es)))
                        n_unres++;
                }
                int64_t start = st[next], code = 0;
                if (start != INT64_MIN) {
                    int64_t h = start / HOUR_US;
                    if (start < 0 && h * HOUR_US != start)
                        h--; /* floor division, as NumPy's */
                    h++;
                    if (h >= 1 && h < hour_max)
                        code = h;
                }
                pend_t *q = ring + (next & (RING - 1));
                q->rsrc = rsrc;
                q->transit = transit;
                q->flagged = (has_remote && E_FLAG(rsrc ? es : ed)) || (transit && E_FLAG(es));
                q->unit = unit;
                q->cell = (int64_t)((uint64_t)unit << shift) | (code << class_bits) | class_of[cs * 3 + cd];
                q->hash = mix((uint64_t)q->cell, 0);
                table_prefetch(t, q->hash);
                if (transit) { /* the source of a record between two external endpoints is a remote side too */
                    q->unit2 = E_UNIT(es);
                    q->cell2 = (int64_t)((uint64_t)q->unit2 << shift) | (code << class_bits) | transit_src;
                    q->hash2 = mix((uint64_t)q->cell2, 0);
                    table_prefetch(t, q->hash2);
                }
            }
            if (bad_code)
                break;
            const pend_t *q = ring + (r & (RING - 1));
            int64_t start = st[r], end = en[r];
            int64_t first = start == INT64_MIN ? INT64_MAX : start;
            int64_t last = end == INT64_MIN ? start : end;
            int64_t ref = ref0 | ln[r];
            uint64_t bytes = by[r], packets = pk[r];
            uint64_t rbytes = rby ? rby[r] : 0, rpackets = rpk ? rpk[r] : 0;
            uint64_t flows = fl ? fl[r] : 1;
            int rsrc = q->rsrc;
            int64_t *v = cell_get(t, acc, &fresh, q->cell, q->hash, q->unit, no_unit);
            if (!v) {
                oom = 1;
                break;
            }
            add_sums(v, flows, rsrc ? rbytes : bytes, rsrc ? bytes : rbytes, rsrc ? rpackets : packets,
                     rsrc ? packets : rpackets);
            add_times(v, first, last, ref);
            int pick = acc && (q->flagged || v[9] == acc->calls);
            if (q->transit) {
                int64_t *w = cell_get(t, acc, &fresh, q->cell2, q->hash2, q->unit2, no_unit);
                if (!w) {
                    oom = 1;
                    break;
                }
                add_sums(w, flows, rbytes, bytes, rpackets, packets);
                add_times(w, first, last, ref);
                pick |= acc && w[9] == acc->calls;
            }
            /* the records sides() must see: a flag on a remote entry, or a unit new in this call */
            if (pick && !ilist_push(&picks, r)) {
                oom = 1;
                break;
            }
        }
        Py_END_ALLOW_THREADS
        if (bad_code)
            PyErr_SetString(PyExc_ValueError, "cells(): a code is outside its dictionary");
        else if (oom)
            PyErr_NoMemory();
        else {
            /* without an accumulator: the chunk's cells; with one: the units new to it */
            PyObject *rows = acc ? PyBytes_FromStringAndSize((const char *)fresh.v, sizeof(int64_t) * fresh.n)
                                 : table_bytes(t, 9);
            PyObject *pk = !rows ? NULL : acc ? PyBytes_FromStringAndSize((const char *)picks.v,
                                                                          sizeof(int64_t) * picks.n)
                                              : Py_NewRef(Py_None);
            if (rows && pk)
                result = Py_BuildValue("(NnLLLN)", rows, acc ? fresh.n : t->size, n_remote - n_unres, n_unres,
                                       (long long)n - n_remote, pk);
            else
                Py_XDECREF(rows);
        }
        free(fresh.v);
        free(picks.v);
        if (!acc)
            table_free(t);
    }
done:
    for (int k = 0; k < NB; k++)
        rel(&b[k]);
    return result;
}

/* ------------------------------------------------------------------ sides() */
enum { NEED_HOSTS = 1, EVIDENCE = 2 };

static PyObject *sides(PyObject *self, PyObject *args) {
    PyObject *o[12] = {NULL}, *acc_obj = Py_None;
    int one_book; /* both sides' codes are ids in one address book: a host is its entry, whichever side */
    o[9] = o[10] = o[11] = Py_None;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOp|OOOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7], &o[8],
                          &one_book, &o[9], &o[10], &o[11], &acc_obj))
        return NULL;
    /* s_codes d_codes s_entries d_entries (with flags) bytes packets rbytes rpackets flows, then optional:
     * rows (int64: only these records; else all), s_ids d_ids (int32 per entry: the entry's id in its
     * book, which host and evidence rows carry; else the entry itself), acc (an accumulator whose host
     * table the host rows go to; the entry ids must then be ids in the same books from call to call) */
    acc_t *acc = NULL;
    if (acc_obj != Py_None && !(acc = PyCapsule_GetPointer(acc_obj, "netvet.cells")))
        return NULL;
    enum { SC, DC, SE, DE, BY, PK, RBY, RPK, FL, ROWS, SID, DID, NB };
    buf_t b[NB];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    Py_ssize_t n = -1;
    static const Py_ssize_t size[NB] = {4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 4, 4};
    static const char *names[NB] = {"s_codes", "d_codes", "s_entries", "d_entries", "bytes", "packets", "rbytes",
                                    "rpackets", "flows", "rows", "s_ids", "d_ids"};
    for (int k = 0; k < NB; k++) {
        Py_ssize_t want = (k == DC || (k >= BY && k <= FL)) ? n : k == SID ? ENTRIES(b[SE]) : k == DID ? ENTRIES(b[DE]) : -1;
        if (!get_buf(o[k], &b[k], size[k], want, names[k]))
            goto done;
        if (k == SC)
            n = b[SC].view.len / 4;
    }
    for (int k = 0; k <= PK; k++)
        if (!b[k].held) {
            PyErr_Format(PyExc_ValueError, "sides(): %s is required", names[k]);
            goto done;
        }
    {
        const int32_t *sc = PTR(b[SC], int32_t), *dc = PTR(b[DC], int32_t);
        const int64_t *se = PTR(b[SE], int64_t), *de = PTR(b[DE], int64_t);
        const uint64_t *by = PTR(b[BY], uint64_t), *pk = PTR(b[PK], uint64_t);
        const uint64_t *rby = PTR(b[RBY], uint64_t), *rpk = PTR(b[RPK], uint64_t), *fl = PTR(b[FL], uint64_t);
        Py_ssize_t ns = ENTRIES(b[SE]), nd = ENTRIES(b[DE]);
        const int64_t *rows = PTR(b[ROWS], int64_t);
        const int32_t *s_ids = PTR(b[SID], int32_t), *d_ids = PTR(b[DID], int32_t);
        Py_ssize_t m = rows ? ENTRIES(b[ROWS]) : n;
        const int64_t h_init[6] = {0, 0, 0, 0, 0, 0}; /* records flows to_b from_b to_p from_p */
        const int64_t e_init[2] = {0, 0};             /* bytes flows */
        table_t own_h, e, *hp = acc ? &acc->h : &own_h;
        int ok_h = acc ? 1 : table_init(&own_h, 6, h_init, 1 << 10), ok_e = table_init(&e, 2, e_init, 1 << 10);
        int bad_code = 0, oom = 0;
        if (!ok_h || !ok_e) {
            if (!acc)
                table_free(&own_h);
            table_free(&e);
            PyErr_NoMemory();
            goto done;
        }
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t k = 0; k < m; k++) {
            Py_ssize_t r = rows ? (Py_ssize_t)rows[k] : k;
            int32_t si, di;
            int64_t es, ed;
            if (r < 0 || r >= n) {
                bad_code = 1;
                break;
            }
            if (rows) { /* a few chosen records: nothing to prefetch */
                si = sc[r];
                di = dc[r];
                if (si < 0 || si >= ns || di < 0 || di >= nd) {
                    bad_code = 1;
                    break;
                }
                es = se[si];
                ed = de[di];
            } else if (!record_entries(sc, dc, se, de, ns, nd, n, r, &si, &di, &es, &ed)) {
                bad_code = 1;
                break;
            }
            int cs = E_CLS(es), cd = E_CLS(ed);
            int s_ext = cs == EXTERNAL, d_ext = cd == EXTERNAL;
            if (!(s_ext | d_ext))
                continue;
            int64_t s_id = s_ids ? s_ids[si] : si, d_id = d_ids ? d_ids[di] : di;
            int rsrc = s_ext & !d_ext, transit = s_ext & d_ext;
            int flag = rsrc ? E_FLAG(es) : E_FLAG(ed);
            int s_flag = E_FLAG(es);
            if (!flag && !(transit && (s_flag & EVIDENCE)))
                continue;
            uint64_t bytes = by[r], packets = pk[r];
            uint64_t rbytes = rby ? rby[r] : 0, rpackets = rpk ? rpk[r] : 0;
            uint64_t flows = fl ? fl[r] : 1;
            if ((flag & NEED_HOSTS) && !transit && (rsrc ? cd : cs) == INTERNAL) {
                int64_t unit = rsrc ? E_UNIT(es) : E_UNIT(ed);
                int64_t host = rsrc ? ((one_book ? 0 : (int64_t)1 << 32) | d_id) : s_id; /* side << 32 | entry */
                int64_t *v = table_get(hp, unit, host);
                if (!v) { oom = 1; break; }
                add_sums(v, flows, rsrc ? rbytes : bytes, rsrc ? bytes : rbytes, rsrc ? rpackets : packets,
                         rsrc ? packets : rpackets);
            }
            if (flag & EVIDENCE) {
                int64_t *v = table_get(&e, rsrc ? 0 : 1, rsrc ? s_id : d_id);
                if (!v) { oom = 1; break; }
                v[0] += (int64_t)(bytes + rbytes);
                v[1] += (int64_t)flows;
            }
            if (transit && (s_flag & EVIDENCE)) {
                int64_t *v = table_get(&e, 0, s_id);
                if (!v) { oom = 1; break; }
                v[0] += (int64_t)(bytes + rbytes);
                v[1] += (int64_t)flows;
            }
        }
        Py_END_ALLOW_THREADS
        if (bad_code)
            PyErr_SetString(PyExc_ValueError, "sides(): a code is outside its dictionary");
        else if (oom)
            PyErr_NoMemory();
        else {
            /* with an accumulator, the host rows stay in it (cells_hosts) */
            PyObject *hb = acc ? PyBytes_FromStringAndSize(NULL, 0) : table_bytes(&own_h, 6);
            PyObject *eb = hb ? table_bytes(&e, 2) : NULL;
            if (hb && eb)
                result = Py_BuildValue("(NnNn)", hb, acc ? (Py_ssize_t)0 : own_h.size, eb, e.size);
            else
                Py_XDECREF(hb);
        }
        if (!acc)
            table_free(&own_h);
        table_free(&e);
    }
done:
    for (int k = 0; k < NB; k++)
        rel(&b[k]);
    return result;
}

/* ------------------------------------------------------------------ address book: strings -> dense ids */
/* Distinct address strings seen so far, each with a dense id in order of first appearance, so that the
 * dictionaries of successive chunks (which repeat the same addresses) are parsed and attributed once. */
#define INLINE 50 /* strings this short (every address in text) are kept in the slot itself: one probe, one line */
typedef struct {
    uint64_t hash;
    int32_t id;
    uint16_t len;
    char text[INLINE];
} slot_t; /* 64 bytes: slots are allocated on cache-line boundaries */
#define BOOK_AHEAD 16 /* values hashed ahead: their slots are being fetched */

static slot_t *book_slots(int64_t cap) {
    void *p = NULL;
    if (posix_memalign(&p, 64, sizeof(slot_t) * (size_t)cap))
        return NULL;
    memset(p, 0xFF, sizeof(slot_t) * (size_t)cap);
    return p;
}

typedef struct {
    char *arena;
    int64_t arena_len, arena_cap;
    int64_t *start;  /* per id: offset in arena; start[id + 1] - start[id] = length */
    int64_t n, n_cap;
    slot_t *slots;  /* id -1: empty */
    int64_t cap;
} book_t;

static uint64_t hash_bytes(const char *p, Py_ssize_t len) {
    uint64_t h = 0xCBF29CE484222325ULL ^ (uint64_t)len;
    Py_ssize_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001B3ULL;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, p + i, len - i);
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 33; /* murmur3's finaliser: every input bit reaches the low bits the table indexes by */
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

static void book_destroy(PyObject *cap) {
    book_t *b = PyCapsule_GetPointer(cap, "netvet.book");
    if (!b)
        return;
    free(b->arena);
    free(b->start);
    free(b->slots);
    free(b);
}

static PyObject *book_new(PyObject *self, PyObject *noargs) {
    book_t *b = calloc(1, sizeof(book_t));
    if (!b)
        return PyErr_NoMemory();
    b->cap = 1 << 16;
    b->n_cap = 1 << 15;
    b->arena_cap = 1 << 20;
    b->slots = book_slots(b->cap);
    b->start = malloc(sizeof(int64_t) * (b->n_cap + 1));
    b->arena = malloc(b->arena_cap);
    if (!b->slots || !b->start || !b->arena) {
        free(b->slots); free(b->start); free(b->arena); free(b);
        return PyErr_NoMemory();
    }
    b->start[0] = 0;
    return PyCapsule_New(b, "netvet.book", book_destroy);
}

static int book_rehash(book_t *b) {
    int64_t cap = b->cap * 2;
    slot_t *slots = book_slots(cap);
    if (!slots)
        return 0;
    for (int64_t i = 0; i < b->cap; i++) {
        if (b->slots[i].id < 0)
            continue;
        int64_t j = (int64_t)(b->slots[i].hash & (uint64_t)(cap - 1));
        while (slots[j].id >= 0)
            j = (j + 1) & (cap - 1);
        slots[j] = b->slots[i];
    }
    free(b->slots);
    b->slots = slots;
    b->cap = cap;
    return 1;
}

/* id of the string whose hash is h, added when new; -1 when out of memory or full, -2 when longer than
 * 65535 bytes */
static int64_t book_add(book_t *b, const char *p, Py_ssize_t len, uint64_t h) {
    int64_t mask = b->cap - 1, j = (int64_t)(h & (uint64_t)mask);
    while (b->slots[j].id >= 0) {
        const slot_t *sl = b->slots + j;
        if (sl->hash == h && sl->len == len &&
            !memcmp(len <= INLINE ? sl->text : b->arena + b->start[sl->id], p, len))
            return sl->id;
        j = (j + 1) & mask;
    }
    if (len > 0xFFFF)
        return -2; /* no address is this long: not kept, the caller marks it */
    if (b->n >= INT32_MAX - 1)
        return -1;
    if (b->n + 1 > b->n_cap) {
        int64_t *st = realloc(b->start, sizeof(int64_t) * (b->n_cap * 2 + 1));
        if (!st)
            return -1;
        b->start = st;
        b->n_cap *= 2;
    }
    if (b->arena_len + len > b->arena_cap) {
        int64_t cap = b->arena_cap * 2;
        while (cap < b->arena_len + len)
            cap *= 2;
        char *a = realloc(b->arena, cap);
        if (!a)
            return -1;
        b->arena = a;
        b->arena_cap = cap;
    }
    memcpy(b->arena + b->arena_len, p, len);
    b->arena_len += len;
    int64_t id = b->n++;
    b->start[id + 1] = b->arena_len;
    b->slots[j].id = (int32_t)id;
    b->slots[j].hash = h;
    b->slots[j].len = (uint16_t)len;
    if (len <= INLINE)
        memcpy(b->slots[j].text, p, len);
    if (b->n * 2 > b->cap && !book_rehash(b))
        return -1;
    return id;
}

/* Value i of a column: Arrow string offsets (32- or 64-bit) into data, or fixed-width values. */
typedef struct {
    const char *data;
    Py_ssize_t dlen;
    const void *offs; /* NULL: fixed width */
    int large;
    Py_ssize_t width;
} column_t;

/* value i's start and length; 0 when its offsets fall outside the data */
static inline int column_value(const column_t *c, Py_ssize_t i, const char **p, Py_ssize_t *len) {
    if (!c->offs) {
        *p = c->data + i * c->width;
        *len = c->width;
        return 1;
    }
    int64_t a0 = c->large ? ((const int64_t *)c->offs)[i] : ((const int32_t *)c->offs)[i];
    int64_t a1 = c->large ? ((const int64_t *)c->offs)[i + 1] : ((const int32_t *)c->offs)[i + 1];
    if (a0 < 0 || a1 < a0 || a1 > c->dlen)
        return 0;
    *p = c->data + a0;
    *len = (Py_ssize_t)(a1 - a0);
    return 1;
}

/* (ids as int32 bytes, number of ids before) of the n values of a column, new ones added to the book; a
 * value longer than 65535 bytes gets id -2 and is not kept. Each value is hashed BOOK_AHEAD values before
 * its probe, and its slot prefetched. */
static PyObject *book_intern_column(book_t *b, const column_t *c, Py_ssize_t n, const char *name) {
    PyObject *out = PyBytes_FromStringAndSize(NULL, sizeof(int32_t) * n);
    if (!out)
        return NULL;
    int32_t *ids = (int32_t *)PyBytes_AS_STRING(out);
    int64_t before = b->n;
    int bad = 0, oom = 0;
    uint64_t ring[BOOK_AHEAD];
    Py_BEGIN_ALLOW_THREADS /* the caller holds the book's lock */
    for (Py_ssize_t i = 0, next = 0; i < n; i++) {
        for (; next < n && next <= i + BOOK_AHEAD - 1; next++) {
            const char *p;
            Py_ssize_t len;
            if (!column_value(c, next, &p, &len)) {
                bad = 1;
                break;
            }
            uint64_t h = hash_bytes(p, len);
            ring[next % BOOK_AHEAD] = h;
            __builtin_prefetch(b->slots + (h & (uint64_t)(b->cap - 1)));
        }
        if (bad)
            break;
        const char *p = NULL;
        Py_ssize_t len = 0;
        column_value(c, i, &p, &len); /* checked when hashed */
        int64_t id = book_add(b, p, len, ring[i % BOOK_AHEAD]);
        if (id == -1) {
            oom = 1;
            break;
        }
        ids[i] = (int32_t)id; /* -2: too long to be an address */
    }
    Py_END_ALLOW_THREADS
    if (bad || oom) {
        Py_DECREF(out);
        if (bad)
            PyErr_Format(PyExc_ValueError, "%s(): offsets outside the data", name);
        else
            PyErr_NoMemory();
        return NULL;
    }
    return Py_BuildValue("(NL)", out, (long long)before);
}

/* book_intern(book, offsets, data, large) -> (ids as int32 bytes, number of ids before): one id per Arrow
 * string (offsets 32-bit, or 64-bit when large), new values added */
static PyObject *book_intern(PyObject *self, PyObject *args) {
    PyObject *cap, *offs_o, *data_o;
    int large;
    if (!PyArg_ParseTuple(args, "OOOp", &cap, &offs_o, &data_o, &large))
        return NULL;
    book_t *b = PyCapsule_GetPointer(cap, "netvet.book");
    if (!b)
        return NULL;
    buf_t ob, db;
    memset(&ob, 0, sizeof(ob));
    memset(&db, 0, sizeof(db));
    PyObject *result = NULL;
    if (get_buf(offs_o, &ob, large ? 8 : 4, -1, "offsets") && get_buf(data_o, &db, 1, -1, "data")) {
        Py_ssize_t n = ENTRIES(ob) - 1;
        column_t c = {(const char *)db.view.buf, db.view.len, ob.view.buf, large, 0};
        if (n < 0)
            PyErr_SetString(PyExc_ValueError, "book_intern(): no offsets");
        else
            result = book_intern_column(b, &c, n, "book_intern");
    }
    rel(&ob);
    rel(&db);
    return result;
}

/* book_intern_fixed(book, data, width) -> (ids as int32 bytes, number of ids before): one id per value of
 * a column of fixed-width binary values (16-byte IPv6 / IPv4-mapped addresses), new values added */
static PyObject *book_intern_fixed(PyObject *self, PyObject *args) {
    PyObject *cap, *data_o;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "OOn", &cap, &data_o, &width))
        return NULL;
    book_t *b = PyCapsule_GetPointer(cap, "netvet.book");
    if (!b)
        return NULL;
    if (width < 1 || width > INLINE) {
        PyErr_SetString(PyExc_ValueError, "book_intern_fixed(): width must be 1 to 50 bytes");
        return NULL;
    }
    buf_t db;
    memset(&db, 0, sizeof(db));
    PyObject *result = NULL;
    if (get_buf(data_o, &db, 1, -1, "data")) {
        Py_ssize_t n = db.view.len / width;
        column_t c = {(const char *)db.view.buf, db.view.len, NULL, 0, width};
        if (n * width != db.view.len)
            PyErr_SetString(PyExc_ValueError, "book_intern_fixed(): data is not a whole number of values");
        else
            result = book_intern_column(b, &c, n, "book_intern_fixed");
    }
    rel(&db);
    return result;
}

static PyMethodDef methods[] = {
    {"cells", cells, METH_VARARGS, "Aggregate dictionary-coded flow records into (unit, hour, class) cells."},
    {"cells_new", cells_new, METH_NOARGS, "A new, empty cell accumulator for cells(..., acc)."},
    {"cells_rows", cells_rows, METH_VARARGS, "(rows as bytes, count) of a cell accumulator."},
    {"cells_merge", cells_merge, METH_VARARGS, "Add the cells of one accumulator to another."},
    {"cells_hosts", cells_hosts, METH_VARARGS, "Take the host rows kept in a cell accumulator."},
    {"sides", sides, METH_VARARGS, "Aggregate host rows and evidence entries of dictionary-coded flow records."},
    {"book_new", book_new, METH_NOARGS, "A new, empty address book (strings -> dense ids)."},
    {"book_intern", book_intern, METH_VARARGS, "Dense ids of Arrow strings (offsets, data), new ones added."},
    {"book_intern_fixed", book_intern_fixed, METH_VARARGS, "Dense ids of fixed-width binary values, new ones added."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_flowagg", NULL, -1, methods};

PyMODINIT_FUNC PyInit__flowagg(void) { return PyModule_Create(&module); }
