/* test_tuner.c - the adaptive thread count (processor/tuner/nb_tuner.h): defaults, trials,
 * switches, the doubling wait, warm-up calls, fixed mode. Costs are fed by hand, so every
 * test is deterministic; NB_TUNER_ADAPTIVE's CPU-efficiency gate is exercised only where it
 * cannot matter (a tuner on 1 thread always tries `threads`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nb_tuner.h"

/* One call: begin, then end with `cost` seconds for one unit; returns the count used. */
static int call(nb_tuner *t, double cost) {
    int n = nb_tuner_begin(t);
    nb_tuner_end(t, cost, 1.0);
    return n;
}

static void test_defaults(void **state) {
    (void)state;
    nb_tuner_desc d;
    nb_tuner_desc_resolve(&(nb_tuner_desc){.threads = 4}, &d);
    assert_int_equal(d.threads, 4);
    assert_int_equal(d.mode, NB_TUNER_ADAPTIVE);
    assert_int_equal(d.start, 4);
    assert_int_equal(d.first_wait, 4);
    assert_int_equal(d.period, 4);
    assert_int_equal(d.max_wait, 64);
    assert_int_equal(d.trial_calls, 2);
    assert_int_equal(d.warmup_calls, 0);
    assert_true(d.win == 0.9 && d.weight == 0.3 && d.efficiency == 0.8);
    nb_tuner_desc_resolve(NULL, &d);
    assert_true(d.threads >= 1);
}

static void test_fixed(void **state) {
    (void)state;
    nb_tuner t;
    nb_tuner_init(&t, &(nb_tuner_desc){.threads = 3, .mode = NB_TUNER_FIXED, .start = 1});
    for (int k = 0; k < 100; k++)
        assert_int_equal(call(&t, k % 2 ? 1.0 : 100.0), 3);
    assert_int_equal(nb_tuner_current(&t), 3);
}

static void test_one_thread_never_tries(void **state) {
    (void)state;
    nb_tuner t;
    nb_tuner_init(&t, &(nb_tuner_desc){.threads = 1, .mode = NB_TUNER_ALWAYS_TRY});
    for (int k = 0; k < 200; k++)
        assert_int_equal(call(&t, 1.0), 1);
}

/* threads 4, first trial after 2 calls with an average: 1 thread at half the cost wins. */
static void test_switch_on_win(void **state) {
    (void)state;
    nb_tuner t;
    nb_tuner_init(&t, &(nb_tuner_desc){.threads = 4, .mode = NB_TUNER_ALWAYS_TRY, .first_wait = 2});
    assert_int_equal(call(&t, 1.0), 4); /* sets the average */
    assert_int_equal(call(&t, 1.0), 4); /* wait 2 -> 1 */
    assert_int_equal(call(&t, 0.5), 1); /* wait 0: trial of 1 thread, 2 timed calls */
    assert_int_equal(call(&t, 0.5), 1);
    assert_int_equal(nb_tuner_current(&t), 1);
    /* on 1 thread it tries 4 again on the period-th (= first_wait) call; 4 loses */
    assert_int_equal(call(&t, 0.5), 1);
    assert_int_equal(call(&t, 0.5), 4);
    assert_int_equal(call(&t, 0.5), 4);
    assert_int_equal(nb_tuner_current(&t), 1);
}

/* A trial that is not 10 % faster loses, and the wait doubles up to max_wait. */
static void test_failed_trials_double_the_wait(void **state) {
    (void)state;
    nb_tuner t;
    nb_tuner_init(&t, &(nb_tuner_desc){.threads = 2,
                                       .mode = NB_TUNER_ALWAYS_TRY,
                                       .first_wait = 2,
                                       .max_wait = 8,
                                       .trial_calls = 1});
    int gaps[6], n_gaps = 0, since = 0;
    call(&t, 1.0);
    for (int k = 0; k < 60 && n_gaps < 6; k++) {
        if (call(&t, 1.0) == 1) { /* a trial call (same cost: never a win) */
            gaps[n_gaps++] = since;
            since = 0;
        } else {
            since++;
        }
    }
    assert_int_equal(n_gaps, 6);
    /* first trial after 2 calls (the averaging call excluded), then waits 4, 8, 8, 8 */
    assert_int_equal(gaps[0], 1);
    assert_int_equal(gaps[1], 3);
    assert_int_equal(gaps[2], 7);
    assert_int_equal(gaps[3], 7);
    assert_int_equal(gaps[4], 7);
    assert_int_equal(nb_tuner_current(&t), 2);
}

/* Warm-up calls of a trial are not timed: a slow first trial call does not spoil the win. */
static void test_warmup_not_timed(void **state) {
    (void)state;
    nb_tuner t;
    nb_tuner_init(&t, &(nb_tuner_desc){.threads = 2,
                                       .mode = NB_TUNER_ALWAYS_TRY,
                                       .start = 1,
                                       .first_wait = 1,
                                       .trial_calls = 2,
                                       .warmup_calls = 1});
    assert_int_equal(call(&t, 1.0), 1);
    assert_int_equal(call(&t, 100.0), 2); /* warm-up */
    assert_int_equal(call(&t, 0.4), 2);
    assert_int_equal(call(&t, 0.4), 2);
    assert_int_equal(nb_tuner_current(&t), 2);
}

/* NB_TUNER_ADAPTIVE on 1 thread tries `threads` whatever the CPU efficiency. */
static void test_adaptive_from_one(void **state) {
    (void)state;
    nb_tuner t;
    nb_tuner_init(&t, &(nb_tuner_desc){.threads = 2, .start = 1, .first_wait = 1});
    assert_int_equal(call(&t, 1.0), 1);
    assert_int_equal(call(&t, 0.3), 2);
    assert_int_equal(call(&t, 0.3), 2);
    assert_int_equal(nb_tuner_current(&t), 2);
}

/* units scale the cost; units <= 0 record nothing. */
static void test_units(void **state) {
    (void)state;
    nb_tuner t;
    nb_tuner_init(
        &t, &(nb_tuner_desc){
                .threads = 2, .mode = NB_TUNER_ALWAYS_TRY, .first_wait = 1, .trial_calls = 1});
    nb_tuner_begin(&t);
    nb_tuner_end(&t, 1.0, 0.0); /* ignored: still no average, so no trial */
    assert_int_equal(nb_tuner_begin(&t), 2);
    nb_tuner_end(&t, 10.0, 10.0); /* average 1 s per unit */
    assert_int_equal(nb_tuner_begin(&t), 1);
    nb_tuner_end(&t, 1.0, 2.0); /* 0.5 s per unit: wins */
    assert_int_equal(nb_tuner_current(&t), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_one_thread_never_tries),
        cmocka_unit_test(test_switch_on_win),
        cmocka_unit_test(test_failed_trials_double_the_wait),
        cmocka_unit_test(test_warmup_not_timed),
        cmocka_unit_test(test_adaptive_from_one),
        cmocka_unit_test(test_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
