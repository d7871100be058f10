# The benchmark driver: a smoke run on tiny data (it runs, reports a ratio and correct winners).
# No timing is asserted: this machine is shared and its speed is not a property of the code.
if(TARGET lottery-bench)
    # The PostgreSQL run (--postgres) asks the cluster harness whether postgres-15 is there.
    lottery_add_test(tst_bench_smoke LIBS lottery_postgres_test_support
        LABELS bench integration postgres TIMEOUT 300)
    add_dependencies(tst_bench_smoke lottery-bench lottery-codec-bench lottery-loadgen)
endif()
