# The benchmark driver: a smoke run on tiny data (it runs, reports a ratio and correct winners).
# No timing is asserted: this machine is shared and its speed is not a property of the code.
if(TARGET lottery-bench)
    lottery_add_test(tst_bench_smoke LABELS bench integration TIMEOUT 300)
    add_dependencies(tst_bench_smoke lottery-bench lottery-codec-bench lottery-loadgen)
endif()
