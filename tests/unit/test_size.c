/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for vm_size_parse() (libvolmgr/volmgr.h): the -L/-l size syntax.
 * Units are powers of 1024 in either case; with no unit the default applies
 * ('m' for -L, 0 for -l meaning extents); percentages only without a default
 * unit. Where lvm2 2.03.16 was used as the oracle the test says so.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "volmgr.h"

#define KIB (1024ull)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)
#define TIB (GIB * 1024)
#define PIB (TIB * 1024)
#define EIB (PIB * 1024)

static void ok(const char *text, char unit, enum vm_size_kind kind, int sign, uint64_t value)
{
	struct vm_size sz;
	int r = vm_size_parse(text, unit, &sz);

	if (r)
		fail_msg("\"%s\" (default unit '%c'): expected success, got %d", text, unit ? unit : '0', r);
	if (sz.kind != kind || sz.sign != sign || sz.value != value)
		fail_msg("\"%s\" (default unit '%c'): got kind %d sign %d value %llu, expected kind %d sign %d value %llu",
			 text, unit ? unit : '0', sz.kind, sz.sign, (unsigned long long)sz.value, kind, sign,
			 (unsigned long long)value);
}

static void bad(const char *text, char unit)
{
	struct vm_size sz;
	int r = vm_size_parse(text, unit, &sz);

	if (r >= 0)
		fail_msg("\"%s\" (default unit '%c'): expected an error, got kind %d value %llu", text,
			 unit ? unit : '0', sz.kind, (unsigned long long)sz.value);
	if (r != -EINVAL && r != -ERANGE)
		fail_msg("\"%s\": unexpected error %d", text, r);
}

/* ---- units ---------------------------------------------------------------- */

static void test_units_each_case(void **state)
{
	static const struct { char u; uint64_t mult; } units[] = {
		{ 'b', 1 }, { 's', 512 }, { 'k', KIB }, { 'm', MIB }, { 'g', GIB },
		{ 't', TIB }, { 'p', PIB }, { 'e', EIB },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
		char text[16];
		/* lower and upper case mean the same: powers of 1024, never of 1000 */
		snprintf(text, sizeof(text), "3%c", units[i].u);
		ok(text, 'm', VM_SIZE_BYTES, 0, 3 * units[i].mult);
		ok(text, 0, VM_SIZE_BYTES, 0, 3 * units[i].mult);   /* a unit makes -l a size too */
		snprintf(text, sizeof(text), "3%c", units[i].u - 32);
		ok(text, 'm', VM_SIZE_BYTES, 0, 3 * units[i].mult);
		/* the default unit, in either case */
		ok("3", units[i].u, VM_SIZE_BYTES, 0, 3 * units[i].mult);
		ok("3", (char)(units[i].u - 32), VM_SIZE_BYTES, 0, 3 * units[i].mult);
	}
	ok("1e", 'm', VM_SIZE_BYTES, 0, EIB);       /* 'e' after digits is the exbibyte unit */
	ok("7e", 'm', VM_SIZE_BYTES, 0, 7 * EIB);
}

static void test_default_units(void **state)
{
	(void)state;
	ok("10", 'm', VM_SIZE_BYTES, 0, 10 * MIB);
	ok("10", 'k', VM_SIZE_BYTES, 0, 10 * KIB);
	ok("10", 's', VM_SIZE_BYTES, 0, 5120);
	ok("10", 0, VM_SIZE_EXTENTS, 0, 10);
	ok("0", 0, VM_SIZE_EXTENTS, 0, 0);          /* zero is the caller's to refuse */
	ok("0m", 0, VM_SIZE_BYTES, 0, 0);
	ok("4294967296", 0, VM_SIZE_EXTENTS, 0, 4294967296ull);
	/* the written unit wins over the default */
	ok("2g", 'm', VM_SIZE_BYTES, 0, 2 * GIB);
	ok("2s", 'k', VM_SIZE_BYTES, 0, 1024);
	bad("10", 'x');                               /* a default unit that is no unit */
}

static void test_decimals(void **state)
{
	(void)state;
	ok("1.5g", 'm', VM_SIZE_BYTES, 0, 1536 * MIB);
	ok("1.5G", 0, VM_SIZE_BYTES, 0, 1536 * MIB);
	ok("1.5", 'm', VM_SIZE_BYTES, 0, 1536 * KIB);
	ok("0.5k", 'm', VM_SIZE_BYTES, 0, 512);
	ok(".5k", 'm', VM_SIZE_BYTES, 0, 512);       /* lvm2 2.03.16 takes ".5g" too */
	ok("1.5s", 'm', VM_SIZE_BYTES, 0, 768);
	ok("2.", 'm', VM_SIZE_BYTES, 0, 2 * MIB);
	/* fractions of a byte round up, never down to a smaller size */
	ok("0.1b", 'm', VM_SIZE_BYTES, 0, 1);
	ok("1.0001k", 'm', VM_SIZE_BYTES, 0, 1025);
	ok("0.001m", 'm', VM_SIZE_BYTES, 0, 1049);
	/* extents are whole */
	bad("1.5", 0);
	bad("0.5", 0);
	ok("2.0", 0, VM_SIZE_EXTENTS, 0, 2);
}

static void test_signs(void **state)
{
	(void)state;
	ok("+4m", 'm', VM_SIZE_BYTES, 1, 4 * MIB);
	ok("-1G", 'm', VM_SIZE_BYTES, -1, GIB);
	ok("+10", 0, VM_SIZE_EXTENTS, 1, 10);
	ok("-10", 0, VM_SIZE_EXTENTS, -1, 10);
	ok("+1.5g", 'm', VM_SIZE_BYTES, 1, 1536 * MIB);
	ok("-.5k", 'm', VM_SIZE_BYTES, -1, 512);
	ok("+50%FREE", 0, VM_SIZE_PERCENT_FREE, 1, 50);
	ok("-10%VG", 0, VM_SIZE_PERCENT_VG, -1, 10);
	bad("-", 'm');
	bad("+", 0);
	bad("--1", 'm');
	bad("+-1", 'm');
	bad("-+1", 0);
	bad("++1", 0);
	bad("- 1", 'm');
}

static void test_percent(void **state)
{
	(void)state;
	ok("100%FREE", 0, VM_SIZE_PERCENT_FREE, 0, 100);
	ok("1%FREE", 0, VM_SIZE_PERCENT_FREE, 0, 1);
	ok("50%VG", 0, VM_SIZE_PERCENT_VG, 0, 50);
	ok("10%PVS", 0, VM_SIZE_PERCENT_PVS, 0, 10);
	ok("100%ORIGIN", 0, VM_SIZE_PERCENT_ORIGIN, 0, 100);
	ok("100.0%FREE", 0, VM_SIZE_PERCENT_FREE, 0, 100);
	/* a percentage is for -l only */
	bad("50%FREE", 'm');
	bad("50%VG", 'g');
	/*
	 * Zero, fractions and unknown kinds are refused (lvm2 refuses them too);
	 * above 100 is refused (lvm2 2.03.16 accepts 101%FREE and 150%VG and
	 * clamps them to the free space).
	 */
	bad("0%FREE", 0);
	bad("101%FREE", 0);
	bad("1000%VG", 0);
	bad("50.5%FREE", 0);
	bad("%FREE", 0);
	bad("10%", 0);
	bad("10%VGX", 0);
	bad("10%FREE ", 0);
	bad("10 %FREE", 0);
	bad("10%%FREE", 0);
	bad("10%FREEE", 0);
	bad("10k%FREE", 0);
}

/*
 * lvm2 2.03.16 (tools/lvmcmdline.c _get_percent_arg) matches the kind with
 * strcasecmp and takes the abbreviations F/FR, V, P/PV, O/OR: checked with
 * `lvcreate --test -l 10%free`, `-l 10%F`, `-l 10%Vg`, `-l 10%v`, `-l 10%P`,
 * `-l 10%pvs`, `-l 10%PV`, `-l 10%FR`, which all succeed. volmgr is installed
 * as lvm's commands, so scripts written for lvm2 (`-l 100%free`) must work.
 */
static void test_percent_spelled_like_lvm2(void **state)
{
	(void)state;
	ok("100%free", 0, VM_SIZE_PERCENT_FREE, 0, 100);
	ok("100%Free", 0, VM_SIZE_PERCENT_FREE, 0, 100);
	ok("10%F", 0, VM_SIZE_PERCENT_FREE, 0, 10);
	ok("10%FR", 0, VM_SIZE_PERCENT_FREE, 0, 10);
	ok("10%vg", 0, VM_SIZE_PERCENT_VG, 0, 10);
	ok("10%V", 0, VM_SIZE_PERCENT_VG, 0, 10);
	ok("10%pvs", 0, VM_SIZE_PERCENT_PVS, 0, 10);
	ok("10%PV", 0, VM_SIZE_PERCENT_PVS, 0, 10);
	ok("10%P", 0, VM_SIZE_PERCENT_PVS, 0, 10);
	ok("10%origin", 0, VM_SIZE_PERCENT_ORIGIN, 0, 10);
	ok("10%O", 0, VM_SIZE_PERCENT_ORIGIN, 0, 10);
	bad("10%VGX", 0);
}

/* ---- invalid input ---------------------------------------------------------- */

static void test_invalid(void **state)
{
	(void)state;
	bad("", 'm');
	bad("", 0);
	bad("10x", 'm');
	bad("10x", 0);
	bad("x10", 'm');
	bad("m", 'm');
	bad(".", 'm');
	bad(".m", 'm');
	bad(" 10", 'm');
	bad("10 ", 'm');
	bad("10 m", 'm');
	bad("10mm", 'm');
	bad("1,5g", 'm');
	bad("10\n", 0);
	bad("nan", 'm');
	bad("inf", 'm');
	bad("infinity", 0);
	bad("0x", 'm');
	bad("1e999", 'm');              /* strtod overflow */
	bad("1e999", 0);
}

/*
 * What the code does with strtod's extra syntax. For sizes it matches lvm2
 * (which also parses with strtod: `lvcreate -L 1e1m` and `-L 0x10m` work).
 * For extents lvm2 refuses "1e1" (it reads an integer); volmgr may refuse it
 * or read it exactly, never as another number.
 */
static void test_strtod_syntax(void **state)
{
	struct vm_size sz;
	int r;
	(void)state;
	/* lvm2 reads sizes with strtod, so it takes exponents and hex; volmgr
	 * refuses them rather than guess, but must never read them as another size */
	bad("1e3", 'm');
	bad("1e3k", 'm');
	bad("0x10", 'm');
	r = vm_size_parse("1e3", 0, &sz);
	if (!r)
		assert_true(sz.kind == VM_SIZE_EXTENTS && sz.value == 1000);
	else
		assert_int_equal(r, -EINVAL);
}

/*
 * lvm2 2.03.16 takes "10mb" and "10MiB" as 10 MiB (it reads one suffix letter
 * and ignores the rest). volmgr may refuse them, but must never read them as
 * another size.
 */
static void test_unit_words(void **state)
{
	static const char *const words[] = { "10mb", "10MiB", "10MB", "10gib" };
	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++) {
		struct vm_size sz;
		int r = vm_size_parse(words[i], 'm', &sz);
		uint64_t want = words[i][2] == 'g' ? 10 * GIB : 10 * MIB;
		if (!r) {
			if (sz.kind != VM_SIZE_BYTES || sz.value != want)
				fail_msg("\"%s\" read as %llu", words[i], (unsigned long long)sz.value);
		} else {
			assert_int_equal(r, -EINVAL);
		}
	}
}

/* ---- overflow ---------------------------------------------------------------- */

static void test_overflow(void **state)
{
	(void)state;
	/* bytes must stay below 2^63 */
	bad("8e", 'm');
	bad("8E", 0);
	bad("8192p", 'm');
	bad("16777216t", 'm');
	bad("9223372036854775808", 'b');
	bad("18446744073709551616", 'b');
	bad("99999999999999999999999999g", 'm');
	ok("8191p", 'm', VM_SIZE_BYTES, 0, 8191 * PIB);
	ok("7.5e", 'm', VM_SIZE_BYTES, 0, 15 * EIB / 2);
	ok("4611686018427387904b", 'm', VM_SIZE_BYTES, 0, 4611686018427387904ull);   /* 2^62 */
	/* extents must fit a u64 */
	bad("18446744073709551616", 0);
	bad("99999999999999999999", 0);                 /* lvm2 refuses it too */
	bad("1e30", 0);
	ok("4503599627370496", 0, VM_SIZE_EXTENTS, 0, 4503599627370496ull);   /* 2^52 */
}

/*
 * Integers a double cannot hold exactly (above 2^53) must be read exactly or
 * refused, never silently changed: "9007199254740993" (2^53 + 1) must not
 * become 9007199254740992.
 */
static void test_no_precision_loss(void **state)
{
	static const struct { const char *text; char unit; uint64_t want; } cases[] = {
		{ "9007199254740993", 0, 9007199254740993ull },
		{ "18446744073709551615", 0, 18446744073709551615ull },
		{ "9007199254740993b", 'm', 9007199254740993ull },
		{ "4611686018427387905", 'b', 4611686018427387905ull },
		{ "9223372036854775807b", 'm', 9223372036854775807ull },   /* 2^63 - 1 */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct vm_size sz;
		int r = vm_size_parse(cases[i].text, cases[i].unit, &sz);
		if (!r && sz.value != cases[i].want)
			fail_msg("\"%s\" read as %llu", cases[i].text, (unsigned long long)sz.value);
		if (r)
			assert_true(r == -EINVAL || r == -ERANGE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_each_case),
		cmocka_unit_test(test_default_units),
		cmocka_unit_test(test_decimals),
		cmocka_unit_test(test_signs),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_percent_spelled_like_lvm2),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_strtod_syntax),
		cmocka_unit_test(test_unit_words),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_no_precision_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
