/*
 * test_index.c - vs_index: every key put is found with its value, absent
 * keys are not, a duplicate put is refused without change, and after
 * thousands of random puts and deletions (which exercise the back-shift
 * of linear probing across growth) the index agrees with a plain array.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vserver/vs_index.h"

static void test_put_get_del(void **state)
{
	struct vs_index ix;
	(void)state;
	int a = 1, b = 2;

	vs_index_init(&ix);
	assert_null(vs_index_get(&ix, "vs1"));
	assert_int_equal(vs_index_del(&ix, "vs1"), -ENOENT);
	assert_int_equal(vs_index_put(&ix, "vs1", &a), 0);
	assert_int_equal(vs_index_put(&ix, "vs2", &b), 0);
	assert_int_equal(vs_index_put(&ix, "vs1", &b), -EEXIST);
	assert_ptr_equal(vs_index_get(&ix, "vs1"), &a);
	assert_ptr_equal(vs_index_get(&ix, "vs2"), &b);
	assert_null(vs_index_get(&ix, "vs3"));
	assert_int_equal(ix.n, 2);
	assert_int_equal(vs_index_del(&ix, "vs1"), 0);
	assert_null(vs_index_get(&ix, "vs1"));
	assert_ptr_equal(vs_index_get(&ix, "vs2"), &b);
	vs_index_free(&ix);
	assert_null(vs_index_get(&ix, "vs2"));
}

#define N 3000

static void test_agrees_with_an_array(void **state)
{
	static char names[N][16];
	static bool in[N];
	struct vs_index ix;
	(void)state;
	unsigned seed = 12345;

	vs_index_init(&ix);
	for (int i = 0; i < N; i++)
		snprintf(names[i], sizeof(names[i]), "vs%04d", i);
	for (int round = 0; round < 40000; round++) {
		seed = seed * 1103515245u + 12345u;
		int k = (int)((seed >> 8) % N);
		if (in[k]) {
			assert_int_equal(vs_index_del(&ix, names[k]), 0);
			in[k] = false;
		} else {
			assert_int_equal(vs_index_put(&ix, names[k], names[k]), 0);
			in[k] = true;
		}
		if (round % 4000 == 0 || round == 39999) {
			size_t n = 0;
			for (int i = 0; i < N; i++) {
				n += in[i];
				if (in[i])
					assert_ptr_equal(vs_index_get(&ix, names[i]), names[i]);
				else
					assert_null(vs_index_get(&ix, names[i]));
			}
			assert_int_equal(ix.n, n);
			assert_true(ix.cap >= 2 * ix.n);
		}
	}
	vs_index_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_get_del),
	    cmocka_unit_test(test_agrees_with_an_array),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
