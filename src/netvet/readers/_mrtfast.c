/*
 * _mrtfast: the hot loop of netvet's MRT reader in C (optional; netvet/readers/mrt/fast.py drives it).
 *
 * TableBuilder holds the columns of a RouteTable in growable C buffers and de-duplicates AS paths
 * (a hash table over the CSR path arrays). It decodes:
 *
 *   rib()  the entries of one TABLE_DUMP_V2 RIB record that the Python parser dispatched;
 * RibText writes `bgpdump -m` text instead of columns (netvet routes dump; see its comment below).
 *
 *   run()  a run of consecutive records straight from the parser's input buffer: TABLE_DUMP_V2 RIB
 *          records that are whole and structurally sound, and BGP4MP(_ET) MESSAGE records that are
 *          plainly well formed throughout (bgp4mp_record); the Python record loop takes over at
 *          anything else (other record types, damage, the end of the buffer).
 *
 * Attribute blocks: a block not seen yet is decoded here when it is well formed in every way the
 * Python parser checks (MrtParser._parse_attrs); any other block is handed to the Python parser (the
 * fallback callable), so every problem and warning is found and worded by the same code, in the same
 * order, as in the pure-Python engine. RIB blocks decoded here are cached here; blocks handed back
 * are cached by the parser in its own dict; the two together follow the parser's rule exactly (one
 * cache of at most cache_max blocks, emptied when a new block would exceed it), so that a block the
 * parser warns about is warned about just as often. BGP4MP blocks decoded here are entered in the
 * parser's own attribute cache (as a placeholder the parser parses if it ever asks for it).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------------------- buffers */
typedef struct {
    char *p;
    Py_ssize_t len; /* bytes used */
    Py_ssize_t cap;
} Buf;

static int buf_reserve(Buf *b, Py_ssize_t extra) {
    if (b->len + extra <= b->cap)
        return 0;
    Py_ssize_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra)
        cap *= 2;
    char *np = PyMem_Realloc(b->p, (size_t)cap);
    if (np == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = np;
    b->cap = cap;
    return 0;
}

static void buf_free(Buf *b) {
    PyMem_Free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

#define BUF_PUT(buf, type, value)                                                                                 \
    do {                                                                                                          \
        *(type *)((buf).p + (buf).len) = (type)(value);                                                           \
        (buf).len += (Py_ssize_t)sizeof(type);                                                                    \
    } while (0)

/* RouteTable columns, in model.route.ROUTE_COLUMNS order */
enum { C_KIND, C_TS, C_USEC, C_PEER_INDEX, C_PEER_AS, C_FAMILY, C_HI, C_LO, C_PLEN, C_SAFI, C_PATH_ID, C_ORIGIN,
       C_PATH_INDEX, C_OFFSET, N_COLS };
static const char *COL_NAMES[N_COLS] = {
    "kind", "timestamp", "microseconds", "peer_index", "peer_as", "family", "prefix_hi", "prefix_lo",
    "prefix_len", "safi", "path_id", "origin_asn", "path_index", "offset",
};
static const int COL_SIZE[N_COLS] = {1, 4, 4, 4, 4, 1, 8, 8, 1, 1, 4, 4, 4, 8};

/* path_marks values (model.route) */
#define MARK_SEQ 0
#define MARK_SET_FIRST 1
#define MARK_SET_NEXT 2
#define MARK_CONFED_SEQ 3
#define MARK_CONFED_SET_FIRST 4
#define MARK_CONFED_SET_NEXT 5

#define MAX_RECORD (64 << 20) /* mrt.MAX_RECORD */

static inline uint16_t be16(const unsigned char *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* ------------------------------------------------------------------------------------- hashing */
static inline uint64_t mix(uint64_t h, const unsigned char *p, Py_ssize_t n) {
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, p, (size_t)n);
        h = (h ^ w ^ ((uint64_t)n << 56)) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    return h;
}

static inline uint64_t fmix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* attribute block cache: open addressing; blocks' bytes in an arena */
typedef struct {
    uint64_t hash;
    Py_ssize_t off; /* into the arena; -1: empty */
    uint32_t len;
    uint32_t origin;
    int32_t path;
} BlockSlot;

typedef struct {
    BlockSlot *slots;
    Py_ssize_t cap; /* power of two (0 before first use) */
    Py_ssize_t size;
    Buf arena;
} BlockCache;

static void bc_empty_slots(BlockSlot *s, Py_ssize_t cap) {
    for (Py_ssize_t i = 0; i < cap; i++)
        s[i].off = -1;
}

static void bc_clear(BlockCache *c) {
    if (c->slots)
        bc_empty_slots(c->slots, c->cap);
    c->size = 0;
    c->arena.len = 0;
}

static void bc_free(BlockCache *c) {
    PyMem_Free(c->slots);
    c->slots = NULL;
    c->cap = c->size = 0;
    buf_free(&c->arena);
}

static BlockSlot *bc_find(BlockCache *c, uint64_t hash, const unsigned char *blk, Py_ssize_t n) {
    if (c->cap == 0)
        return NULL;
    Py_ssize_t mask = c->cap - 1;
    for (Py_ssize_t i = (Py_ssize_t)(hash & (uint64_t)mask);; i = (i + 1) & mask) {
        BlockSlot *s = &c->slots[i];
        if (s->off < 0)
            return NULL;
        if (s->hash == hash && s->len == (uint32_t)n && memcmp(c->arena.p + s->off, blk, (size_t)n) == 0)
            return s;
    }
}

static int bc_grow(BlockCache *c) {
    Py_ssize_t cap = c->cap ? c->cap * 2 : 4096;
    BlockSlot *slots = PyMem_Malloc(sizeof(BlockSlot) * (size_t)cap);
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    bc_empty_slots(slots, cap);
    Py_ssize_t mask = cap - 1;
    for (Py_ssize_t j = 0; j < c->cap; j++) {
        BlockSlot *s = &c->slots[j];
        if (s->off < 0)
            continue;
        Py_ssize_t i = (Py_ssize_t)(s->hash & (uint64_t)mask);
        while (slots[i].off >= 0)
            i = (i + 1) & mask;
        slots[i] = *s;
    }
    PyMem_Free(c->slots);
    c->slots = slots;
    c->cap = cap;
    return 0;
}

static int bc_insert(BlockCache *c, uint64_t hash, const unsigned char *blk, Py_ssize_t n, int32_t path,
                     uint32_t origin) {
    if ((c->size + 1) * 2 > c->cap && bc_grow(c) < 0)
        return -1;
    if (buf_reserve(&c->arena, n) < 0)
        return -1;
    Py_ssize_t mask = c->cap - 1;
    Py_ssize_t i = (Py_ssize_t)(hash & (uint64_t)mask);
    while (c->slots[i].off >= 0)
        i = (i + 1) & mask;
    BlockSlot *s = &c->slots[i];
    s->hash = hash;
    s->off = c->arena.len;
    s->len = (uint32_t)n;
    s->path = path;
    s->origin = origin;
    memcpy(c->arena.p + c->arena.len, blk, (size_t)n);
    c->arena.len += n;
    c->size++;
    return 0;
}

/* ------------------------------------------------------------------------------------- the type */
typedef struct {
    PyObject_HEAD
    Buf cols[N_COLS];
    Py_ssize_t rows;
    /* unique paths, CSR style, and a hash table of path indexes (-1: empty) */
    Buf path_offsets; /* int64, starts with 0 */
    Buf path_asns;    /* uint32 */
    Buf path_marks;   /* uint8 */
    Buf path_origin;  /* uint32 */
    Buf path_hash;    /* uint64 per path */
    int32_t *ptab;
    Py_ssize_t ptab_cap;
    Py_ssize_t n_paths;
    /* scratch for decoding one path */
    Buf s_asns, s_marks;
    /* peers of the current PEER_INDEX_TABLE: table peer index (-1 unknown yet) and peer AS */
    int64_t *peer_map;
    uint32_t *peer_as;
    Py_ssize_t npeers;
    int have_peers;
    /* attribute blocks decoded here */
    BlockCache blocks;
    /* RIB context (set_context) */
    PyObject *cache;    /* the parser's dict: block bytes -> slot list [attrs, next hop, path index, origin] */
    Py_ssize_t cache_max;
    PyObject *fallback; /* callable(block, i, count, offset) -> slot list or None (the Python parser) */
    PyObject *new_peer; /* callable(peer index in the PEER_INDEX_TABLE) -> table peer index */
    PyObject *bad_peer; /* callable(i, peer index, offset) -> None (reports the problem) */
    /* BGP4MP context (set_update_context) */
    PyObject *attr_cache; /* the parser's dict: (block, asn size, addpath, rib) -> parsed attributes */
    PyObject *pending;    /* the value that marks a block decoded here (the parser parses it when asked) */
    PyObject *bgp_peer;   /* callable(peer address bytes, peer AS) -> table peer index */
    PyObject *peer_keys;  /* dict: address bytes + AS -> table peer index */
    /* counters (informative) */
    Py_ssize_t decoded_here, handed_back, batched_records, batched_messages;
} TableBuilder;

static int TB_init(TableBuilder *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "", kwlist))
        return -1;
    if (self->path_offsets.len) {
        PyErr_SetString(PyExc_RuntimeError, "TableBuilder cannot be initialised twice");
        return -1;
    }
    if (buf_reserve(&self->path_offsets, 8) < 0)
        return -1;
    BUF_PUT(self->path_offsets, int64_t, 0);
    return 0;
}

static int TB_traverse(TableBuilder *self, visitproc visit, void *arg) {
    Py_VISIT(self->cache);
    Py_VISIT(self->fallback);
    Py_VISIT(self->new_peer);
    Py_VISIT(self->bad_peer);
    Py_VISIT(self->attr_cache);
    Py_VISIT(self->pending);
    Py_VISIT(self->bgp_peer);
    Py_VISIT(self->peer_keys);
    return 0;
}

static int TB_clear(TableBuilder *self) {
    Py_CLEAR(self->cache);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->new_peer);
    Py_CLEAR(self->bad_peer);
    Py_CLEAR(self->attr_cache);
    Py_CLEAR(self->pending);
    Py_CLEAR(self->bgp_peer);
    Py_CLEAR(self->peer_keys);
    return 0;
}

static void TB_dealloc(TableBuilder *self) {
    PyObject_GC_UnTrack(self);
    TB_clear(self);
    for (int c = 0; c < N_COLS; c++)
        buf_free(&self->cols[c]);
    buf_free(&self->path_offsets);
    buf_free(&self->path_asns);
    buf_free(&self->path_marks);
    buf_free(&self->path_origin);
    buf_free(&self->path_hash);
    PyMem_Free(self->ptab);
    buf_free(&self->s_asns);
    buf_free(&self->s_marks);
    PyMem_Free(self->peer_map);
    PyMem_Free(self->peer_as);
    bc_free(&self->blocks);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int reserve_rows(TableBuilder *self, Py_ssize_t n) {
    for (int c = 0; c < N_COLS; c++)
        if (buf_reserve(&self->cols[c], n * COL_SIZE[c]) < 0)
            return -1;
    return 0;
}

/* one row; the caller has reserved room */
static inline void put_row(TableBuilder *self, uint8_t kind, uint32_t ts, uint32_t usec, uint32_t peer_index,
                           uint32_t peer_as, uint8_t family, uint64_t hi, uint64_t lo, uint8_t plen, uint8_t safi,
                           uint32_t path_id, uint32_t origin, int32_t path_index, int64_t offset) {
    Buf *c = self->cols;
    BUF_PUT(c[C_KIND], uint8_t, kind);
    BUF_PUT(c[C_TS], uint32_t, ts);
    BUF_PUT(c[C_USEC], uint32_t, usec);
    BUF_PUT(c[C_PEER_INDEX], uint32_t, peer_index);
    BUF_PUT(c[C_PEER_AS], uint32_t, peer_as);
    BUF_PUT(c[C_FAMILY], uint8_t, family);
    BUF_PUT(c[C_HI], uint64_t, hi);
    BUF_PUT(c[C_LO], uint64_t, lo);
    BUF_PUT(c[C_PLEN], uint8_t, plen);
    BUF_PUT(c[C_SAFI], uint8_t, safi);
    BUF_PUT(c[C_PATH_ID], uint32_t, path_id);
    BUF_PUT(c[C_ORIGIN], uint32_t, origin);
    BUF_PUT(c[C_PATH_INDEX], int32_t, path_index);
    BUF_PUT(c[C_OFFSET], int64_t, offset);
    self->rows++;
}

/* ------------------------------------------------------------------------------------- paths */
static uint32_t origin_of(const uint32_t *asns, const uint8_t *marks, Py_ssize_t n) {
    Py_ssize_t i = n - 1;
    while (i >= 0 && marks[i] >= MARK_CONFED_SEQ)
        i--;
    if (i < 0)
        return 0;
    if (marks[i] == MARK_SEQ || marks[i] == MARK_SET_FIRST)
        return asns[i];
    return 0;
}

static int ptab_grow(TableBuilder *self) {
    Py_ssize_t cap = self->ptab_cap ? self->ptab_cap * 2 : 4096;
    int32_t *tab = PyMem_Malloc(sizeof(int32_t) * (size_t)cap);
    if (tab == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < cap; i++)
        tab[i] = -1;
    const uint64_t *hashes = (const uint64_t *)self->path_hash.p;
    Py_ssize_t mask = cap - 1;
    for (Py_ssize_t k = 0; k < self->n_paths; k++) {
        Py_ssize_t i = (Py_ssize_t)(hashes[k] & (uint64_t)mask);
        while (tab[i] >= 0)
            i = (i + 1) & mask;
        tab[i] = (int32_t)k;
    }
    PyMem_Free(self->ptab);
    self->ptab = tab;
    self->ptab_cap = cap;
    return 0;
}

/* index and origin of an encoded path, adding it when new (model.route.RouteTableBuilder.path); -1 on error */
static int intern_path(TableBuilder *self, const uint32_t *asns, const uint8_t *marks, Py_ssize_t n,
                       int32_t *idx_out, uint32_t *origin_out) {
    uint64_t h = fmix(mix(mix(0x51ED270B27ULL ^ (uint64_t)n, (const unsigned char *)asns, 4 * n), marks, n));
    if ((self->n_paths + 1) * 2 > self->ptab_cap && ptab_grow(self) < 0)
        return -1;
    const int64_t *offs = (const int64_t *)self->path_offsets.p;
    const uint64_t *hashes = (const uint64_t *)self->path_hash.p;
    Py_ssize_t mask = self->ptab_cap - 1;
    Py_ssize_t i = (Py_ssize_t)(h & (uint64_t)mask);
    for (;; i = (i + 1) & mask) {
        int32_t k = self->ptab[i];
        if (k < 0)
            break;
        if (hashes[k] != h || offs[k + 1] - offs[k] != n)
            continue;
        if (memcmp(self->path_asns.p + 4 * offs[k], asns, (size_t)(4 * n)) == 0 &&
            memcmp(self->path_marks.p + offs[k], marks, (size_t)n) == 0) {
            *idx_out = k;
            *origin_out = ((const uint32_t *)self->path_origin.p)[k];
            return 0;
        }
    }
    if (self->n_paths >= INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "too many distinct AS paths for an int32 path index");
        return -1;
    }
    if (buf_reserve(&self->path_asns, 4 * n) < 0 || buf_reserve(&self->path_marks, n) < 0 ||
        buf_reserve(&self->path_offsets, 8) < 0 || buf_reserve(&self->path_origin, 4) < 0 ||
        buf_reserve(&self->path_hash, 8) < 0)
        return -1;
    if (n) {
        memcpy(self->path_asns.p + self->path_asns.len, asns, (size_t)(4 * n));
        memcpy(self->path_marks.p + self->path_marks.len, marks, (size_t)n);
    }
    self->path_asns.len += 4 * n;
    self->path_marks.len += n;
    BUF_PUT(self->path_offsets, int64_t, self->path_asns.len / 4);
    uint32_t origin = origin_of(asns, marks, n);
    BUF_PUT(self->path_origin, uint32_t, origin);
    BUF_PUT(self->path_hash, uint64_t, h);
    int32_t idx = (int32_t)self->n_paths++;
    self->ptab[i] = idx;
    *idx_out = idx;
    *origin_out = origin;
    return 0;
}

/* ------------------------------------------------------------------------------------- attributes */
/* Do the AS path segments in d[p:end] decode with `size`-byte ASNs as mrt._decode_segments does? */
static int segments_ok(const unsigned char *d, Py_ssize_t p, Py_ssize_t end, int size) {
    while (p < end) {
        if (p + 2 > end)
            return 0;
        unsigned seg_type = d[p], count = d[p + 1];
        if (seg_type < 1 || seg_type > 4)
            return 0;
        p += 2 + (Py_ssize_t)size * count;
        if (p > end)
            return 0;
    }
    return 1;
}

/* Is d[p:end] an NLRI field that mrt._nlri decodes without error? Returns the prefix count or -1. */
static Py_ssize_t nlri_ok(const unsigned char *d, Py_ssize_t p, Py_ssize_t end, int afi, int addpath) {
    unsigned maxlen = afi == 1 ? 32 : 128;
    Py_ssize_t n = 0;
    while (p < end) {
        if (addpath) {
            if (p + 5 > end)
                return -1;
            p += 4;
        }
        unsigned plen = d[p];
        if (plen > maxlen)
            return -1;
        p += 1 + ((plen + 7) >> 3);
        if (p > end)
            return -1;
        n++;
    }
    return n;
}

static inline int ip_safi(unsigned safi) { return safi >= 1 && safi <= 3; }

/* where the parts the table needs are in a well-formed attribute block */
typedef struct {
    Py_ssize_t path_at, path_end; /* AS_PATH value; path_at -1: none */
    int reach_afi, reach_safi;    /* full MP_REACH_NLRI (updates): afi 0 when absent */
    Py_ssize_t reach_at, reach_end;
    int unreach_afi, unreach_safi; /* MP_UNREACH_NLRI: afi 0 when absent */
    Py_ssize_t unreach_at, unreach_end;
} BlockInfo;

/*
 * Is this attribute block plainly well formed, as MrtParser._parse_attrs(data, asn_size, addpath, rib)
 * would find it: no error, no warning, no AS4 merge? Returns 1 (and fills *info) or 0 (decline: the
 * Python parser decodes the block and reports what it finds).
 *
 * RIB blocks (rib=1, asn_size 4): MP_REACH only in its abbreviated form (the parser keeps track of
 * the full one), no MP_UNREACH. UPDATE blocks (rib=0): MP_REACH/MP_UNREACH of IPv4/IPv6 unicast or
 * multicast with NLRI that decode; with 2-byte ASNs no AS4_PATH (the RFC 6793 merge stays in Python).
 */
static int check_block(const unsigned char *d, Py_ssize_t n, int asn_size, int addpath, int rib, BlockInfo *info) {
    uint64_t seen[4] = {0, 0, 0, 0};
    Py_ssize_t p = 0;
    memset(info, 0, sizeof *info);
    info->path_at = -1;
    while (p < n) {
        if (p + 3 > n)
            return 0;
        unsigned flags = d[p], typ = d[p + 1];
        Py_ssize_t alen;
        if (flags & 0x10) {
            if (p + 4 > n)
                return 0;
            alen = be16(d + p + 2);
            p += 4;
        } else {
            alen = d[p + 2];
            p += 3;
        }
        Py_ssize_t end = p + alen;
        if (end > n)
            return 0;
        if (seen[typ >> 6] & (1ULL << (typ & 63)))
            return 0; /* duplicate attribute: Python warns */
        seen[typ >> 6] |= 1ULL << (typ & 63);
        switch (typ) {
        case 2: /* AS_PATH */
            if (alen < 2) {
                /* Python reads data[p + 1] first: an IndexError at the very end of the block; alen 1 is an
                 * error; an empty path (alen 0) inside the block decodes to no segments */
                if (alen == 1 || p + 1 >= n)
                    return 0;
            } else if (!segments_ok(d, p, end, asn_size)) {
                return 0; /* Python tries the other ASN size (a warning) or reports the block */
            }
            info->path_at = p;
            info->path_end = end;
            break;
        case 1:
            if (alen != 1)
                return 0;
            break;
        case 3:
        case 4:
        case 5:
            if (alen != 4)
                return 0;
            break;
        case 6:
            break;
        case 7:
            if (alen != 6 && alen != 8)
                return 0;
            break;
        case 8:
            if (alen % 4)
                return 0;
            break;
        case 14: /* MP_REACH_NLRI */
            if (rib) { /* only the abbreviated RIB form (next hop length, next hop) */
                if (alen == 0 || d[p] == 0)
                    return 0;
                if (p + 1 + d[p] > end)
                    return 0;
            } else {
                if (p + 5 > end)
                    return 0;
                unsigned afi = be16(d + p), safi = d[p + 2];
                Py_ssize_t q = p + 4 + d[p + 3];
                if (q + 1 > end)
                    return 0;
                unsigned snpa = d[q++];
                for (unsigned k = 0; k < snpa; k++) {
                    if (q >= end)
                        return 0;
                    q += 1 + (d[q] + 1) / 2;
                }
                if ((afi != 1 && afi != 2) || !ip_safi(safi))
                    return 0; /* counted and skipped by Python */
                if (q < end && nlri_ok(d, q, end, (int)afi, addpath) < 0)
                    return 0;
                info->reach_afi = (int)afi;
                info->reach_safi = (int)safi;
                info->reach_at = q;
                info->reach_end = end;
            }
            break;
        case 15: /* MP_UNREACH_NLRI */
            if (rib || p + 3 > end)
                return 0;
            {
                unsigned afi = be16(d + p), safi = d[p + 2];
                if ((afi != 1 && afi != 2) || !ip_safi(safi))
                    return 0;
                if (nlri_ok(d, p + 3, end, (int)afi, addpath) < 0)
                    return 0;
                info->unreach_afi = (int)afi;
                info->unreach_safi = (int)safi;
                info->unreach_at = p + 3;
                info->unreach_end = end;
            }
            break;
        case 17: /* AS4_PATH: validated only with 4-byte ASNs; merged (in Python) with 2-byte ones */
            if (asn_size == 2 || !segments_ok(d, p, end, 4))
                return 0;
            break;
        case 18:
            if (alen != 8)
                return 0;
            break;
        case 32:
            if (alen % 12)
                return 0;
            break;
        default:
            break;
        }
        p = end;
    }
    return 1;
}

/* the path index and origin of a checked block's AS_PATH (model.route.encode_segments) */
static int intern_block_path(TableBuilder *self, const unsigned char *d, const BlockInfo *info, int asn_size,
                             int32_t *idx_out, uint32_t *origin_out) {
    Py_ssize_t count = 0;
    Py_ssize_t max_asns = info->path_at >= 0 ? (info->path_end - info->path_at) / asn_size + 1 : 1;
    if (buf_reserve(&self->s_asns, 4 * max_asns) < 0 || buf_reserve(&self->s_marks, max_asns) < 0)
        return -1;
    uint32_t *asns = (uint32_t *)self->s_asns.p;
    uint8_t *marks = (uint8_t *)self->s_marks.p;
    if (info->path_at >= 0) {
        Py_ssize_t q = info->path_at;
        while (q < info->path_end) {
            unsigned seg_type = d[q], cnt = d[q + 1];
            q += 2;
            for (unsigned j = 0; j < cnt; j++, q += asn_size) {
                asns[count] = asn_size == 4 ? be32(d + q) : be16(d + q);
                uint8_t m;
                if (seg_type == 2)
                    m = MARK_SEQ;
                else if (seg_type == 3)
                    m = MARK_CONFED_SEQ;
                else if (seg_type == 1)
                    m = j ? MARK_SET_NEXT : MARK_SET_FIRST;
                else
                    m = j ? MARK_CONFED_SET_NEXT : MARK_CONFED_SET_FIRST;
                marks[count++] = m;
            }
        }
    }
    return intern_path(self, asns, marks, count, idx_out, origin_out);
}

/* A TABLE_DUMP_V2 RIB attribute block: 1 decoded (path index and origin), 0 declined, -1 error. */
static int decode_rib_block(TableBuilder *self, const unsigned char *d, Py_ssize_t n, int32_t *idx_out,
                            uint32_t *origin_out) {
    BlockInfo info;
    if (!check_block(d, n, 4, 0, 1, &info))
        return 0;
    return intern_block_path(self, d, &info, 4, idx_out, origin_out) < 0 ? -1 : 1;
}

/* read slot[2] (path index) and slot[3] (origin) of a parser cache slot list */
static int slot_values(PyObject *slot, int32_t *idx, uint32_t *origin) {
    if (!PyList_Check(slot) || PyList_GET_SIZE(slot) < 4) {
        PyErr_SetString(PyExc_TypeError, "RIB cache slot must be a list [attrs, next hop, path index, origin]");
        return -1;
    }
    long i = PyLong_AsLong(PyList_GET_ITEM(slot, 2));
    if (i == -1 && PyErr_Occurred())
        return -1;
    unsigned long o = PyLong_AsUnsignedLong(PyList_GET_ITEM(slot, 3));
    if (o == (unsigned long)-1 && PyErr_Occurred())
        return -1;
    *idx = (int32_t)i;
    *origin = (uint32_t)o;
    return 0;
}

/* The (path index, origin) of an attribute block, as MrtParser._rib_entries/_rib_slot find it.
 * Returns 1 found, 0 the parser rejected the block (reported; the entry is skipped), -1 error. */
static int block_values(TableBuilder *self, const unsigned char *blk, Py_ssize_t n, Py_ssize_t i,
                        Py_ssize_t count, long long offset, int32_t *path, uint32_t *origin) {
    uint64_t h = fmix(mix(0xB10C ^ (uint64_t)n, blk, n));
    BlockSlot *s = bc_find(&self->blocks, h, blk, n);
    if (s != NULL) {
        *path = s->path;
        *origin = s->origin;
        return 1;
    }
    int r = decode_rib_block(self, blk, n, path, origin);
    if (r < 0)
        return -1;
    if (r == 1) { /* a new block: the parser's insertion rule over both caches */
        self->decoded_here++;
        if (PyDict_GET_SIZE(self->cache) + self->blocks.size > self->cache_max) {
            PyDict_Clear(self->cache);
            bc_clear(&self->blocks);
        }
        return bc_insert(&self->blocks, h, blk, n, *path, *origin) < 0 ? -1 : 1;
    }
    /* not decoded here: the parser's cache, then the parser */
    PyObject *key = PyBytes_FromStringAndSize((const char *)blk, n);
    if (key == NULL)
        return -1;
    PyObject *slot = PyDict_GetItemWithError(self->cache, key); /* borrowed */
    if (slot != NULL) {
        Py_DECREF(key);
        return slot_values(slot, path, origin) < 0 ? -1 : 1;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return -1;
    }
    self->handed_back++;
    PyObject *got = PyObject_CallFunction(self->fallback, "OnnL", key, i, count, offset);
    Py_DECREF(key);
    if (got == NULL)
        return -1;
    if (got == Py_None) {
        Py_DECREF(got);
        return 0;
    }
    int rc = slot_values(got, path, origin);
    Py_DECREF(got);
    return rc < 0 ? -1 : 1;
}

/* the table peer index of PEER_INDEX_TABLE entry pidx (< npeers); -1 on error */
static inline int64_t table_peer(TableBuilder *self, unsigned pidx) {
    int64_t tp = self->peer_map[pidx];
    if (tp >= 0)
        return tp;
    PyObject *r = PyObject_CallFunction(self->new_peer, "I", pidx);
    if (r == NULL)
        return -1;
    tp = PyLong_AsLongLong(r);
    Py_DECREF(r);
    if (tp < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "new_peer returned a negative index");
        return -1;
    }
    self->peer_map[pidx] = tp;
    return tp;
}

/*
 * The entries of one RIB record, from d[p] (just after the entry count) to n. Returns the error code
 * (0 none; 1 entry *ei truncated; 2 the attributes of entry *ei declare *ea bytes and *eb remain) or
 * -1 on a Python error; *pp is left after the last entry read.
 */
static int walk_entries(TableBuilder *self, const unsigned char *d, Py_ssize_t *pp, Py_ssize_t n, Py_ssize_t count,
                        int addpath, uint32_t ts, uint8_t family, uint8_t safi, uint64_t hi, uint64_t lo,
                        uint8_t plen, long long offset, Py_ssize_t *ei, Py_ssize_t *ea, Py_ssize_t *eb) {
    Py_ssize_t p = *pp;
    Py_ssize_t esize = addpath ? 12 : 8;
    int err = 0;
    Py_ssize_t i;
    if (reserve_rows(self, count) < 0)
        return -1;
    for (i = 0; i < count; i++) {
        if (p + esize > n) {
            err = 1;
            break;
        }
        unsigned pidx = be16(d + p);
        uint32_t path_id = addpath ? be32(d + p + 6) : 0;
        Py_ssize_t alen = be16(d + p + esize - 2);
        p += esize;
        if (p + alen > n) {
            err = 2;
            *ea = alen;
            *eb = n - p;
            break;
        }
        int32_t path;
        uint32_t origin;
        int r = block_values(self, d + p, alen, i, count, offset, &path, &origin);
        p += alen;
        if (r < 0) {
            *pp = p;
            return -1;
        }
        if (r == 0)
            continue; /* the parser reported the block */
        if ((Py_ssize_t)pidx >= self->npeers) {
            PyObject *res = PyObject_CallFunction(self->bad_peer, "nIL", i, pidx, offset);
            if (res == NULL) {
                *pp = p;
                return -1;
            }
            Py_DECREF(res);
            continue;
        }
        int64_t tp = table_peer(self, pidx);
        if (tp < 0 || reserve_rows(self, 1) < 0) {
            *pp = p;
            return -1;
        }
        put_row(self, 0, ts, 0, (uint32_t)tp, self->peer_as[pidx], family, hi, lo, plen, safi, path_id, origin, path,
                offset);
    }
    *pp = p;
    *ei = i;
    return err;
}

static void prefix_words(int afi, const unsigned char *pb, int nb, uint64_t *hi, uint64_t *lo) {
    unsigned char full[16];
    memset(full, 0, sizeof full);
    memcpy(full, pb, (size_t)nb);
    if (afi == 1) {
        *hi = 0;
        *lo = be32(full);
    } else {
        *hi = ((uint64_t)be32(full) << 32) | be32(full + 4);
        *lo = ((uint64_t)be32(full + 8) << 32) | be32(full + 12);
    }
}

/* ------------------------------------------------------------------------------------- methods */
static PyObject *TB_set_context(TableBuilder *self, PyObject *args) {
    PyObject *cache, *fallback, *new_peer, *bad_peer;
    Py_ssize_t cache_max;
    if (!PyArg_ParseTuple(args, "O!nOOO:set_context", &PyDict_Type, &cache, &cache_max, &fallback, &new_peer,
                          &bad_peer))
        return NULL;
    Py_INCREF(cache);
    Py_XSETREF(self->cache, cache);
    Py_INCREF(fallback);
    Py_XSETREF(self->fallback, fallback);
    Py_INCREF(new_peer);
    Py_XSETREF(self->new_peer, new_peer);
    Py_INCREF(bad_peer);
    Py_XSETREF(self->bad_peer, bad_peer);
    self->cache_max = cache_max;
    Py_RETURN_NONE;
}

static PyObject *TB_set_peers(TableBuilder *self, PyObject *arg) {
    PyObject *seq = PySequence_Fast(arg, "set_peers needs a sequence of peer AS numbers");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int64_t *map = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    uint32_t *as = PyMem_Malloc(sizeof(uint32_t) * (size_t)(n ? n : 1));
    if (map == NULL || as == NULL) {
        PyMem_Free(map);
        PyMem_Free(as);
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned long v = PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(seq, i));
        if (v == (unsigned long)-1 && PyErr_Occurred()) {
            PyMem_Free(map);
            PyMem_Free(as);
            Py_DECREF(seq);
            return NULL;
        }
        map[i] = -1;
        as[i] = (uint32_t)v;
    }
    Py_DECREF(seq);
    PyMem_Free(self->peer_map);
    PyMem_Free(self->peer_as);
    self->peer_map = map;
    self->peer_as = as;
    self->npeers = n;
    self->have_peers = 1;
    Py_RETURN_NONE;
}

static PyObject *TB_add(TableBuilder *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != N_COLS) {
        PyErr_Format(PyExc_TypeError, "add takes %d arguments", N_COLS);
        return NULL;
    }
    unsigned long long v[N_COLS];
    for (int c = 0; c < N_COLS; c++) {
        if (c == C_PATH_INDEX || c == C_OFFSET) {
            long long s = PyLong_AsLongLong(args[c]);
            if (s == -1 && PyErr_Occurred())
                return NULL;
            v[c] = (unsigned long long)s;
        } else {
            v[c] = PyLong_AsUnsignedLongLong(args[c]);
            if (v[c] == (unsigned long long)-1 && PyErr_Occurred())
                return NULL;
        }
    }
    if (reserve_rows(self, 1) < 0)
        return NULL;
    put_row(self, (uint8_t)v[0], (uint32_t)v[1], (uint32_t)v[2], (uint32_t)v[3], (uint32_t)v[4], (uint8_t)v[5],
            v[6], v[7], (uint8_t)v[8], (uint8_t)v[9], (uint32_t)v[10], (uint32_t)v[11], (int32_t)(long long)v[12],
            (int64_t)v[13]);
    Py_RETURN_NONE;
}

static PyObject *TB_path(TableBuilder *self, PyObject *args) {
    PyObject *asns_o, *marks_o;
    if (!PyArg_ParseTuple(args, "OO:path", &asns_o, &marks_o))
        return NULL;
    PyObject *asns = PySequence_Fast(asns_o, "asns must be a sequence");
    if (asns == NULL)
        return NULL;
    PyObject *marks = PySequence_Fast(marks_o, "marks must be a sequence");
    if (marks == NULL) {
        Py_DECREF(asns);
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(asns);
    PyObject *result = NULL;
    if (PySequence_Fast_GET_SIZE(marks) != n) {
        PyErr_SetString(PyExc_ValueError, "asns and marks differ in length");
        goto done;
    }
    if (buf_reserve(&self->s_asns, 4 * n + 4) < 0 || buf_reserve(&self->s_marks, n + 1) < 0)
        goto done;
    uint32_t *a = (uint32_t *)self->s_asns.p;
    uint8_t *m = (uint8_t *)self->s_marks.p;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned long x = PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(asns, i));
        unsigned long y = PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(marks, i));
        if (PyErr_Occurred())
            goto done;
        a[i] = (uint32_t)x;
        m[i] = (uint8_t)y;
    }
    int32_t idx;
    uint32_t origin;
    if (intern_path(self, a, m, n, &idx, &origin) < 0)
        goto done;
    result = Py_BuildValue("(ik)", idx, (unsigned long)origin);
done:
    Py_DECREF(asns);
    Py_DECREF(marks);
    return result;
}

static int context_ready(TableBuilder *self) {
    if (self->cache == NULL || !self->have_peers) {
        PyErr_SetString(PyExc_RuntimeError, "set_context() and set_peers() first");
        return 0;
    }
    return 1;
}

/*
 * rib(body, p, count, addpath, ts, family, safi, prefix_hi, prefix_lo, prefix_len, offset)
 *   -> (p, error, entry, a, b)
 * Walks the `count` entries of a TDv2 RIB record starting at body[p] (just after the entry count),
 * appending a row per valid entry. error: 0 none; 1 entry `entry` is truncated; 2 the attributes of
 * entry `entry` declare `a` bytes and `b` remain. Python turns errors into the parser's messages.
 */
static PyObject *TB_rib(TableBuilder *self, PyObject *args) {
    Py_buffer body;
    Py_ssize_t p, count;
    int addpath, family, safi, plen;
    unsigned long ts;
    unsigned long long hi, lo;
    long long offset;
    if (!PyArg_ParseTuple(args, "y*nnpkiiKKiL:rib", &body, &p, &count, &addpath, &ts, &family, &safi, &hi, &lo,
                          &plen, &offset))
        return NULL;
    if (!context_ready(self)) {
        PyBuffer_Release(&body);
        return NULL;
    }
    Py_ssize_t ei = 0, ea = 0, eb = 0;
    int err = walk_entries(self, (const unsigned char *)body.buf, &p, body.len, count, addpath, (uint32_t)ts,
                           (uint8_t)family, (uint8_t)safi, hi, lo, (uint8_t)plen, offset, &ei, &ea, &eb);
    PyBuffer_Release(&body);
    if (err < 0)
        return NULL;
    return Py_BuildValue("(ninnn)", p, err, ei, ea, eb);
}

/* TDv2 RIB subtypes: 2..5 and their ADD-PATH variants 8..11 */
static inline int rib_subtype(unsigned sub) { return (sub >= 2 && sub <= 5) || (sub >= 8 && sub <= 11); }

/* Is the body of a RIB record (subtype sub) sound in every way MrtParser._rib/_rib_entries checks? */
static int rib_record_sound(const unsigned char *b, Py_ssize_t n, unsigned sub) {
    int afi = (sub == 2 || sub == 3 || sub == 8 || sub == 9) ? 1 : 2;
    if (n < 5)
        return 0;
    unsigned plen = b[4];
    if (plen > (afi == 1 ? 32u : 128u))
        return 0;
    Py_ssize_t p = 5 + ((plen + 7) >> 3);
    if (p + 2 > n)
        return 0;
    Py_ssize_t count = be16(b + p);
    p += 2;
    Py_ssize_t esize = sub >= 8 ? 12 : 8;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (p + esize > n)
            return 0;
        p += esize + be16(b + p + esize - 2);
        if (p > n)
            return 0;
    }
    return p == n;
}

/* what one run() call did, by key in first-seen order (the parser's Counters keep that order) */
typedef struct {
    unsigned key[300];
    Py_ssize_t n[300];
    int len;
} Tally;

static void tally(Tally *t, unsigned key, Py_ssize_t n) {
    for (int k = 0; k < t->len; k++)
        if (t->key[k] == key) {
            t->n[k] += n;
            return;
        }
    if (t->len < 300) { /* keys: (type, subtype) of decoded records, BGP message types, route kinds */
        t->key[t->len] = key;
        t->n[t->len++] = n;
    }
}

typedef struct {
    Tally records; /* type << 8 | subtype */
    Tally messages; /* BGP message type */
    Tally kinds;    /* 'B', 'W', 'A' */
} RunStats;

/* BGP4MP(_ET) MESSAGE subtypes: MESSAGE, MESSAGE_AS4, *_LOCAL, *_ADDPATH */
static inline int message_subtype(unsigned sub) { return sub == 1 || sub == 4 || (sub >= 6 && sub <= 11); }

/* the table peer index of a BGP4MP peer (address bytes, AS); -1 on error */
static int64_t bgp4mp_peer(TableBuilder *self, const unsigned char *ip, Py_ssize_t iplen, uint32_t peer_as) {
    unsigned char k[20];
    memcpy(k, ip, (size_t)iplen);
    memcpy(k + iplen, &peer_as, 4);
    PyObject *key = PyBytes_FromStringAndSize((const char *)k, iplen + 4);
    if (key == NULL)
        return -1;
    PyObject *got = PyDict_GetItemWithError(self->peer_keys, key); /* borrowed */
    if (got != NULL) {
        Py_DECREF(key);
        return PyLong_AsLongLong(got);
    }
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return -1;
    }
    PyObject *res = PyObject_CallFunction(self->bgp_peer, "y#k", (const char *)ip, iplen, (unsigned long)peer_as);
    if (res == NULL) {
        Py_DECREF(key);
        return -1;
    }
    int64_t idx = PyLong_AsLongLong(res);
    int rc = (idx == -1 && PyErr_Occurred()) ? -1 : PyDict_SetItem(self->peer_keys, key, res);
    Py_DECREF(res);
    Py_DECREF(key);
    return rc < 0 ? -1 : idx;
}

/* rows for the prefixes of a (checked) NLRI field */
static Py_ssize_t put_nlri(TableBuilder *self, const unsigned char *d, Py_ssize_t p, Py_ssize_t end, int afi,
                           int addpath, uint8_t kind, uint32_t ts, uint32_t usec, uint32_t peer, uint32_t peer_as,
                           uint8_t safi, uint32_t origin, int32_t path, int64_t offset) {
    Py_ssize_t n = 0;
    while (p < end) {
        uint32_t pid = 0;
        if (addpath) {
            pid = be32(d + p);
            p += 4;
        }
        unsigned plen = d[p];
        int nb = (int)((plen + 7) >> 3);
        uint64_t hi, lo;
        prefix_words(afi, d + p + 1, nb, &hi, &lo);
        p += 1 + nb;
        if (reserve_rows(self, 1) < 0)
            return -1;
        put_row(self, kind, ts, usec, peer, peer_as, (uint8_t)(afi == 1 ? 4 : 6), hi, lo, (uint8_t)plen, safi, pid,
                origin, path, offset);
        n++;
    }
    return n;
}

/*
 * One BGP4MP(_ET) MESSAGE record body, as MrtParser._bgp4mp_message/_update/_emit_update decode it.
 * Returns 1 when decoded, 0 when anything is unusual (nothing has been changed: the Python parser
 * decodes the record), -1 on a Python error. Everything is checked before anything is written.
 */
static int bgp4mp_record(TableBuilder *self, const unsigned char *b, Py_ssize_t n, unsigned sub, uint32_t ts,
                         uint32_t usec, int64_t offset, RunStats *rs) {
    int as4 = sub == 4 || sub == 7 || sub == 9 || sub == 11;
    int addpath = sub >= 8;
    int asn_size = as4 ? 4 : 2;
    Py_ssize_t p = as4 ? 8 : 4;
    if (p + 4 > n)
        return 0;
    uint32_t peer_as = as4 ? be32(b) : be16(b);
    unsigned afi = be16(b + p + 2);
    p += 4;
    const unsigned char *ip = b + p;
    Py_ssize_t iplen;
    if (afi == 1)
        iplen = 4;
    else if (afi == 2)
        iplen = 16;
    else
        return 0;
    if (p + iplen > n)
        return 0;
    p += 2 * iplen; /* peer and local address */
    Py_ssize_t msg_len = n - p;
    static const unsigned char marker[16] = {255, 255, 255, 255, 255, 255, 255, 255,
                                             255, 255, 255, 255, 255, 255, 255, 255};
    if (msg_len < 19 || memcmp(b + p, marker, 16) != 0)
        return 0;
    Py_ssize_t blen = be16(b + p + 16);
    unsigned mtype = b[p + 18];
    if (blen != msg_len) /* longer: an error; shorter: bytes after the message (a problem) */
        return 0;
    if (mtype != 2) {
        tally(&rs->messages, mtype, 1);
        return 1;
    }
    /* UPDATE */
    Py_ssize_t u = p + 19, end = p + blen;
    if (u + 2 > end)
        return 0;
    Py_ssize_t w_at = u + 2, w_end = w_at + be16(b + u);
    if (w_end + 2 > end)
        return 0;
    if (nlri_ok(b, w_at, w_end, 1, addpath) < 0)
        return 0;
    Py_ssize_t alen = be16(b + w_end), a_at = w_end + 2, a_end = a_at + alen;
    if (a_end > end)
        return 0;
    BlockInfo info;
    memset(&info, 0, sizeof info);
    if (alen && !check_block(b + a_at, alen, asn_size, addpath, 0, &info))
        return 0;
    Py_ssize_t na = nlri_ok(b, a_end, end, 1, addpath);
    if (na < 0 || (na > 0 && alen == 0))
        return 0;
    /* decoded: from here on the effects */
    tally(&rs->messages, 2, 1);
    int32_t path = -1;
    uint32_t origin = 0;
    if (alen) {
        PyObject *key = Py_BuildValue("(y#iOO)", (const char *)b + a_at, alen, asn_size,
                                      addpath ? Py_True : Py_False, Py_False);
        if (key == NULL)
            return -1;
        PyObject *got = PyDict_GetItemWithError(self->attr_cache, key); /* borrowed */
        int rc = 0;
        if (got == NULL) {
            if (PyErr_Occurred()) {
                rc = -1;
            } else { /* a new block: the parser's insertion rule (MrtParser._attrs) */
                self->decoded_here++;
                if (PyDict_GET_SIZE(self->attr_cache) > self->cache_max)
                    PyDict_Clear(self->attr_cache);
                rc = PyDict_SetItem(self->attr_cache, key, self->pending);
            }
        }
        Py_DECREF(key);
        if (rc < 0)
            return -1;
    }
    int announces = na > 0 || (info.reach_afi && info.reach_end > info.reach_at);
    int has_routes = announces || w_end > w_at || (info.unreach_afi && info.unreach_end > info.unreach_at);
    if (!has_routes)
        return 1;
    /* the path is numbered when a route first carries it (the table sink numbers it on use) */
    if (announces && intern_block_path(self, b + a_at, &info, asn_size, &path, &origin) < 0)
        return -1;
    int64_t peer = bgp4mp_peer(self, ip, iplen, peer_as);
    if (peer < 0)
        return -1;
    const unsigned char *blk = b + a_at;
    Py_ssize_t nw = 0, nann = 0, k;
#define PUT(d, from, to, fam, kind, safi, org, pth, count)                                                         \
    do {                                                                                                          \
        k = put_nlri(self, d, from, to, fam, addpath, kind, ts, usec, (uint32_t)peer, peer_as, safi, org, pth,     \
                     offset);                                                                                     \
        if (k < 0)                                                                                                \
            return -1;                                                                                            \
        count += k;                                                                                               \
    } while (0)
    PUT(b, w_at, w_end, 1, 2, 1, 0, -1, nw);
    if (info.unreach_afi)
        PUT(blk, info.unreach_at, info.unreach_end, info.unreach_afi, 2, (uint8_t)info.unreach_safi, 0, -1, nw);
    PUT(b, a_end, end, 1, 1, 1, origin, path, nann);
    if (info.reach_afi)
        PUT(blk, info.reach_at, info.reach_end, info.reach_afi, 1, (uint8_t)info.reach_safi, origin, path, nann);
#undef PUT
    if (nw)
        tally(&rs->kinds, 'W', nw);
    if (nann)
        tally(&rs->kinds, 'A', nann);
    return 1;
}

static PyObject *tally_list(const Tally *t, int split_key) {
    PyObject *out = PyList_New(t->len);
    if (out == NULL)
        return NULL;
    for (int k = 0; k < t->len; k++) {
        PyObject *item = split_key ? Py_BuildValue("(IIn)", t->key[k] >> 8, t->key[k] & 0xFF, t->n[k])
                                   : Py_BuildValue("(In)", t->key[k], t->n[k]);
        if (item == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, k, item);
    }
    return out;
}

/*
 * run(data, start, base) -> (end, records, last_start, last_ts, rib_entries, [(type, subtype, n)],
 *                            [(BGP message type, n)], [(route kind code, n)])
 * Consumes the records that begin at data[start], as the parser's record loop would, while each one
 * is whole in `data` and is either a sound TDv2 RIB record (rib_record_sound) or a plain BGP4MP
 * MESSAGE record (bgp4mp_record; only once set_update_context was called). `end` is where the first
 * record not consumed begins. Offsets passed on are data offsets plus `base`.
 */
static PyObject *TB_run(TableBuilder *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t start;
    long long base;
    if (!PyArg_ParseTuple(args, "y*nL:run", &buf, &start, &base))
        return NULL;
    if (self->cache == NULL) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_RuntimeError, "set_context() first");
        return NULL;
    }
    const unsigned char *d = (const unsigned char *)buf.buf;
    Py_ssize_t n = buf.len, pos = start, last = -1, records = 0, entries = 0;
    uint32_t last_ts = 0;
    RunStats *rs = PyMem_Calloc(1, sizeof(RunStats));
    if (rs == NULL) {
        PyBuffer_Release(&buf);
        return PyErr_NoMemory();
    }
    while (pos + 12 <= n) {
        const unsigned char *h = d + pos;
        uint32_t ts = be32(h);
        unsigned typ = be16(h + 4), sub = be16(h + 6);
        uint32_t length = be32(h + 8);
        if (typ == 13 && rib_subtype(sub) && self->have_peers) {
            if (length > MAX_RECORD || (Py_ssize_t)length > n - pos - 12)
                break;
            const unsigned char *b = h + 12;
            if (!rib_record_sound(b, length, sub))
                break;
            int afi = (sub == 2 || sub == 3 || sub == 8 || sub == 9) ? 1 : 2;
            int safi = (sub == 2 || sub == 4 || sub == 8 || sub == 10) ? 1 : 2;
            unsigned plen = b[4];
            int nb = (int)((plen + 7) >> 3);
            uint64_t hi, lo;
            prefix_words(afi, b + 5, nb, &hi, &lo);
            Py_ssize_t p = 5 + nb;
            Py_ssize_t count = be16(b + p);
            p += 2;
            Py_ssize_t rows_before = self->rows;
            Py_ssize_t ei, ea, eb;
            int err = walk_entries(self, b, &p, length, count, sub >= 8, ts, (uint8_t)(afi == 1 ? 4 : 6),
                                   (uint8_t)safi, hi, lo, (uint8_t)plen, base + pos, &ei, &ea, &eb);
            if (err != 0) { /* cannot happen for a sound record; a Python error otherwise */
                if (err > 0)
                    PyErr_SetString(PyExc_AssertionError, "RIB record changed between the checks and the walk");
                goto fail;
            }
            tally(&rs->records, 13 << 8 | sub, 1);
            if (self->rows > rows_before)
                tally(&rs->kinds, 'B', self->rows - rows_before);
            entries += count;
            self->batched_records++;
            pos += 12 + (Py_ssize_t)length;
        } else if ((typ == 16 || typ == 17) && message_subtype(sub) && self->attr_cache != NULL) {
            Py_ssize_t hl = 12;
            uint32_t usec = 0;
            if (typ == 17) {
                if (pos + 16 > n || length < 4)
                    break;
                usec = be32(h + 12);
                if (usec > 999999)
                    break;
                length -= 4;
                hl = 16;
            }
            if (length > MAX_RECORD || (Py_ssize_t)length > n - pos - hl)
                break;
            int r = bgp4mp_record(self, h + hl, length, sub, ts, usec, base + pos, rs);
            if (r < 0)
                goto fail;
            if (r == 0)
                break;
            tally(&rs->records, typ << 8 | sub, 1);
            self->batched_messages++;
            pos += hl + (Py_ssize_t)length;
        } else {
            break;
        }
        records++;
        last_ts = ts;
        last = (Py_ssize_t)(h - d);
    }
    PyBuffer_Release(&buf);
    PyObject *recs = tally_list(&rs->records, 1), *msgs = tally_list(&rs->messages, 0),
             *kinds = tally_list(&rs->kinds, 0);
    PyMem_Free(rs);
    if (recs == NULL || msgs == NULL || kinds == NULL) {
        Py_XDECREF(recs);
        Py_XDECREF(msgs);
        Py_XDECREF(kinds);
        return NULL;
    }
    return Py_BuildValue("(nnnknNNN)", pos, records, last, (unsigned long)last_ts, entries, recs, msgs, kinds);
fail:
    PyBuffer_Release(&buf);
    PyMem_Free(rs);
    return NULL;
}

static PyObject *TB_set_update_context(TableBuilder *self, PyObject *args) {
    PyObject *attr_cache, *pending, *bgp_peer;
    if (!PyArg_ParseTuple(args, "O!OO:set_update_context", &PyDict_Type, &attr_cache, &pending, &bgp_peer))
        return NULL;
    PyObject *keys = PyDict_New();
    if (keys == NULL)
        return NULL;
    Py_XSETREF(self->peer_keys, keys);
    Py_INCREF(attr_cache);
    Py_XSETREF(self->attr_cache, attr_cache);
    Py_INCREF(pending);
    Py_XSETREF(self->pending, pending);
    Py_INCREF(bgp_peer);
    Py_XSETREF(self->bgp_peer, bgp_peer);
    Py_RETURN_NONE;
}

static PyObject *TB_clear_blocks(TableBuilder *self, PyObject *Py_UNUSED(ignored)) {
    bc_clear(&self->blocks);
    Py_RETURN_NONE;
}

static PyObject *TB_export(TableBuilder *self, PyObject *Py_UNUSED(ignored)) {
    /* {column: bytearray} plus the path arrays (copies; the builder is unchanged) */
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    const char *names[N_COLS + 3];
    Buf *bufs[N_COLS + 3];
    for (int c = 0; c < N_COLS; c++) {
        names[c] = COL_NAMES[c];
        bufs[c] = &self->cols[c];
    }
    names[N_COLS] = "path_offsets";
    bufs[N_COLS] = &self->path_offsets;
    names[N_COLS + 1] = "path_asns";
    bufs[N_COLS + 1] = &self->path_asns;
    names[N_COLS + 2] = "path_marks";
    bufs[N_COLS + 2] = &self->path_marks;
    for (int c = 0; c < N_COLS + 3; c++) {
        PyObject *b = PyByteArray_FromStringAndSize(bufs[c]->p ? bufs[c]->p : "", bufs[c]->len);
        if (b == NULL || PyDict_SetItemString(out, names[c], b) < 0) {
            Py_XDECREF(b);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(b);
    }
    return out;
}

static PyObject *TB_take(TableBuilder *self, PyObject *Py_UNUSED(ignored)) {
    /* {column: bytearray} of the rows added since the last take(), and no rows left (the paths, peers and
       block caches are kept): a table read in bounded chunks */
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    for (int c = 0; c < N_COLS; c++) {
        Buf *b = &self->cols[c];
        PyObject *v = PyByteArray_FromStringAndSize(b->p ? b->p : "", b->len);
        if (v == NULL || PyDict_SetItemString(out, COL_NAMES[c], v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(v);
    }
    for (int c = 0; c < N_COLS; c++)
        self->cols[c].len = 0;
    self->rows = 0;
    return out;
}

static Py_ssize_t TB_len(TableBuilder *self) { return self->rows; }

#define GETTER(field)                                                                                             \
    static PyObject *TB_get_##field(TableBuilder *self, void *Py_UNUSED(c)) { return PyLong_FromSsize_t(self->field); }
GETTER(n_paths)
GETTER(decoded_here)
GETTER(handed_back)
GETTER(batched_records)
GETTER(batched_messages)
static PyObject *TB_get_cache_size(TableBuilder *self, void *Py_UNUSED(c)) {
    return PyLong_FromSsize_t(self->blocks.size);
}

static PyMethodDef TB_methods[] = {
    {"set_context", (PyCFunction)TB_set_context, METH_VARARGS,
     "set_context(cache, cache_max, fallback, new_peer, bad_peer): the parser's RIB block cache and callbacks"},
    {"set_peers", (PyCFunction)TB_set_peers, METH_O, "set_peers(peer_asns): a new PEER_INDEX_TABLE"},
    {"add", (PyCFunction)(void (*)(void))TB_add, METH_FASTCALL, "add(14 column values): one row"},
    {"path", (PyCFunction)TB_path, METH_VARARGS, "path(asns, marks) -> (path index, origin AS)"},
    {"rib", (PyCFunction)TB_rib, METH_VARARGS,
     "rib(body, p, count, addpath, ts, family, safi, hi, lo, plen, offset) -> (p, error, entry, a, b)"},
    {"run", (PyCFunction)TB_run, METH_VARARGS,
     "run(data, start, base) -> (end, records, last_start, last_ts, rib_entries, records, messages, kinds)"},
    {"set_update_context", (PyCFunction)TB_set_update_context, METH_VARARGS,
     "set_update_context(attr_cache, pending, bgp_peer): decode plain BGP4MP MESSAGE records in run() too"},
    {"clear_blocks", (PyCFunction)TB_clear_blocks, METH_NOARGS, "empty the cache of blocks decoded here"},
    {"export", (PyCFunction)TB_export, METH_NOARGS, "export() -> {column name: bytearray}"},
    {"take", (PyCFunction)TB_take, METH_NOARGS, "take() -> {column name: bytearray}: the rows so far, removed"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef TB_getset[] = {
    {"n_paths", (getter)TB_get_n_paths, NULL, "distinct paths", NULL},
    {"decoded_here", (getter)TB_get_decoded_here, NULL, "attribute blocks decoded in C", NULL},
    {"handed_back", (getter)TB_get_handed_back, NULL, "attribute blocks handed to the Python parser", NULL},
    {"batched_records", (getter)TB_get_batched_records, NULL, "RIB records consumed by run()", NULL},
    {"batched_messages", (getter)TB_get_batched_messages, NULL, "BGP4MP records consumed by run()", NULL},
    {"cache_size", (getter)TB_get_cache_size, NULL, "blocks in the cache of blocks decoded here", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods TB_as_sequence = {
    .sq_length = (lenfunc)TB_len,
};

static PyTypeObject TableBuilderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "netvet.readers._mrtfast.TableBuilder",
    .tp_basicsize = sizeof(TableBuilder),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "RouteTable columns in C buffers, with a TABLE_DUMP_V2 RIB decoder",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)TB_init,
    .tp_dealloc = (destructor)TB_dealloc,
    .tp_traverse = (traverseproc)TB_traverse,
    .tp_clear = (inquiry)TB_clear,
    .tp_methods = TB_methods,
    .tp_getset = TB_getset,
    .tp_as_sequence = &TB_as_sequence,
};

/* ------------------------------------------------------------------------------------- RibText */
/*
 * RibText: `bgpdump -m` lines of TABLE_DUMP_V2 IPv4/IPv6 unicast and multicast RIB records (subtypes 2-5, 8-11)
 * and of plain BGP4MP(_ET) MESSAGE / MESSAGE_AS4 records (ut_record: the checks of bgp4mp_record, IPv6 text as
 * mrt.ntoa6), written straight from the parser's input buffer (netvet/readers/mrt/text.py drives it). The text of
 * an attribute block ("as_path|origin|next_hop|local_pref|med|communities|AG/NAG|aggregator|") is made here when
 * the block is sound by check_block; a RIB entry's MP_REACH may be abbreviated (RFC 6396 §4.3.4) or whole (AFI,
 * SAFI, next hop, SNPAs, NLRI: rewritten in the abbreviated form first, rt_block_text). Any other block goes to
 * the Python parser (the fallback callable returns its text, or None when the parser rejected it). The cache
 * rules are the parser's: one cache of at most cache_max blocks over both, as in TableBuilder; and, once a whole
 * MP_REACH was read (full_mp), the parser's second cache keyed by the block without its NLRI (MrtParser._rib_slot,
 * mrt._mp_free_key), looked up before a block is checked, with a half here (nblocks) and a half in the parser's
 * dict (norm_cache), one size rule over both. has_block/has_norm let the parser find this side's halves for the
 * RIB records it reads itself.
 */
typedef struct {
    PyObject_HEAD
    Buf out;          /* text of the current run */
    Buf peers;        /* "ip|as|" of each peer, concatenated */
    Py_ssize_t *peer_off; /* npeers + 1 offsets into peers */
    Py_ssize_t npeers;
    BlockCache blocks; /* block bytes -> (text offset, text length) in `texts` (path, origin fields) */
    Buf texts;
    PyObject *cache;    /* the parser's RIB cache dict (its size counts in the rule) */
    Py_ssize_t cache_max;
    PyObject *fallback; /* callable(block, i, count, offset) -> str or None */
    Py_ssize_t decoded_here, handed_back;
    /* BGP4MP MESSAGE records (set_update_context) */
    BlockCache ublocks[2]; /* 2- and 4-byte ASN blocks -> text parts in utexts */
    Buf utexts;
    PyObject *attr_cache; /* the parser's attribute cache (MrtParser._attrs), filled with `pending` */
    PyObject *pending;
    PyObject *peer_text;  /* callable(peer address bytes, peer AS) -> b"ip|as|" */
    PyObject *peer_keys;  /* dict: address bytes + AS -> b"ip|as|" */
    Py_ssize_t decoded_updates;
    /* RIB blocks with the whole MP_REACH (NLRI included; every block differs): the parser's second cache,
     * keyed by the block without that NLRI (mrt._mp_free_key), one rule over this half and its dict */
    PyObject *norm_cache; /* the parser's _rib_norm_cache dict; NULL: whole MP_REACH blocks go to Python */
    BlockCache nblocks;   /* encoded key -> (text offset, text length) in ntexts */
    Buf ntexts;
    Buf nkey;             /* the encoded key of the current block */
    Buf rewrite;          /* the current block with its MP_REACH in the abbreviated RIB form */
    int full_mp;          /* MrtParser._full_mp_in_rib (the parser reads and sets it through the driver) */
    Py_ssize_t norm_hits; /* blocks whose text came from the norm cache */
} RibText;

static int RT_traverse(RibText *self, visitproc visit, void *arg) {
    Py_VISIT(self->cache);
    Py_VISIT(self->fallback);
    Py_VISIT(self->attr_cache);
    Py_VISIT(self->pending);
    Py_VISIT(self->peer_text);
    Py_VISIT(self->peer_keys);
    Py_VISIT(self->norm_cache);
    return 0;
}

static int RT_clear(RibText *self) {
    Py_CLEAR(self->cache);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->attr_cache);
    Py_CLEAR(self->pending);
    Py_CLEAR(self->peer_text);
    Py_CLEAR(self->peer_keys);
    Py_CLEAR(self->norm_cache);
    return 0;
}

static void RT_dealloc(RibText *self) {
    PyObject_GC_UnTrack(self);
    RT_clear(self);
    buf_free(&self->out);
    buf_free(&self->peers);
    buf_free(&self->texts);
    PyMem_Free(self->peer_off);
    bc_free(&self->blocks);
    bc_free(&self->ublocks[0]);
    bc_free(&self->ublocks[1]);
    buf_free(&self->utexts);
    bc_free(&self->nblocks);
    buf_free(&self->ntexts);
    buf_free(&self->nkey);
    buf_free(&self->rewrite);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static inline char *put_u32(char *w, uint32_t v) {
    char tmp[10];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k)
        *w++ = tmp[--k];
    return w;
}

static inline char *put_ip4(char *w, const unsigned char *b) {
    for (int i = 0; i < 4; i++) {
        if (i)
            *w++ = '.';
        w = put_u32(w, b[i]);
    }
    return w;
}

static inline char *put_str(char *w, const char *s) {
    size_t n = strlen(s);
    memcpy(w, s, n);
    return w + n;
}

/* ------------------------------------------------------------------------------------- UpdateText */
/* IPv6 text as mrt.ntoa6 (bgpdump's): longest zero run compressed, mapped/compatible IPv4 dotted */
static char *put_ip6(char *w, const unsigned char *b) {
    static const unsigned char z[12] = {0};
    if (memcmp(b, z, 10) == 0 && b[10] == 0xff && b[11] == 0xff) {
        w = put_str(w, "::ffff:");
        return put_ip4(w, b + 12);
    }
    if (memcmp(b, z, 12) == 0 && be32(b + 12) > 1) {
        w = put_str(w, "::");
        return put_ip4(w, b + 12);
    }
    unsigned words[8];
    int best = -1, best_len = 0, run_start = -1, run_len = 0;
    for (int i = 0; i < 8; i++) {
        words[i] = be16(b + 2 * i);
        if (words[i] == 0) {
            if (run_len == 0)
                run_start = i;
            run_len++;
            if (run_len > best_len) {
                best = run_start;
                best_len = run_len;
            }
        } else {
            run_len = 0;
        }
    }
    static const char hx[] = "0123456789abcdef";
#define HEXW(v)                                                                                                   \
    do {                                                                                                          \
        unsigned x_ = (v);                                                                                        \
        int started_ = 0;                                                                                         \
        for (int s_ = 12; s_ >= 0; s_ -= 4) {                                                                     \
            unsigned dgt_ = (x_ >> s_) & 15;                                                                      \
            if (dgt_ || started_ || s_ == 0) {                                                                    \
                *w++ = hx[dgt_];                                                                                  \
                started_ = 1;                                                                                     \
            }                                                                                                     \
        }                                                                                                         \
    } while (0)
    if (best < 0) {
        for (int i = 0; i < 8; i++) {
            if (i)
                *w++ = ':';
            HEXW(words[i]);
        }
        return w;
    }
    for (int i = 0; i < best; i++) {
        if (i)
            *w++ = ':';
        HEXW(words[i]);
    }
    *w++ = ':';
    *w++ = ':';
    for (int i = best + best_len; i < 8; i++) {
        if (i > best + best_len)
            *w++ = ':';
        HEXW(words[i]);
    }
#undef HEXW
    return w;
}

/* mrt._next_hop_text; NULL text (returns w unchanged, *ok 0) for other lengths */
static char *put_next_hop(char *w, const unsigned char *nh, int n, int *ok) {
    *ok = 1;
    if (n == 4)
        return put_ip4(w, nh);
    if (n == 16 || n == 32)
        return put_ip6(w, nh);
    if (n == 12)
        return put_ip4(w, nh + 8);
    if (n == 24 || n == 48)
        return put_ip6(w, nh + 8);
    *ok = 0;
    return w;
}

/* An AS_PATH value (segments of `asn_size`-byte ASes, from `at` to `end`; nothing when `at` is -1) as bgpdump
 * writes it: a sequence's ASes apart by spaces, a set {a,b}, a confederation sequence (a b), a confederation
 * set [a,b]. */
static inline char *put_as_path(char *w, const unsigned char *d, Py_ssize_t at, Py_ssize_t end, int asn_size) {
    if (at < 0 || end <= at)
        return w;
    Py_ssize_t q = at;
    int prev = 2, space = 0;
    while (q < end) {
        unsigned seg = d[q], cnt = d[q + 1];
        q += 2;
        if (prev != 2)
            *w++ = prev == 1 ? '}' : prev == 3 ? ')' : ']';
        if (space)
            *w++ = ' ';
        if (seg != 2)
            *w++ = seg == 1 ? '{' : seg == 3 ? '(' : '[';
        char sep = (seg == 1 || seg == 4) ? ',' : ' ';
        for (unsigned j = 0; j < cnt; j++, q += asn_size) {
            if (j)
                *w++ = sep;
            w = put_u32(w, asn_size == 4 ? be32(d + q) : be16(d + q));
        }
        space = cnt > 0;
        prev = (int)seg;
    }
    if (prev != 2)
        *w++ = prev == 1 ? '}' : prev == 3 ? ')' : ']';
    return w;
}

/* Where the attributes a route's line shows stand in a sound attribute block: value offsets (-1: absent) and
 * lengths; `mp` the MP_REACH_NLRI value (the last one); `as4_agg` set when an AS4_AGGREGATOR is present. */
typedef struct {
    int origin, atomic, as4_agg;
    Py_ssize_t nh, lp, med, agg, agg_len, comm, comm_len, mp;
} LineAttrs;

static inline void line_attrs(const unsigned char *d, Py_ssize_t n, LineAttrs *a) {
    a->origin = -1;
    a->atomic = a->as4_agg = 0;
    a->nh = a->lp = a->med = a->agg = a->comm = a->mp = -1;
    a->agg_len = a->comm_len = 0;
    Py_ssize_t p = 0;
    while (p < n) {
        unsigned flags = d[p], typ = d[p + 1];
        Py_ssize_t alen;
        if (flags & 0x10) {
            alen = be16(d + p + 2);
            p += 4;
        } else {
            alen = d[p + 2];
            p += 3;
        }
        switch (typ) {
        case 1: a->origin = d[p]; break;
        case 3: a->nh = p; break;
        case 4: a->med = p; break;
        case 5: a->lp = p; break;
        case 6: a->atomic = 1; break;
        case 7: a->agg = p; a->agg_len = alen; break;
        case 8: a->comm = p; a->comm_len = alen; break;
        case 14: a->mp = p; break;
        case 18: a->as4_agg = 1; break;
        default: break;
        }
        p += alen;
    }
}

/* The end of a route's line after the next hop: "local_pref|med|communities|AG/NAG|aggregator|". */
static inline char *put_attr_tail(char *w, const unsigned char *d, const LineAttrs *a) {
    Py_ssize_t comm = a->comm, agg = a->agg;
    w = put_u32(w, a->lp >= 0 ? be32(d + a->lp) : 0);
    *w++ = '|';
    w = put_u32(w, a->med >= 0 ? be32(d + a->med) : 0);
    *w++ = '|';
    for (Py_ssize_t k = 0; comm >= 0 && k < a->comm_len; k += 4) {
        if (k)
            *w++ = ' ';
        unsigned hi = be16(d + comm + k), lo = be16(d + comm + k + 2);
        if (hi == 0xFFFF && lo == 0xFF01)
            w = put_str(w, "no-export");
        else if (hi == 0xFFFF && lo == 0xFF02)
            w = put_str(w, "no-advertise");
        else if (hi == 0xFFFF && lo == 0xFF03)
            w = put_str(w, "local-AS");
        else {
            w = put_u32(w, hi);
            *w++ = ':';
            w = put_u32(w, lo);
        }
    }
    *w++ = '|';
    w = put_str(w, a->atomic ? "AG" : "NAG");
    *w++ = '|';
    if (agg >= 0) {
        int asz = a->agg_len == 8 ? 4 : 2;
        w = put_u32(w, asz == 4 ? be32(d + agg) : be16(d + agg));
        *w++ = ' ';
        w = put_ip4(w, d + agg + asz);
    }
    *w++ = '|';
    return w;
}

/*
 * The text parts of a sound UPDATE attribute block, into `texts`, laid out as four uint32 lengths then
 * head ("as_path|origin"), next hop of plain NLRI, next hop of MP_REACH NLRI, tail
 * ("local_pref|med|communities|AG/NAG|aggregator|"). 1 made, 0 declined, -1 error.
 */
static int ut_block_text(Buf *texts, const unsigned char *d, Py_ssize_t n, int asn_size, const BlockInfo *info,
                         Py_ssize_t *off) {
    LineAttrs a;
    line_attrs(d, n, &a);
    if (a.as4_agg && asn_size == 2)
        return 0; /* AS4_AGGREGATOR merge: Python */
    Py_ssize_t mpnh = a.mp >= 0 ? a.mp + 4 : -1; /* an update's whole MP_REACH: AFI, SAFI, next hop length first */
    int mpnh_len = a.mp >= 0 ? d[a.mp + 3] : 0;
    Py_ssize_t path_len = info->path_at >= 0 ? info->path_end - info->path_at : 0;
    Py_ssize_t need = 16 + path_len * 6 + 16 + a.comm_len * 4 + 260;
    if (texts->len + need > INT32_MAX)
        return 0;
    if (buf_reserve(texts, need) < 0)
        return -1;
    char *start = texts->p + texts->len, *w = start + 16;
    uint32_t lens[4];
    char *mark = w;
    w = put_as_path(w, d, info->path_at, info->path_end, asn_size);
    *w++ = '|';
    w = put_str(w, a.origin == 0 ? "IGP" : a.origin == 1 ? "EGP" : "INCOMPLETE");
    lens[0] = (uint32_t)(w - mark);
    mark = w;
    w = a.nh >= 0 ? put_ip4(w, d + a.nh) : put_str(w, "255.255.255.255");
    lens[1] = (uint32_t)(w - mark);
    mark = w;
    int ok = 0;
    if (mpnh >= 0)
        w = put_next_hop(w, d + mpnh, mpnh_len, &ok);
    if (!ok)
        w = put_str(w, "255.255.255.255");
    lens[2] = (uint32_t)(w - mark);
    mark = w;
    w = put_attr_tail(w, d, &a);
    lens[3] = (uint32_t)(w - mark);
    memcpy(start, lens, 16);
    *off = texts->len;
    texts->len += w - start;
    return 1;
}

/* the text of a sound RIB block into self->texts; 1 made, 0 declined, -1 error */
static int rt_plain_block_text(RibText *self, const unsigned char *d, Py_ssize_t n, Py_ssize_t *off,
                               Py_ssize_t *len) {
    BlockInfo info;
    if (!check_block(d, n, 4, 0, 1, &info))
        return 0;
    LineAttrs a;
    line_attrs(d, n, &a);
    Py_ssize_t mpnh = a.mp >= 0 ? a.mp + 1 : -1; /* the abbreviated RIB form (check_block) */
    int mpnh_len = a.mp >= 0 ? d[a.mp] : 0;
    /* worst case: 11 chars per AS + brackets, 12 per community, fixed parts */
    Py_ssize_t path_len = info.path_at >= 0 ? info.path_end - info.path_at : 0;
    Py_ssize_t need = path_len * 4 + 16 + a.comm_len * 4 + 160;
    if (self->texts.len + need > INT32_MAX)
        return 0; /* text offsets are int32 in the slots: the Python parser takes this block */
    if (buf_reserve(&self->texts, need) < 0)
        return -1;
    char *start = self->texts.p + self->texts.len, *w = start;
    w = put_as_path(w, d, info.path_at, info.path_end, 4);
    *w++ = '|';
    w = put_str(w, a.origin == 0 ? "IGP" : a.origin == 1 ? "EGP" : "INCOMPLETE");
    *w++ = '|';
    if (mpnh >= 0) { /* MrtParser._rib_slot: the MP_REACH next hop (or none) over NEXT_HOP */
        int ok = 0;
        w = put_next_hop(w, d + mpnh, mpnh_len, &ok);
        if (!ok)
            w = put_str(w, "255.255.255.255");
    } else {
        w = a.nh >= 0 ? put_ip4(w, d + a.nh) : put_str(w, "255.255.255.255");
    }
    *w++ = '|';
    w = put_attr_tail(w, d, &a);
    *off = self->texts.len;
    *len = w - start;
    self->texts.len += *len;
    return 1;
}

/*
 * The text of a sound RIB block, its MP_REACH in either form (MrtParser._mp_reach with rib): the abbreviated
 * one of RFC 6396 §4.3.4 (next hop length, next hop), or the whole attribute (AFI, SAFI, next hop, SNPAs,
 * NLRI; AFI and SAFI are not looked at, the NLRI is ignored, as by the parser and bgpdump). A whole one that
 * the parser reads without a problem is rewritten in the abbreviated form (same next hop, so the same text)
 * and checked and written as such; *whole is set then. 1 made, 0 declined, -1 error.
 */
static int rt_block_text(RibText *self, const unsigned char *d, Py_ssize_t n, Py_ssize_t *off, Py_ssize_t *len,
                         int *whole) {
    *whole = 0;
    Py_ssize_t p = 0;
    while (p < n) { /* the first MP_REACH (a second one: check_block declines the duplicate) */
        if (p + 3 > n)
            return 0;
        unsigned flags = d[p], typ = d[p + 1];
        Py_ssize_t h = flags & 0x10 ? 4 : 3;
        if (p + h > n)
            return 0;
        Py_ssize_t alen = h == 4 ? be16(d + p + 2) : d[p + 2];
        Py_ssize_t v = p + h, end = v + alen;
        if (end > n)
            return 0;
        if (typ != 14) {
            p = end;
            continue;
        }
        if (alen == 0 || d[v] != 0)
            break; /* the abbreviated form (or none at all): as it is */
        /* whole: the parser's checks (MP_REACH_NLRI too short, next hop truncated, SNPA truncated) */
        if (v + 5 > end)
            return 0;
        unsigned nhlen = d[v + 3];
        Py_ssize_t q = v + 4 + nhlen;
        if (q + 1 > end)
            return 0;
        unsigned snpa = d[q++];
        for (unsigned k = 0; k < snpa; k++) {
            if (q >= end)
                return 0;
            q += 1 + (d[q] + 1) / 2;
        }
        if (nhlen == 0)
            return 0; /* no next hop: the abbreviated form cannot say it; the parser writes this block */
        Py_ssize_t rn = p + (nhlen + 1 > 255 ? 4 : 3) + 1 + nhlen + (n - end);
        self->rewrite.len = 0;
        if (buf_reserve(&self->rewrite, rn) < 0)
            return -1;
        unsigned char *r = (unsigned char *)self->rewrite.p;
        memcpy(r, d, (size_t)p);
        unsigned char *w = r + p;
        if (nhlen + 1 > 255) {
            *w++ = 0x90;
            *w++ = 14;
            *w++ = (unsigned char)((nhlen + 1) >> 8);
            *w++ = (unsigned char)((nhlen + 1) & 0xFF);
        } else {
            *w++ = 0x80;
            *w++ = 14;
            *w++ = (unsigned char)(nhlen + 1);
        }
        *w++ = (unsigned char)nhlen;
        memcpy(w, d + v + 4, nhlen);
        w += nhlen;
        memcpy(w, d + end, (size_t)(n - end));
        self->rewrite.len = rn;
        *whole = 1;
        return rt_plain_block_text(self, r, rn, off, len);
    }
    return rt_plain_block_text(self, d, n, off, len);
}

/*
 * mrt._mp_free_key(block) encoded as one byte string into self->nkey: u32 length, the block before its
 * MP_REACH; u32 length, AFI SAFI next-hop-length next-hop; the block after the MP_REACH (the parser's
 * slices, clamped to the block). 1 made, 0 no key (no whole MP_REACH), -1 error.
 */
static int rt_norm_key(RibText *self, const unsigned char *d, Py_ssize_t n, Py_ssize_t parts[6]) {
    Py_ssize_t p = 0;
    while (p + 3 <= n) {
        unsigned flags = d[p];
        Py_ssize_t alen, h;
        if (flags & 0x10) {
            if (p + 4 > n)
                return 0;
            alen = be16(d + p + 2);
            h = 4;
        } else {
            alen = d[p + 2];
            h = 3;
        }
        if (d[p + 1] == 14) {
            Py_ssize_t v = p + h;
            if (!(v + 4 <= n && d[v] == 0))
                return 0;
            Py_ssize_t b_end = v + 4 + d[v + 3], c_at = v + alen;
            if (b_end > n)
                b_end = n;
            if (c_at > n)
                c_at = n;
            parts[0] = 0, parts[1] = p, parts[2] = v, parts[3] = b_end, parts[4] = c_at, parts[5] = n;
            Py_ssize_t kl = 8 + p + (b_end - v) + (n - c_at);
            self->nkey.len = 0;
            if (buf_reserve(&self->nkey, kl) < 0)
                return -1;
            unsigned char *w = (unsigned char *)self->nkey.p;
            uint32_t la = (uint32_t)p, lb = (uint32_t)(b_end - v);
            memcpy(w, &la, 4);
            memcpy(w + 4, d, (size_t)p);
            w += 4 + p;
            memcpy(w, &lb, 4);
            memcpy(w + 4, d + v, (size_t)lb);
            w += 4 + lb;
            memcpy(w, d + c_at, (size_t)(n - c_at));
            self->nkey.len = kl;
            return 1;
        }
        p += h + alen;
    }
    return 0;
}

/* Is the parser's key (a, b, c) of this block in its own half of the norm cache? 1, 0, -1 error */
static int rt_norm_in_parser(RibText *self, const unsigned char *d, const Py_ssize_t parts[6]) {
    PyObject *key = Py_BuildValue("(y#y#y#)", (const char *)d + parts[0], parts[1] - parts[0],
                                  (const char *)d + parts[2], parts[3] - parts[2], (const char *)d + parts[4],
                                  parts[5] - parts[4]);
    if (key == NULL)
        return -1;
    int rc = PyDict_Contains(self->norm_cache, key);
    Py_DECREF(key);
    return rc;
}

/* "ip|as|" of a BGP4MP peer (borrowed from peer_keys), NULL on error */
static PyObject *ut_peer(RibText *self, const unsigned char *ip, Py_ssize_t iplen, uint32_t peer_as) {
    unsigned char k[20];
    memcpy(k, ip, (size_t)iplen);
    memcpy(k + iplen, &peer_as, 4);
    PyObject *key = PyBytes_FromStringAndSize((const char *)k, iplen + 4);
    if (key == NULL)
        return NULL;
    PyObject *got = PyDict_GetItemWithError(self->peer_keys, key); /* borrowed */
    if (got != NULL || PyErr_Occurred()) {
        Py_DECREF(key);
        return got;
    }
    PyObject *res = PyObject_CallFunction(self->peer_text, "y#k", (const char *)ip, iplen, (unsigned long)peer_as);
    if (res == NULL || !PyBytes_Check(res)) {
        if (res != NULL)
            PyErr_SetString(PyExc_TypeError, "peer_text must return bytes");
        Py_XDECREF(res);
        Py_DECREF(key);
        return NULL;
    }
    int rc = PyDict_SetItem(self->peer_keys, key, res);
    Py_DECREF(key);
    Py_DECREF(res); /* the dict keeps it */
    return rc < 0 ? NULL : res;
}

/* lines for the prefixes of a checked NLRI field; `mid` (announcements) follows "prefix|" */
static Py_ssize_t ut_nlri(Buf *out, const char *lead, Py_ssize_t lead_len, const unsigned char *d, Py_ssize_t p,
                          Py_ssize_t end, int afi, const char *mid1, Py_ssize_t mid1_len, const char *nh,
                          Py_ssize_t nh_len, const char *tail, Py_ssize_t tail_len, int announce) {
    Py_ssize_t n = 0;
    while (p < end) {
        unsigned plen = d[p];
        int nb = (int)((plen + 7) >> 3);
        unsigned char full[16];
        memset(full, 0, sizeof full);
        memcpy(full, d + p + 1, (size_t)nb);
        p += 1 + nb;
        if (buf_reserve(out, lead_len + 48 + (announce ? mid1_len + nh_len + tail_len + 3 : 0) + 2) < 0)
            return -1;
        char *w = out->p + out->len;
        memcpy(w, lead, (size_t)lead_len);
        w += lead_len;
        w = afi == 1 ? put_ip4(w, full) : put_ip6(w, full);
        *w++ = '/';
        w = put_u32(w, plen);
        if (announce) {
            *w++ = '|';
            memcpy(w, mid1, (size_t)mid1_len);
            w += mid1_len;
            *w++ = '|';
            memcpy(w, nh, (size_t)nh_len);
            w += nh_len;
            *w++ = '|';
            memcpy(w, tail, (size_t)tail_len);
            w += tail_len;
        }
        *w++ = '\n';
        out->len = w - out->p;
        n++;
    }
    return n;
}

/*
 * One BGP4MP(_ET) MESSAGE or MESSAGE_AS4 record (no LOCAL, no ADD-PATH), as bgp4mp_record checks it,
 * into lines. 1 written, 0 declined (nothing changed), -1 error.
 */
static int ut_record(RibText *self, const unsigned char *b, Py_ssize_t n, unsigned typ, unsigned sub, uint32_t ts,
                     uint32_t usec, RunStats *rs) {
    int as4 = sub == 4;
    int asn_size = as4 ? 4 : 2;
    Py_ssize_t p = as4 ? 8 : 4;
    if (p + 4 > n)
        return 0;
    uint32_t peer_as = as4 ? be32(b) : be16(b);
    unsigned afi = be16(b + p + 2);
    p += 4;
    const unsigned char *ip = b + p;
    Py_ssize_t iplen;
    if (afi == 1)
        iplen = 4;
    else if (afi == 2)
        iplen = 16;
    else
        return 0;
    if (p + 2 * iplen > n)
        return 0;
    p += 2 * iplen;
    Py_ssize_t msg_len = n - p;
    static const unsigned char marker[16] = {255, 255, 255, 255, 255, 255, 255, 255,
                                             255, 255, 255, 255, 255, 255, 255, 255};
    if (msg_len < 19 || memcmp(b + p, marker, 16) != 0)
        return 0;
    Py_ssize_t blen = be16(b + p + 16);
    unsigned mtype = b[p + 18];
    if (blen != msg_len)
        return 0;
    if (mtype != 2) {
        tally(&rs->messages, mtype, 1);
        return 1;
    }
    Py_ssize_t u = p + 19, end = p + blen;
    if (u + 2 > end)
        return 0;
    Py_ssize_t w_at = u + 2, w_end = w_at + be16(b + u);
    if (w_end + 2 > end)
        return 0;
    if (nlri_ok(b, w_at, w_end, 1, 0) < 0)
        return 0;
    Py_ssize_t alen = be16(b + w_end), a_at = w_end + 2, a_end = a_at + alen;
    if (a_end > end)
        return 0;
    BlockInfo info;
    memset(&info, 0, sizeof info);
    info.path_at = -1;
    if (alen && !check_block(b + a_at, alen, asn_size, 0, 0, &info))
        return 0;
    Py_ssize_t na = nlri_ok(b, a_end, end, 1, 0);
    if (na < 0 || (na > 0 && alen == 0))
        return 0;
    /* the text parts of the block (made or cached here) */
    const unsigned char *blk = b + a_at;
    const char *parts = NULL;
    if (alen) {
        BlockCache *bc = &self->ublocks[as4];
        uint64_t hh = fmix(mix(0x0BD7 ^ (uint64_t)alen, blk, alen));
        BlockSlot *s = bc_find(bc, hh, blk, alen);
        if (s != NULL) {
            parts = self->utexts.p + s->path;
        } else {
            Py_ssize_t toff;
            int r = ut_block_text(&self->utexts, blk, alen, asn_size, &info, &toff);
            if (r <= 0)
                return r;
            if (self->ublocks[0].size + self->ublocks[1].size >= self->cache_max) {
                Py_ssize_t tl = self->utexts.len - toff;
                memmove(self->utexts.p, self->utexts.p + toff, (size_t)tl);
                bc_clear(&self->ublocks[0]);
                bc_clear(&self->ublocks[1]);
                self->utexts.len = tl;
                toff = 0;
            }
            if (bc_insert(bc, hh, blk, alen, (int32_t)toff, 0) < 0)
                return -1;
            parts = self->utexts.p + toff;
        }
    }
    /* decoded: from here on the effects */
    tally(&rs->messages, 2, 1);
    if (alen) {
        PyObject *key = Py_BuildValue("(y#iOO)", (const char *)blk, alen, asn_size, Py_False, Py_False);
        if (key == NULL)
            return -1;
        PyObject *got = PyDict_GetItemWithError(self->attr_cache, key); /* borrowed */
        int rc = 0;
        if (got == NULL) {
            if (PyErr_Occurred()) {
                rc = -1;
            } else { /* a new block: the parser's insertion rule (MrtParser._attrs) */
                self->decoded_updates++;
                if (PyDict_GET_SIZE(self->attr_cache) > self->cache_max)
                    PyDict_Clear(self->attr_cache);
                rc = PyDict_SetItem(self->attr_cache, key, self->pending);
            }
        }
        Py_DECREF(key);
        if (rc < 0)
            return -1;
    }
    int announces = na > 0 || (info.reach_afi && info.reach_end > info.reach_at);
    int has_routes = announces || w_end > w_at || (info.unreach_afi && info.unreach_end > info.unreach_at);
    if (!has_routes)
        return 1;
    PyObject *peer = ut_peer(self, ip, iplen, peer_as);
    if (peer == NULL)
        return -1;
    char lead[160];
    char *w = put_str(lead, typ == 17 ? "BGP4MP_ET|" : "BGP4MP|");
    w = put_u32(w, ts);
    if (typ == 17) {
        char us[8];
        snprintf(us, sizeof us, ".%06u", (unsigned)usec);
        w = put_str(w, us);
    }
    char *kind_at = w + 1;
    w = put_str(w, "|W|");
    memcpy(w, PyBytes_AS_STRING(peer), (size_t)PyBytes_GET_SIZE(peer));
    w += PyBytes_GET_SIZE(peer);
    Py_ssize_t lead_len = w - lead;
    uint32_t lens[4] = {0, 0, 0, 0};
    const char *head = NULL, *nh4 = NULL, *nhmp = NULL, *tail = NULL;
    if (parts) {
        memcpy(lens, parts, 16);
        head = parts + 16;
        nh4 = head + lens[0];
        nhmp = nh4 + lens[1];
        tail = nhmp + lens[2];
    }
    Py_ssize_t nw = 0, nann = 0, k;
    k = ut_nlri(&self->out, lead, lead_len, b, w_at, w_end, 1, NULL, 0, NULL, 0, NULL, 0, 0);
    if (k < 0)
        return -1;
    nw += k;
    if (info.unreach_afi) {
        k = ut_nlri(&self->out, lead, lead_len, blk, info.unreach_at, info.unreach_end, info.unreach_afi, NULL, 0,
                    NULL, 0, NULL, 0, 0);
        if (k < 0)
            return -1;
        nw += k;
    }
    *kind_at = 'A';
    k = ut_nlri(&self->out, lead, lead_len, b, a_end, end, 1, head, lens[0], nh4, lens[1], tail, lens[3], 1);
    if (k < 0)
        return -1;
    nann += k;
    if (info.reach_afi) {
        k = ut_nlri(&self->out, lead, lead_len, blk, info.reach_at, info.reach_end, info.reach_afi, head, lens[0],
                    nhmp, lens[2], tail, lens[3], 1);
        if (k < 0)
            return -1;
        nann += k;
    }
    if (nw)
        tally(&rs->kinds, 'W', nw);
    if (nann)
        tally(&rs->kinds, 'A', nann);
    return 1;
}

static PyObject *RT_set_update_context(RibText *self, PyObject *args) {
    PyObject *attr_cache, *pending, *peer_text;
    if (!PyArg_ParseTuple(args, "O!OO:set_update_context", &PyDict_Type, &attr_cache, &pending, &peer_text))
        return NULL;
    PyObject *keys = PyDict_New();
    if (keys == NULL)
        return NULL;
    Py_XSETREF(self->peer_keys, keys);
    Py_INCREF(attr_cache);
    Py_XSETREF(self->attr_cache, attr_cache);
    Py_INCREF(pending);
    Py_XSETREF(self->pending, pending);
    Py_INCREF(peer_text);
    Py_XSETREF(self->peer_text, peer_text);
    Py_RETURN_NONE;
}

static PyObject *RT_set_context(RibText *self, PyObject *args) {
    PyObject *cache, *fallback, *norm_cache = NULL;
    Py_ssize_t cache_max;
    if (!PyArg_ParseTuple(args, "O!nO|O!:set_context", &PyDict_Type, &cache, &cache_max, &fallback, &PyDict_Type,
                          &norm_cache))
        return NULL;
    Py_XINCREF(norm_cache);
    Py_XSETREF(self->norm_cache, norm_cache);
    bc_clear(&self->nblocks);
    self->ntexts.len = 0;
    Py_INCREF(cache);
    Py_XSETREF(self->cache, cache);
    Py_INCREF(fallback);
    Py_XSETREF(self->fallback, fallback);
    self->cache_max = cache_max;
    Py_RETURN_NONE;
}

/* set_peers([b"ip|as|", ...]): the peers of a new PEER_INDEX_TABLE */
static PyObject *RT_set_peers(RibText *self, PyObject *arg) {
    PyObject *seq = PySequence_Fast(arg, "set_peers expects a sequence of bytes");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Py_ssize_t *offs = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n + 1));
    if (offs == NULL) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    self->peers.len = 0;
    offs[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        char *s;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(PySequence_Fast_GET_ITEM(seq, i), &s, &len) < 0 ||
            buf_reserve(&self->peers, len) < 0) {
            PyMem_Free(offs);
            Py_DECREF(seq);
            return NULL;
        }
        memcpy(self->peers.p + self->peers.len, s, (size_t)len);
        self->peers.len += len;
        offs[i + 1] = self->peers.len;
    }
    Py_DECREF(seq);
    PyMem_Free(self->peer_off);
    self->peer_off = offs;
    self->npeers = n;
    Py_RETURN_NONE;
}

/* Is this TDv2 RIB record body (subtypes 2-5, 8-11) sound, every entry's peer index known? */
static int rt_record_ok(RibText *self, const unsigned char *b, Py_ssize_t n, unsigned sub) {
    if (!rib_record_sound(b, n, sub))
        return 0;
    unsigned plen = b[4];
    Py_ssize_t p = 5 + ((plen + 7) >> 3);
    Py_ssize_t count = be16(b + p);
    p += 2;
    Py_ssize_t esize = sub >= 8 ? 12 : 8;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (be16(b + p) >= self->npeers)
            return 0;
        p += esize + be16(b + p + esize - 2);
    }
    return 1;
}

/*
 * run(data, start, base) -> (end, records, last, last_ts, entries, routes, records_by_subtype, text)
 * Lines of the consecutive sound TDv2 RIB and plain BGP4MP MESSAGE records from data[start]; stops at anything else.
 */
static PyObject *RT_run(RibText *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t start;
    long long base;
    if (!PyArg_ParseTuple(args, "y*nL:run", &buf, &start, &base))
        return NULL;
    if (self->cache == NULL) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_RuntimeError, "set_context() first");
        return NULL;
    }
    const unsigned char *d = (const unsigned char *)buf.buf;
    Py_ssize_t n = buf.len, pos = start, last = -1, records = 0, entries = 0, routes = 0;
    uint32_t last_ts = 0;
    RunStats *rs = PyMem_Calloc(1, sizeof(RunStats));
    if (rs == NULL) {
        PyBuffer_Release(&buf);
        return PyErr_NoMemory();
    }
    self->out.len = 0;
    while (pos + 12 <= n) {
        const unsigned char *h = d + pos;
        uint32_t ts = be32(h);
        unsigned typ = be16(h + 4), sub = be16(h + 6);
        uint32_t length = be32(h + 8);
        if ((typ == 16 || typ == 17) && (sub == 1 || sub == 4) && self->attr_cache != NULL) {
            Py_ssize_t hl = 12;
            uint32_t usec = 0;
            if (typ == 17) {
                if (pos + 16 > n || length < 4)
                    break;
                usec = be32(h + 12);
                if (usec > 999999)
                    break;
                length -= 4;
                hl = 16;
            }
            if (length > MAX_RECORD || (Py_ssize_t)length > n - pos - hl)
                break;
            int r = ut_record(self, h + hl, length, typ, sub, ts, usec, rs);
            if (r < 0)
                goto fail;
            if (r == 0)
                break;
            tally(&rs->records, typ << 8 | sub, 1);
            records++;
            last_ts = ts;
            last = pos;
            pos += hl + (Py_ssize_t)length;
            continue;
        }
        if (typ != 13 || !rib_subtype(sub) || self->peer_off == NULL || length > MAX_RECORD ||
            (Py_ssize_t)length > n - pos - 12)
            break; /* (RIB records before any PEER_INDEX_TABLE: the parser reports them) */
        const unsigned char *b = h + 12;
        if (!rt_record_ok(self, b, length, sub))
            break;
        unsigned plen = b[4];
        int nb = (int)((plen + 7) >> 3);
        int addpath = sub >= 8;
        unsigned char pfx[16];
        memset(pfx, 0, sizeof pfx);
        memcpy(pfx, b + 5, (size_t)nb);
        /* "TABLE_DUMP2[_AP]|ts|B|" and "prefix|" */
        char head[48], ptxt[64];
        char *w = put_str(head, addpath ? "TABLE_DUMP2_AP|" : "TABLE_DUMP2|");
        w = put_u32(w, ts);
        w = put_str(w, "|B|");
        Py_ssize_t head_len = w - head;
        w = (sub == 2 || sub == 3 || sub == 8 || sub == 9) ? put_ip4(ptxt, pfx) : put_ip6(ptxt, pfx);
        *w++ = '/';
        w = put_u32(w, plen);
        *w++ = '|';
        Py_ssize_t ptxt_len = w - ptxt;
        Py_ssize_t p = 5 + nb;
        Py_ssize_t count = be16(b + p);
        p += 2;
        Py_ssize_t esize = addpath ? 12 : 8;
        for (Py_ssize_t i = 0; i < count; i++) {
            unsigned pidx = be16(b + p);
            uint32_t path_id = addpath ? be32(b + p + 6) : 0;
            Py_ssize_t alen = be16(b + p + esize - 2);
            p += esize;
            const unsigned char *blk = b + p;
            p += alen;
            const char *text;
            Py_ssize_t tlen;
            PyObject *got = NULL;
            uint64_t hh = fmix(mix(0x7E47 ^ (uint64_t)alen, blk, alen));
            BlockSlot *s = bc_find(&self->blocks, hh, blk, alen);
            if (s != NULL) {
                text = self->texts.p + s->path;
                tlen = (Py_ssize_t)s->origin;
            } else {
                Py_ssize_t toff = 0, tl = 0, parts[6];
                int r = -2, whole = 0, keyed = 0;
                uint64_t nhash = 0;
                if (self->full_mp && self->norm_cache != NULL) {
                    /* MrtParser._rib_slot: the block without its MP_REACH NLRI looked up first */
                    keyed = rt_norm_key(self, blk, alen, parts);
                    if (keyed < 0)
                        goto fail;
                    if (keyed) {
                        nhash = fmix(mix(0x40E3 ^ (uint64_t)self->nkey.len, (const unsigned char *)self->nkey.p,
                                         self->nkey.len));
                        BlockSlot *ns = bc_find(&self->nblocks, nhash, (const unsigned char *)self->nkey.p,
                                                self->nkey.len);
                        if (ns != NULL && self->texts.len + (Py_ssize_t)ns->origin <= INT32_MAX) {
                            tl = (Py_ssize_t)ns->origin;
                            if (buf_reserve(&self->texts, tl) < 0)
                                goto fail;
                            memcpy(self->texts.p + self->texts.len, self->ntexts.p + ns->path, (size_t)tl);
                            toff = self->texts.len;
                            self->texts.len += tl;
                            r = 2; /* the text of an earlier block of the same key */
                        } else if (ns != NULL) {
                            r = 0;
                        } else if (PyDict_GET_SIZE(self->norm_cache) > 0) {
                            int in = rt_norm_in_parser(self, blk, parts);
                            if (in < 0)
                                goto fail;
                            if (in)
                                r = 0; /* in the parser's half: the parser takes it from there */
                        }
                    }
                }
                if (r == -2) {
                    r = rt_block_text(self, blk, alen, &toff, &tl, &whole);
                    if (r < 0)
                        goto fail;
                    if (r == 1 && keyed) { /* into the norm cache, under the parser's rule for it */
                        if (PyDict_GET_SIZE(self->norm_cache) + self->nblocks.size > self->cache_max) {
                            PyDict_Clear(self->norm_cache);
                            bc_clear(&self->nblocks);
                            self->ntexts.len = 0;
                        }
                        if (self->ntexts.len + tl > INT32_MAX) {
                            PyErr_SetString(PyExc_OverflowError, "RibText: norm cache texts over 2 GB");
                            goto fail;
                        }
                        if (buf_reserve(&self->ntexts, tl) < 0)
                            goto fail;
                        memcpy(self->ntexts.p + self->ntexts.len, self->texts.p + toff, (size_t)tl);
                        if (bc_insert(&self->nblocks, nhash, (const unsigned char *)self->nkey.p, self->nkey.len,
                                      (int32_t)self->ntexts.len, (uint32_t)tl) < 0)
                            goto fail;
                        self->ntexts.len += tl;
                    }
                    if (r == 1 && whole)
                        self->full_mp = 1; /* MrtParser._parse_attrs: a whole MP_REACH in a RIB entry */
                }
                if (r >= 1) {
                    if (r == 1)
                        self->decoded_here++;
                    else
                        self->norm_hits++;
                    if (PyDict_GET_SIZE(self->cache) + self->blocks.size > self->cache_max) {
                        PyDict_Clear(self->cache);
                        /* keep this block's text: move it to the start of the emptied arena */
                        memmove(self->texts.p, self->texts.p + toff, (size_t)tl);
                        bc_clear(&self->blocks);
                        toff = 0;
                        self->texts.len = tl;
                    }
                    if (bc_insert(&self->blocks, hh, blk, alen, (int32_t)toff, (uint32_t)tl) < 0)
                        goto fail;
                    text = self->texts.p + toff;
                    tlen = tl;
                } else {
                    self->handed_back++;
                    PyObject *key = PyBytes_FromStringAndSize((const char *)blk, alen);
                    if (key == NULL)
                        goto fail;
                    got = PyObject_CallFunction(self->fallback, "OnnL", key, i, count, base + pos);
                    Py_DECREF(key);
                    if (got == NULL)
                        goto fail;
                    if (got == Py_None) {
                        Py_DECREF(got);
                        continue;
                    }
                    text = PyUnicode_AsUTF8AndSize(got, &tlen);
                    if (text == NULL) {
                        Py_DECREF(got);
                        goto fail;
                    }
                }
            }
            Py_ssize_t plen_txt = self->peer_off[pidx + 1] - self->peer_off[pidx];
            if (buf_reserve(&self->out, head_len + plen_txt + ptxt_len + 12 + tlen + 1) < 0) {
                Py_XDECREF(got);
                goto fail;
            }
            char *o = self->out.p + self->out.len;
            memcpy(o, head, (size_t)head_len);
            o += head_len;
            memcpy(o, self->peers.p + self->peer_off[pidx], (size_t)plen_txt);
            o += plen_txt;
            memcpy(o, ptxt, (size_t)ptxt_len);
            o += ptxt_len;
            if (addpath) {
                o = put_u32(o, path_id);
                *o++ = '|';
            }
            memcpy(o, text, (size_t)tlen);
            o += tlen;
            *o++ = '\n';
            self->out.len = o - self->out.p;
            Py_XDECREF(got);
            routes++;
        }
        tally(&rs->records, 13 << 8 | sub, 1);
        entries += count;
        records++;
        last_ts = ts;
        last = pos;
        pos += 12 + (Py_ssize_t)length;
    }
    PyBuffer_Release(&buf);
    if (routes)
        tally(&rs->kinds, 'B', routes);
    PyObject *recs = tally_list(&rs->records, 1), *msgs = tally_list(&rs->messages, 0),
             *kinds = tally_list(&rs->kinds, 0);
    PyMem_Free(rs);
    if (recs == NULL || msgs == NULL || kinds == NULL) {
        Py_XDECREF(recs);
        Py_XDECREF(msgs);
        Py_XDECREF(kinds);
        return NULL;
    }
    return Py_BuildValue("(nnnknNNNy#)", pos, records, last, (unsigned long)last_ts, entries, recs, msgs, kinds,
                         self->out.p ? self->out.p : "", self->out.len);
fail:
    PyBuffer_Release(&buf);
    PyMem_Free(rs);
    return NULL;
}

static PyObject *RT_clear_blocks(RibText *self, PyObject *Py_UNUSED(ignored)) {
    bc_clear(&self->blocks);
    self->texts.len = 0;
    Py_RETURN_NONE;
}

/* has_block(block): is this RIB attribute block in the cache of blocks written here? */
static PyObject *RT_has_block(RibText *self, PyObject *arg) {
    char *blk;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(arg, &blk, &n) < 0)
        return NULL;
    uint64_t hh = fmix(mix(0x7E47 ^ (uint64_t)n, (const unsigned char *)blk, n));
    return PyBool_FromLong(bc_find(&self->blocks, hh, (const unsigned char *)blk, n) != NULL);
}

/* has_norm(a, b, c): is the parser's norm key (mrt._mp_free_key) in this half of the norm cache? */
static PyObject *RT_has_norm(RibText *self, PyObject *args) {
    Py_buffer a, b, c;
    if (!PyArg_ParseTuple(args, "y*y*y*:has_norm", &a, &b, &c))
        return NULL;
    PyObject *res = NULL;
    Py_ssize_t kl = 8 + a.len + b.len + c.len;
    self->nkey.len = 0;
    if (buf_reserve(&self->nkey, kl) == 0) {
        unsigned char *w = (unsigned char *)self->nkey.p;
        uint32_t la = (uint32_t)a.len, lb = (uint32_t)b.len;
        memcpy(w, &la, 4);
        memcpy(w + 4, a.buf, (size_t)a.len);
        w += 4 + a.len;
        memcpy(w, &lb, 4);
        memcpy(w + 4, b.buf, (size_t)b.len);
        w += 4 + b.len;
        memcpy(w, c.buf, (size_t)c.len);
        self->nkey.len = kl;
        const unsigned char *k = (const unsigned char *)self->nkey.p;
        uint64_t nhash = fmix(mix(0x40E3 ^ (uint64_t)kl, k, kl));
        res = PyBool_FromLong(bc_find(&self->nblocks, nhash, k, kl) != NULL);
    }
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    PyBuffer_Release(&c);
    return res;
}

static PyObject *RT_clear_norm(RibText *self, PyObject *Py_UNUSED(ignored)) {
    bc_clear(&self->nblocks);
    self->ntexts.len = 0;
    Py_RETURN_NONE;
}

static PyObject *RT_get_norm_size(RibText *self, void *Py_UNUSED(c)) { return PyLong_FromSsize_t(self->nblocks.size); }
static PyObject *RT_get_norm_hits(RibText *self, void *Py_UNUSED(c)) { return PyLong_FromSsize_t(self->norm_hits); }
static PyObject *RT_get_full_mp(RibText *self, void *Py_UNUSED(c)) { return PyBool_FromLong(self->full_mp); }
static int RT_set_full_mp(RibText *self, PyObject *value, void *Py_UNUSED(c)) {
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "full_mp cannot be deleted");
        return -1;
    }
    int t = PyObject_IsTrue(value);
    if (t < 0)
        return -1;
    self->full_mp = t;
    return 0;
}

static PyObject *RT_get_cache_size(RibText *self, void *Py_UNUSED(c)) { return PyLong_FromSsize_t(self->blocks.size); }
static PyObject *RT_get_decoded_here(RibText *self, void *Py_UNUSED(c)) { return PyLong_FromSsize_t(self->decoded_here); }
static PyObject *RT_get_handed_back(RibText *self, void *Py_UNUSED(c)) { return PyLong_FromSsize_t(self->handed_back); }
static PyObject *RT_get_decoded_updates(RibText *self, void *Py_UNUSED(c)) {
    return PyLong_FromSsize_t(self->decoded_updates);
}

static PyMethodDef RT_methods[] = {
    {"set_context", (PyCFunction)RT_set_context, METH_VARARGS,
     "set_context(rib cache dict, cache_max, fallback[, norm cache dict]); without the norm cache, RIB blocks "
     "with the whole MP_REACH go to the fallback"},
    {"set_peers", (PyCFunction)RT_set_peers, METH_O, "set_peers([b'ip|as|', ...])"},
    {"run", (PyCFunction)RT_run, METH_VARARGS,
     "run(data, start, base) -> (end, records, last, last_ts, entries, [(type, subtype, n)], [(message type, n)], "
     "[(route kind code, n)], text)"},
    {"set_update_context", (PyCFunction)RT_set_update_context, METH_VARARGS,
     "set_update_context(attr cache dict, pending marker, peer_text(address bytes, AS) -> b'ip|as|')"},
    {"clear_blocks", (PyCFunction)RT_clear_blocks, METH_NOARGS, "empty the cache of blocks decoded here"},
    {"clear_norm", (PyCFunction)RT_clear_norm, METH_NOARGS, "empty this half of the parser's norm cache"},
    {"has_block", (PyCFunction)RT_has_block, METH_O, "has_block(block): in the cache of blocks written here?"},
    {"has_norm", (PyCFunction)RT_has_norm, METH_VARARGS, "has_norm(a, b, c): the norm key in this half?"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef RT_getset[] = {
    {"cache_size", (getter)RT_get_cache_size, NULL, "blocks in the cache of blocks decoded here", NULL},
    {"decoded_here", (getter)RT_get_decoded_here, NULL, "attribute blocks formatted in C", NULL},
    {"handed_back", (getter)RT_get_handed_back, NULL, "attribute blocks handed to the Python parser", NULL},
    {"decoded_updates", (getter)RT_get_decoded_updates, NULL, "UPDATE attribute blocks written in C", NULL},
    {"norm_size", (getter)RT_get_norm_size, NULL, "blocks in this half of the parser's norm cache", NULL},
    {"norm_hits", (getter)RT_get_norm_hits, NULL, "RIB blocks written from the norm cache", NULL},
    {"full_mp", (getter)RT_get_full_mp, (setter)RT_set_full_mp,
     "MrtParser._full_mp_in_rib: a RIB entry with the whole MP_REACH was read", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject RibTextType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "netvet.readers._mrtfast.RibText",
    .tp_basicsize = sizeof(RibText),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "bgpdump -m lines of TABLE_DUMP_V2 unicast RIB records and BGP4MP MESSAGE records",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)RT_dealloc,
    .tp_traverse = (traverseproc)RT_traverse,
    .tp_clear = (inquiry)RT_clear,
    .tp_methods = RT_methods,
    .tp_getset = RT_getset,
};

static struct PyModuleDef mrtfast_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_mrtfast",
    .m_doc = "C hot loop of netvet's MRT reader (TABLE_DUMP_V2 RIB entries into RouteTable columns)",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__mrtfast(void) {
    if (PyType_Ready(&TableBuilderType) < 0 || PyType_Ready(&RibTextType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&mrtfast_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&TableBuilderType);
    if (PyModule_AddObject(m, "TableBuilder", (PyObject *)&TableBuilderType) < 0) {
        Py_DECREF(&TableBuilderType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&RibTextType);
    if (PyModule_AddObject(m, "RibText", (PyObject *)&RibTextType) < 0) {
        Py_DECREF(&RibTextType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
