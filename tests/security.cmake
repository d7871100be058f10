# Issue 7: TLS and per-agency credentials over real TLS sockets and the real programs.
lottery_add_test(tst_security LIBS lottery::server lottery_test_support LABELS security integration
    TIMEOUT 300 DEFINITIONS LOTTERY_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
if(TARGET lottery-server AND TARGET agency-cli)
    add_dependencies(tst_security lottery-server agency-cli lottery-credentials)
endif()
