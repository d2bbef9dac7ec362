/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What every header shared by BPF and user space needs: one layout on every
 * CPU, checked at compile time, and the one shape of a counter list.
 *
 * A struct shared with BPF is laid out by clang for the BPF target (64-bit
 * alignment of __u64) and by the C++ compiler of the router it runs on
 * (4-byte alignment of __u64 on i386, for one). So shared structs carry
 * their padding explicitly, and each header asserts size and offsets:
 * the same asserts then hold for the BPF build, the 64-bit build and the
 * 32-bit build (CI builds the tests with -m32), or one of them fails.
 */
#ifndef DUPGRE_LAYOUT_H
#define DUPGRE_LAYOUT_H

#ifdef __cplusplus
#define DUPGRE_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define DUPGRE_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#define DUPGRE_ASSERT_SIZE(type, size) \
	DUPGRE_ASSERT(sizeof(type) == (size), "layout of " #type " changed: size")
#define DUPGRE_ASSERT_OFFSET(type, member, offset) \
	DUPGRE_ASSERT(__builtin_offsetof(type, member) == (offset), \
		      "layout of " #type " changed: offset of " #member)

/* Counters. Each program lists its counters once, as an X-macro:
 *
 *   X(ENUM_ID, name, family, help)
 *
 * ENUM_ID indexes a row of __u64 counters; name is the counter's name in
 * JSON and text output, and its label value in Prometheus; family is the
 * Prometheus metric it belongs to (dupgre_<program>_<family>_total), and
 * help says what it counts. Each program also lists its families:
 *
 *   F(family, label, scope, help)
 *
 * label tells a family's counters apart (empty: the family has one
 * counter), scope is device (one series per device the program runs on)
 * or total (one series for all of them), help is Prometheus' HELP.
 *
 * In BPF, a program's counters are a per-CPU map (array or hash) whose
 * value is one row: struct { __u64 c[<PROGRAM>_COUNTER_MAX]; }. Each CPU
 * adds to its own copy, no atomics; user space sums the copies.
 */
#define DUPGRE_COUNTER_ENUM(id, name, family, help) id,

#endif /* DUPGRE_LAYOUT_H */
